"""How errors reach the user: known PkiErrors as plain messages, bugs as a crash dialog with details."""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.base.version import version_text
from pkiadmin.core.workspace import storage


def error_label() -> QLabel:
    """The red line where a dialog or page says what is wrong with the input; hidden until needed."""
    label = QLabel()
    label.setObjectName("dialogError")
    label.setWordWrap(True)
    label.hide()
    return label


def show_error(parent: QWidget | None, error: BaseException, title: str = "pkiadmin") -> None:
    """A PkiError is the user's to fix: show its message. Anything else is a bug: show the crash dialog."""
    said = str(error) if isinstance(error, PkiError) else storage.describe(error)
    if said is not None:  # the user's to fix: a known error, a full disk, another writer
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, said, QMessageBox.StandardButton.Ok, parent
        )
        box.setObjectName("errorMessage")
        box.exec()
    else:
        CrashDialog(error, parent).exec()


NO_ISSUING_CA = (
    "No CA held here signs end-entity certificates: that takes an issuing CA (path length 0) "
    "below a root, not retired, its key not destroyed. Create one under Authorities first."
)


def show_in(label: QLabel, parent: QWidget, error: BaseException) -> None:
    """A dialog's failure: the user's to fix (a PkiError) on its error line; anything else as
    show_error shows it."""
    if isinstance(error, PkiError):
        label.setText(str(error))
        label.show()
    else:
        show_error(parent, error)


def show_message(parent: QWidget | None, title: str, text: str, warning: bool = False) -> None:
    """An information (or warning) box; QMessageBox.exec, so tests can record it."""
    icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.exec()


class CrashDialog(QDialog):
    """An unexpected error: what happened, with details to copy into a bug report."""

    def __init__(self, error: BaseException, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("pkiadmin — unexpected error")
        self.setObjectName("crashDialog")
        details = "".join(traceback.format_exception(error))
        self.details_text = f"{version_text()}\n\n{details}"
        layout = QVBoxLayout(self)
        intro = QLabel(
            "pkiadmin hit an unexpected error (a bug). The operation did not complete; the workspace "
            "database was left as it was before it. Please report the details below."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        view = QPlainTextEdit(self.details_text)
        view.setReadOnly(True)
        view.setMinimumSize(640, 280)
        layout.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("&Copy details")
        copy.clicked.connect(self.copy_details)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text)


def install_excepthook() -> None:
    """Exceptions escaping a Qt slot end up here instead of being printed and forgotten."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        sys.__excepthook__(kind, error, tb)
        if QApplication.instance() is not None:
            show_error(QApplication.activeWindow(), error.with_traceback(tb))

    sys.excepthook = hook
