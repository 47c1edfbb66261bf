"""File → Adopt a CA made elsewhere…: an openssl ca or XCA CA brought into the workspace: its
certificate and key (checked against each other, then kept encrypted under a new passphrase),
openssl ca's index.txt with the certificates it issued and their revocations, its last CRL and
crlnumber (`ca adopt` in the CLI). What will be adopted is shown in full before anything is
stored."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.lifecycle import adopt as adoption
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.errors import error_label, show_in
from pkiadmin.gui.worker import CaWorkerApi, Progress

_FIELDS = (
    # attribute, label, a folder?, required?
    ("cert", "CA &certificate:", False, True),
    ("key", "Its private &key:", False, True),
    ("index", "openssl ca's &index.txt:", False, False),
    ("issued", "Issued certificates f&older:", True, False),
    ("crl", "Its last C&RL:", False, False),
    ("crlnumber", "Its crl&number file:", False, False),
)


class AdoptDialog(QDialog):
    def __init__(self, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.plan: adoption.Plan | None = None
        self.adopted: adoption.Adopted | None = None
        self.setWindowTitle("Adopt a CA made elsewhere (openssl ca, XCA)")
        self.setMinimumSize(860, 680)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.paths: dict[str, QLineEdit] = {}
        for name, text, folder, required in _FIELDS:
            edit = QLineEdit(placeholderText="required" if required else "optional")
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _c=False, e=edit, f=folder: self._browse(e, f))
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(browse)
            label = QLabel(text)
            label.setBuddy(edit)
            form.addRow(label, row)
            self.paths[name] = edit
        self.old_secret = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.old_secret.setPlaceholderText("empty if the key file is not encrypted")
        form.addRow("The key file's &passphrase now:", self.old_secret)
        layout.addLayout(form)
        self.preview_button = QPushButton("&Show what will be adopted")
        self.preview_button.clicked.connect(self.preview)
        layout.addWidget(self.preview_button)
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setObjectName("adoptPreview")
        layout.addWidget(self.text, 1)
        new = QFormLayout()
        self.secret = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.confirmation = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        new.addRow("&New key passphrase (pkiadmin encrypts the key with it):", self.secret)
        new.addRow("R&epeat it:", self.confirmation)
        layout.addLayout(new)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.adopt_button = buttons.addButton("&Adopt", QDialogButtonBox.ButtonRole.AcceptRole)
        self.adopt_button.setEnabled(False)
        buttons.accepted.connect(self.adopt)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for edit in self.paths.values():
            edit.textChanged.connect(self._invalidate)

    def _browse(self, edit: QLineEdit, folder: bool) -> None:
        chosen = (
            QFileDialog.getExistingDirectory(self, "Folder")
            if folder
            else QFileDialog.getOpenFileName(self, "File")[0]
        )
        if chosen:
            edit.setText(chosen)

    def _invalidate(self) -> None:
        self.plan = None
        self.text.clear()
        self.adopt_button.setEnabled(False)

    def sources(self) -> adoption.Sources:
        def path(name: str) -> Path | None:
            text = self.paths[name].text().strip()
            return Path(text) if text else None

        cert, key = path("cert"), path("key")
        if cert is None or key is None:
            raise ValidationError("Choose the CA's certificate and its private key.")
        return adoption.Sources(
            cert, key, self.old_secret.text() or None, path("index"), path("issued"),
            path("crl"), path("crlnumber"),
        )  # fmt: skip

    def preview(self) -> None:
        self.error.hide()
        try:
            sources = self.sources()
        except ValidationError as exc:
            show_in(self.error, self, exc)
            return

        def operation(ws: Workspace, _p: Progress) -> tuple[adoption.Plan, str]:
            found = adoption.plan(ws, sources)
            return found, adoption.describe(found)

        def done(result: tuple[adoption.Plan, str]) -> None:
            self.plan, text = result
            self.text.setPlainText(text)
            self.adopt_button.setEnabled(True)

        self.worker.submit(operation, done, self._failed)

    def adopt(self) -> None:
        if self.plan is None:
            return
        if self.secret.text() != self.confirmation.text():
            show_in(
                self.error, self, ValidationError("The two passphrases differ; type them again.")
            )
            return
        found, secret = self.plan, self.secret.text()

        def operation(ws: Workspace, _p: Progress) -> adoption.Adopted:
            return adoption.adopt(ws, found, secret)

        def done(result: adoption.Adopted) -> None:
            self.adopted = result
            self.secret.clear()
            self.confirmation.clear()
            self.old_secret.clear()
            self.accept()

        self.worker.submit(operation, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        show_in(self.error, self, error)
