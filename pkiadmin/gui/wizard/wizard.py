"""The ceremony wizard: walks the whole procedure; cannot advance past an unacknowledged step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
    QWizard,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony.step_run import StepRun
from pkiadmin.core.ceremony.store import CeremonyStatus
from pkiadmin.gui.errors import show_error
from pkiadmin.gui.wizard import root_pages as pages
from pkiadmin.gui.wizard.base import StepPage
from pkiadmin.gui.worker import CaWorkerApi

PAGE_CLASSES = (
    pages.PlanPage,
    pages.PreflightPage,
    pages.KeyPage,
    pages.SharesPage,
    pages.RecoveryPage,
    pages.SigningPage,
    pages.FingerprintPage,
    pages.BackupPage,
    pages.SignOffPage,
)


class CeremonyWizard(QWizard):
    """Any witnessed ceremony: the root key ceremony, or a key-use ceremony with its own pages."""

    def __init__(
        self,
        run: StepRun[Any, Any],
        worker: CaWorkerApi,
        parent: QWidget | None,
        finish_page: Callable[[], pages.FinishPage[Any]],
        page_classes: Sequence[type[StepPage]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.run = run
        self.worker = worker
        self.setObjectName("ceremonyWizard")
        self.setWindowTitle(
            f"Ceremony {run.plan.ceremony_id}{' — REHEARSAL' if run.rehearsal else ''}"
        )
        self.setMinimumSize(1000, 720)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Record e&xception…")
        self.setButtonText(QWizard.WizardButton.CancelButton, "&Abort ceremony…")
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Next step >")
        self.customButtonClicked.connect(lambda _which: self.record_exception())
        if page_classes is None:
            from pkiadmin.gui.wizard.token_pages import TOKEN_PAGE_CLASSES

            token = getattr(run.plan, "token", None)
            page_classes = TOKEN_PAGE_CLASSES if token is not None else PAGE_CLASSES
        self.step_pages = [cls(run, worker) for cls in page_classes]
        total = len(self.step_pages)
        for number, page in enumerate(self.step_pages, start=1):
            # Where the people are in the procedure, on every page.
            page.setTitle(f"Step {number} of {total}: {page.step.title}")
            self.addPage(page)
        self.finish_page: pages.FinishPage[Any] = finish_page()
        self.addPage(self.finish_page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Finish")

    def record_exception(self) -> None:
        dialog = ExceptionDialog(self.run, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        expected, happened, decision, approver = dialog.values()
        self.worker.submit(
            lambda _ws, _p: self.run.record_exception(expected, happened, decision, approver),
            lambda _r: self._recorded(),
            lambda error: show_error(self, error),
        )

    def _recorded(self) -> None:
        QMessageBox.information(
            self, "Exception recorded", "The exception is recorded in the ceremony log."
        )

    def reject(self) -> None:
        """Cancel means abort: ask for the reason, record it, close. A finished ceremony just closes."""
        if self.run.status is not CeremonyStatus.RUNNING:
            super().reject()
            return
        reason, ok = QInputDialog.getText(
            self,
            "Abort the ceremony",
            "The ceremony will be closed as aborted and no CA kept. Reason:",
        )
        if not ok:
            return
        self.abort(reason)

    def abort(self, reason: str) -> None:
        def done(_result: object) -> None:
            QWizard.reject(self)

        def failed(error: BaseException) -> None:
            if isinstance(error, PkiError):
                QWizard.reject(self)
            show_error(self, error)

        self.worker.submit(
            lambda _ws, _p: self.run.abort(reason, self.run.plan.administrator.name), done, failed
        )


class ExceptionDialog(QDialog):
    """An exception sheet: what was expected, what happened, the decision, who approved it."""

    def __init__(self, run: StepRun[Any, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record an exception")
        form = QFormLayout(self)
        self.expected = QLineEdit()
        self.happened = QLineEdit()
        self.decision = QLineEdit()
        self.approver = QComboBox()
        self.approver.addItems([p.name for p in run.plan.participants])
        form.addRow("&Expected:", self.expected)
        form.addRow("What &happened:", self.happened)
        form.addRow("&Decision:", self.decision)
        form.addRow("&Approved by:", self.approver)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, str, str]:
        return (
            self.expected.text(),
            self.happened.text(),
            self.decision.text(),
            self.approver.currentText(),
        )
