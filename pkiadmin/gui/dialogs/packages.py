"""Building our trust package for a partner and opening theirs, each on the CA worker with its passphrase."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.exchange import package_build, package_open
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.errors import error_label, show_error
from pkiadmin.gui.worker import CaWorkerApi, Progress


class _WorkDialog(QDialog):
    """A form, a button that runs the work on the CA worker with a busy bar, and the result."""

    def __init__(
        self, title: str, action: str, worker: CaWorkerApi, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setWindowTitle(title)
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.run_button = QPushButton(action)
        self.run_button.clicked.connect(self.start)
        layout.addWidget(self.run_button)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        layout.addWidget(self.busy)
        self.error = error_label()
        layout.addWidget(self.error)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.findings = QListWidget()
        self.findings.setObjectName("packageFindings")
        self.findings.hide()
        layout.addWidget(self.findings)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.outcome: object | None = None

    def start(self) -> None:
        raise NotImplementedError

    def run(self, operation: object, on_done: object) -> None:
        self.error.hide()
        self.busy.show()
        self.run_button.setEnabled(False)

        def done(result: object) -> None:
            self.busy.hide()
            self.run_button.setEnabled(True)
            self.outcome = result
            on_done(result)  # type: ignore[operator]

        def failed(error: BaseException) -> None:
            self.busy.hide()
            self.run_button.setEnabled(True)
            if isinstance(error, PkiError):
                self.error.setText(str(error))
                self.error.show()
            else:
                show_error(self, error)

        self.worker.submit(operation, done, failed)  # type: ignore[arg-type]


def _secret_field() -> QLineEdit:
    return QLineEdit(echoMode=QLineEdit.EchoMode.Password)


class BuildPackageDialog(_WorkDialog):
    def __init__(
        self, partner: str, worker: CaWorkerApi, default_dir: Path, parent: QWidget | None
    ) -> None:
        super().__init__(
            f"Build a trust package for {partner}", "&Build, sign and encrypt", worker, parent
        )
        self.partner = partner
        self.out_dir = QLineEdit(str(default_dir))
        self.passphrase = _secret_field()
        self.form.addRow("&Folder:", self.out_dir)
        self.form.addRow("Officer key &passphrase:", self.passphrase)

    def start(self) -> None:
        partner, out, secret = self.partner, Path(self.out_dir.text()), self.passphrase.text()
        self.passphrase.clear()

        def operation(ws: Workspace, progress: Progress) -> package_build.BuiltPackage:
            progress("Building, signing and encrypting")
            return package_build.build(ws, partner, secret, out)

        def done(result: package_build.BuiltPackage) -> None:
            digest = bytes.fromhex(result.manifest_sha256)
            self.summary.setText(
                f"✔ Wrote {result.path}\nVerification sheet: {result.sheet_path}\n"
                f"Manifest SHA-256: {fingerprint.grouped_hex(digest)}\n{' '.join(fingerprint.pgp_words(digest))}"
            )

        self.run(operation, done)


class OpenPackageDialog(_WorkDialog):
    def __init__(self, partner: str, worker: CaWorkerApi, parent: QWidget | None) -> None:
        super().__init__(
            f"Open a trust package from {partner}", "&Decrypt and check", worker, parent
        )
        self.partner = partner
        self.file = QLineEdit(placeholderText="the .tar.gpg file from the partner")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        self.passphrase = _secret_field()
        self.form.addRow("&Package:", self.file)
        self.form.addRow("", browse)
        self.form.addRow("Officer key &passphrase:", self.passphrase)

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Trust package", "", "Packages (*.gpg *.pgp);;All files (*)"
        )
        if chosen:
            self.file.setText(chosen)

    def start(self) -> None:
        partner, path, secret = self.partner, Path(self.file.text()), self.passphrase.text()
        self.passphrase.clear()
        self.findings.clear()
        self.findings.hide()

        def operation(ws: Workspace, progress: Progress) -> package_open.OpenedPackage:
            progress("Decrypting and checking")
            return package_open.open_package(ws, partner, path, secret)

        def done(result: package_open.OpenedPackage) -> None:
            self.findings.show()
            for text in result.blocking:
                self.findings.addItem(QListWidgetItem(f"✘ {text}"))
            for text in result.notes:
                self.findings.addItem(QListWidgetItem(f"✔ {text}"))
            if result.changes:
                self.findings.addItem(
                    QListWidgetItem(
                        "Changed since the CA certificates last verified on a call (the partner "
                        "is unverified until a new call confirms them):"
                    )
                )
            for text in result.changes:
                self.findings.addItem(QListWidgetItem(f"  ◆ {text}"))
            digest = bytes.fromhex(result.manifest_sha256)
            verdict = (
                "✔ ACCEPTED: every check passed. Trust nothing from it before the verification call."
                if result.accepted
                else "✘ REJECTED: the certificates or CRLs failed the checks listed."
            )
            self.summary.setText(
                f"{verdict}\nManifest SHA-256: {fingerprint.grouped_hex(digest)}\n"
                f"{' '.join(fingerprint.pgp_words(digest))}"
            )

        self.run(operation, done)
