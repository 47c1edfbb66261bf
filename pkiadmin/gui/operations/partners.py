"""What the Partners section does, each on the CA worker with its result or error shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
)

from pkiadmin.core.base import fingerprint
from pkiadmin.core.exchange import call_records as calls
from pkiadmin.core.exchange import (
    package_inputs,
    package_inspect,
    partner_validation,
    partners,
    pgp,
)
from pkiadmin.core.exchange import trust_store as trust
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.dialogs.call import CallDialog
from pkiadmin.gui.dialogs.packages import BuildPackageDialog, OpenPackageDialog
from pkiadmin.gui.errors import show_message
from pkiadmin.gui.pages.partners import PartnersPage
from pkiadmin.gui.shell import AUDIT_ONLY, Changes, Shell
from pkiadmin.gui.worker import Progress

_TRUST_FORMATS = {
    "nginx and Apache (ssl_client_certificate): a PEM bundle": "pem",
    "openssl -CApath: hashed files in a folder": "openssl-dir",
    "Java (keytool, a PKCS#12 truststore)": "p12",
}


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
        page.export_crls_requested.connect(self.choose_and_export_crls)

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
            box = QMessageBox(self.shell.widget)
            box.setWindowTitle("Our officer key")
            box.setText(
                f"{pgp.grouped(current)}\n{words}\n\nPartners need its public key to encrypt "
                "their packages to us and to check ours."
            )
            export = box.addButton("&Export the public key…", QMessageBox.ButtonRole.ActionRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.exec()
            if box.clickedButton() is export:
                chosen, _ = QFileDialog.getSaveFileName(
                    self.shell.widget,
                    "Our officer's public key",
                    str(self.shell.workspace_path / "exports" / "officer-key.asc"),
                    "OpenPGP key (*.asc)",
                )
                if chosen:
                    self.export_officer_key(Path(chosen))
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

    def export_officer_key(self, path: Path) -> None:
        def operation(ws: Workspace, _p: Progress) -> str:
            return partners.export_officer_key(ws, path)

        def done(fpr: str) -> None:
            self.shell.status(f"Wrote our officer's public key {pgp.grouped(fpr)} to {path}.")

        self.shell.worker.submit(operation, done, self.shell.show_failure)

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
        kind, ok = QInputDialog.getItem(
            self.shell.widget,
            "Export the partner trust store",
            "For:",
            list(_TRUST_FORMATS),
            0,
            False,
        )
        if not ok:
            return
        fmt = _TRUST_FORMATS[kind]
        exports = self.shell.workspace_path / "exports"
        password: str | None = None
        if fmt == "openssl-dir":
            chosen = QFileDialog.getExistingDirectory(
                self.shell.widget, "An empty folder for openssl -CApath", str(exports)
            )
        else:
            chosen, _ = QFileDialog.getSaveFileName(
                self.shell.widget,
                "Export the partner trust store",
                str(exports / ("partner-cas.p12" if fmt == "p12" else "partner-cas.pem")),
            )
        if not chosen:
            return
        if fmt == "p12":
            password, ok = QInputDialog.getText(
                self.shell.widget,
                "Truststore password",
                "Password of the Java truststore (keytool -storepass):",
                QLineEdit.EchoMode.Password,
            )
            if not ok:
                return
        self.export_trust(Path(chosen), fmt, password)

    def export_trust(self, path: Path, fmt: str = "pem", password: str | None = None) -> None:
        """The CA certificates confirmed on verified calls: a PEM bundle listing each
        fingerprint, hashed files for openssl -CApath, or a PKCS#12 truststore for Java."""

        def operation(ws: Workspace, _p: Progress) -> trust.TrustExport:
            return trust.export(ws, fmt, path, password)

        def done(result: trust.TrustExport) -> None:
            self.shell.status(
                f"Wrote {result.path} with {len(result.certificates)} partner CA certificate(s).",
                15_000,
            )

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def choose_and_export_crls(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self.shell.widget,
            "Export the trusted partners' CRLs",
            str(self.shell.workspace_path / "exports" / "partner-crls.pem"),
            "PEM bundle for nginx ssl_crl (*.pem)",
        )
        if chosen:
            self.export_crls(Path(chosen))

    def export_crls(self, path: Path) -> None:
        """The current CRL of every trusted partner CA, each checked against its CA; a missing or
        stale one is refused with what to ask the partner for."""

        def operation(ws: Workspace, _p: Progress) -> trust.CrlExport:
            return trust.export_crls(ws, "pem", path)

        def done(result: trust.CrlExport) -> None:
            soonest = min(c.next_update for c in result.crls)
            self.shell.status(
                f"Wrote {result.path} with {len(result.crls)} partner CRL(s); the first expires "
                f"{soonest:%Y-%m-%d %H:%M} UTC.",
                15_000,
            )
            self.shell.refresh(AUDIT_ONLY)

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

    # --- looking before trusting --------------------------------------------------------------

    def choose_and_validate_hierarchy(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self.shell.widget, "A folder with a partner's CA certificates and CRLs"
        )
        if chosen:
            self.validate_hierarchy([Path(chosen)])

    def validate_hierarchy(self, paths: list[Path]) -> None:
        """RFC 5280 validation of a partner's hierarchy (certificates and CRLs, the self-signed
        ones as anchors), every certificate's verdict with its reasons."""

        def operation(_ws: Workspace, _p: Progress) -> tuple[bool, str]:
            report, problems = package_inputs.validate_files(paths)
            text = partner_validation.describe(report, problems)
            return report.accepted and not problems, text

        def done(result: tuple[bool, str]) -> None:
            accepted, text = result
            title = (
                "Partner hierarchy: every certificate accepted"
                if accepted
                else ("Partner hierarchy: NOT accepted")
            )
            show_message(
                self.shell.widget, title, text or "No certificate was found.", not accepted
            )

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def choose_and_inspect_package(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self.shell.widget, "A trust package to look at", "", "Packages (*.gpg);;All files (*)"
        )
        if chosen:
            self.inspect_package(Path(chosen))

    def inspect_package(self, path: Path) -> None:
        """Without decrypting: its size, SHA-256 and the keys it is encrypted to."""

        def operation(ws: Workspace, _p: Progress) -> package_inspect.Inspection:
            return package_inspect.inspect(ws, path)

        def done(found: package_inspect.Inspection) -> None:
            show_message(self.shell.widget, "Trust package", found.describe())

        self.shell.worker.submit(operation, done, self.shell.show_failure)


@dataclass(frozen=True)
class _CallSetup:
    plan: calls.CallPlan
    ours: str | None
    theirs: str | None
