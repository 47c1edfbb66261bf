"""What the dialogs that create a CA share: the busy state while the CA worker generates the key
and signs, the error shown in the dialog, and the passphrase fields cleared when it is done."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGroupBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.gui.errors import show_error


class CreateCaDialog(QDialog):
    """A subclass builds its form and sets these widgets; every QGroupBox is disabled while busy."""

    created = Signal(int)  # the new CA's certificate id
    busy_text = "Working…"
    error: QLabel
    status: QLabel
    busy: QProgressBar
    create_button: QPushButton
    passphrase: QLineEdit
    confirmation: QLineEdit

    def _created(self, cert_id: int) -> None:
        self._set_busy(False)
        self.passphrase.clear()
        self.confirmation.clear()
        self.created.emit(cert_id)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, PkiError):
            self._show_error(str(error))
        else:
            show_error(self, error)

    def _show_error(self, text: str) -> None:
        """The error under the form; the dialog grows to make room for it (it used to squeeze
        the fields instead), and the error goes as soon as a field is changed."""
        self.error.setText(text)
        self.error.show()
        if not getattr(self, "_hides_on_edit", False):
            self._hides_on_edit = True
            for edit in self.findChildren(QLineEdit):
                edit.textEdited.connect(self.error.hide)
            for box in self.findChildren(QComboBox):
                box.activated.connect(self.error.hide)
        layout = self.layout()
        if layout is not None:
            layout.activate()
        wanted = self.sizeHint().height()
        if self.height() < wanted:
            self.resize(self.width(), wanted)

    def _set_busy(self, busy: bool) -> None:
        for widget in self.findChildren(QGroupBox):
            widget.setEnabled(not busy)
        self.create_button.setEnabled(not busy)
        self.busy.setVisible(busy)
        if busy:
            self.error.hide()
            self.status.setText(self.busy_text)
        else:
            self.status.clear()
