"""What the Partners section does, each on the CA worker with its result or error shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.exchange import call_records as calls
from pkiadmin.core.exchange import package_build, package_open, partners, pgp
from pkiadmin.core.exchange import trust_store as trust
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.dialogs.call import CallDialog
from pkiadmin.gui.errors import error_label, show_error
from pkiadmin.gui.pages.partners import PartnersPage
from pkiadmin.gui.shell import Changes, Shell
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


class PartnerOperations:
    def __init__(self, shell: Shell, page: PartnersPage) -> None:
        self.shell = shell
        self.page = page
        self.dialog: QDialog | None = None
        page.add_requested.connect(self.add_partner)
        page.import_key_requested.connect(self.choose_and_import_key)
        page.officer_key_requested.connect(self.officer_key)
        page.build_requested.connect(self.open_build)
        page.open_requested.connect(self.open_package_dialog)
        page.call_requested.connect(self.open_call)
        page.export_trust_requested.connect(self.choose_and_export_trust)

    def _submit(self, operation: Callable[[Workspace, Progress], object], message: str) -> None:
        def done(_result: object) -> None:
            self.shell.status(message, 10_000)
            self.shell.refresh(Changes(partners=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def add_partner(self, name: str = "", organisation: str = "", contact: str = "") -> None:
        if not name:
            name, ok = QInputDialog.getText(self.shell.widget, "Add partner", "Short name:")
            if not ok:
                return
            organisation, ok = QInputDialog.getText(
                self.shell.widget, "Add partner", "Organisation's full name:"
            )
            if not ok:
                return
            contact, _ok = QInputDialog.getText(
                self.shell.widget,
                "Add partner",
                "Contact as NAME|ROLE|PHONE|WHERE THE NUMBER CAME FROM (optional):",
            )
        parts = [p.strip() for p in contact.split("|")] if contact.strip() else []
        contacts = (partners.Contact(*parts),) if len(parts) == 4 else ()
        self._submit(
            lambda ws, _p: partners.add(ws, name, organisation, contacts), f"Added partner {name}."
        )

    def choose_and_import_key(self, name: str) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self.shell.widget,
            f"OpenPGP key of {name}",
            "",
            "Keys (*.asc *.gpg *.pgp);;All files (*)",
        )
        if not chosen:
            return
        expected, _ok = QInputDialog.getText(
            self.shell.widget,
            "Import key",
            "Fingerprint as read out by the partner (40 hex; empty to skip):",
        )
        self.import_key(name, Path(chosen), expected or None)

    def import_key(self, name: str, path: Path, expected: str | None) -> None:
        self._submit(
            lambda ws, _p: partners.import_key(ws, name, path.read_bytes(), expected),
            f"Imported the key of {name}: unverified until the call.",
        )

    def officer_key(self) -> None:
        data = self.shell.current_overview()
        current = data.officer_fingerprint if data else None
        if current:
            words = " ".join(fingerprint.pgp_words(bytes.fromhex(current)))
            QMessageBox.information(
                self.shell.widget,
                "Our officer key",
                f"{pgp.grouped(current)}\n{words}\n\nExport the public key for partners with:\n"
                "pkiadmin-cli partner officer-key --export FILE",
            )
            return
        name, ok = QInputDialog.getText(self.shell.widget, "Our officer key", "Officer's name:")
        if not ok:
            return
        email, ok = QInputDialog.getText(self.shell.widget, "Our officer key", "E-mail:")
        if not ok:
            return
        secret, ok = QInputDialog.getText(
            self.shell.widget,
            "Our officer key",
            "Passphrase (at least 16 characters):",
            QLineEdit.EchoMode.Password,
        )
        if ok:
            self.generate_officer_key(name, email, secret)

    def generate_officer_key(self, name: str, email: str, secret: str) -> None:
        self._submit(
            lambda ws, _p: partners.generate_officer_key(ws, name, email, secret),
            "Generated the officer key.",
        )

    def open_build(self, name: str) -> BuildPackageDialog:
        dialog = BuildPackageDialog(
            name,
            self.shell.worker,
            self.shell.workspace_path / "exports" / "packages",
            self.shell.widget,
        )
        dialog.finished.connect(lambda _c: self.shell.refresh(Changes(partners=True)))
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_package_dialog(self, name: str) -> OpenPackageDialog:
        dialog = OpenPackageDialog(name, self.shell.worker, self.shell.widget)
        dialog.finished.connect(
            lambda _c: self.shell.refresh(Changes(partners=True, certificates=True))
        )
        self.dialog = dialog
        dialog.open()
        return dialog

    def choose_and_export_trust(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self.shell.widget,
            "Export the partner trust store",
            str(self.shell.workspace_path / "exports" / "partner-cas.pem"),
            "PEM bundle for nginx ssl_client_certificate (*.pem)",
        )
        if chosen:
            self.export_trust(Path(chosen))

    def export_trust(self, path: Path) -> None:
        """The CA certificates confirmed on verified calls, as a PEM bundle listing each fingerprint."""

        def operation(ws: Workspace, _p: Progress) -> trust.TrustExport:
            return trust.export(ws, "pem", path)

        def done(result: trust.TrustExport) -> None:
            self.shell.status(
                f"Wrote {result.path} with {len(result.certificates)} partner CA certificate(s).",
                15_000,
            )

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def open_call(self, name: str) -> None:
        """Load the values to compare on the worker, then open the call screen."""

        def operation(ws: Workspace, _p: Progress) -> _CallSetup:
            partner = partners.get(ws.db, name)
            return _CallSetup(
                calls.start(ws, name),
                partners.officer_fingerprint(ws.db),
                partner.pgp_fingerprint,
            )

        def done(result: _CallSetup) -> None:
            dialog = CallDialog(
                self.shell.worker, name, result.plan, result.ours, result.theirs, self.shell.widget
            )
            dialog.finished.connect(lambda _c: self.shell.refresh(Changes(partners=True)))
            self.dialog = dialog
            dialog.open()

        self.shell.worker.submit(operation, done, self.shell.show_failure)


@dataclass(frozen=True)
class _CallSetup:
    plan: calls.CallPlan
    ours: str | None
    theirs: str | None
