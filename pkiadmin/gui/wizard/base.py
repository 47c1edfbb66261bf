"""Shared parts of the ceremony wizard's pages: run a step on the CA worker, acknowledge it, show errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony.step_run import SIGN_OFF, StepLike, StepRun
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.errors import error_label, show_error
from pkiadmin.gui.worker import CaWorkerApi, Progress

READ_ALOUD_POINT_SIZE = 20


def read_aloud_label(text: str = "", object_name: str = "") -> QLabel:
    """Very large, selectable, wrapping text for values read aloud and compared."""
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSize(READ_ALOUD_POINT_SIZE)
    label.setFont(font)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    return label


def set_ticked(box: QCheckBox, ticked: bool, allowed: bool) -> None:
    """A sign-off or acknowledgement box: a ticked one is recorded and cannot be taken back, but
    it stays readable (a disabled box is drawn grey, as if it did not count); an unticked one can
    be ticked only when `allowed`."""
    box.blockSignals(True)
    box.setChecked(ticked)
    box.blockSignals(False)
    box.setEnabled(ticked or allowed)
    box.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, ticked)
    box.setFocusPolicy(Qt.FocusPolicy.NoFocus if ticked else Qt.FocusPolicy.StrongFocus)
    box.setProperty("recorded", ticked)
    box.setToolTip("Recorded in the ceremony log." if ticked else "")


class StepPage(QWizardPage):
    """A page for one ceremony step: its action, then acknowledgement by administrator and witness.

    The page is complete only when the engine says the step is complete, so the wizard cannot
    advance past an unacknowledged step; every page is a commit page, so there is no going back.
    """

    step: StepLike

    def __init__(
        self, run: StepRun[Any, Any], worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.run = run
        self.worker = worker
        self.setTitle(self.step.title)
        self.setSubTitle(self.step.explanation)
        self.setCommitPage(True)
        self.body = QVBoxLayout(self)
        self.error = error_label()
        self.ack_box = QGroupBox("Acknowledgements")
        ack_layout = QHBoxLayout(self.ack_box)
        self.ack_boxes: dict[str, QCheckBox] = {}
        witnesses = [p for p in run.plan.participants if p.role.value == "internal-witness"]
        for person in [run.plan.administrator, *witnesses]:
            box = QCheckBox(f"{person.name} ({person.role.value}) acknowledges")
            box.setEnabled(False)
            box.toggled.connect(lambda checked, name=person.name: self._acknowledge(name, checked))
            ack_layout.addWidget(box)
            self.ack_boxes[person.name] = box

    def finish_layout(self) -> None:
        """Called by subclasses after adding their widgets: error line and acknowledgements last."""
        self.body.addStretch(1)
        self.body.addWidget(self.error)
        if self.step.value != SIGN_OFF:
            self.body.addWidget(self.ack_box)

    def perform(
        self, action: Callable[[], Any], on_done: Callable[[Any], None] | None = None
    ) -> None:
        """Run a step action on the CA worker; errors the people can fix appear on the page."""
        self.error.hide()
        self.setEnabled(False)

        def operation(_ws: Workspace, _progress: Progress) -> Any:
            return action()

        def done(result: object) -> None:
            self.setEnabled(True)
            if on_done is not None:
                on_done(result)
            self.refresh()

        def failed(error: BaseException) -> None:
            self.setEnabled(True)
            if isinstance(error, PkiError):
                self.show_error(str(error))
            else:
                show_error(self, error)
            self.refresh()

        self.worker.submit(operation, done, failed)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _acknowledge(self, name: str, checked: bool) -> None:
        if name in self.run.acknowledgements(self.step):
            if not checked:
                self.refresh()  # recorded: it cannot be taken back
            return
        if not checked:
            return
        self.perform(lambda: self.run.acknowledge(self.step, name))

    def refresh(self) -> None:
        done = self.run.is_done(self.step)
        acked = self.run.acknowledgements(self.step)
        for name, box in self.ack_boxes.items():
            set_ticked(box, name in acked, done)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.run.is_complete(self.step)

    def initializePage(self) -> None:
        self.refresh()
