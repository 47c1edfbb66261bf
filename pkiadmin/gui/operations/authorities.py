"""What the Authorities section does: create a root or an intermediate CA, check a CA key, the
HSM tokens."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from pkiadmin.core.issuance import authorities
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.dialogs.adopt import AdoptDialog
from pkiadmin.gui.dialogs.ca_settings import CaSettingsDialog
from pkiadmin.gui.dialogs.hsm import HsmDialog
from pkiadmin.gui.dialogs.new_intermediate import NewIntermediateDialog
from pkiadmin.gui.dialogs.new_root import NewRootDialog
from pkiadmin.gui.dialogs.unlock import ask_unlock
from pkiadmin.gui.errors import show_message
from pkiadmin.gui.pages.certificates import CertificatesPage
from pkiadmin.gui.shell import AUDIT_ONLY, Changes, Shell
from pkiadmin.gui.worker import Progress


class AuthorityOperations:
    def __init__(self, shell: Shell, certificates: CertificatesPage) -> None:
        self.shell = shell
        self.certificates = certificates

    def open_new_root_dialog(self) -> NewRootDialog:
        dialog = NewRootDialog(self.shell.worker, self.shell.widget)
        dialog.created.connect(self._root_created)
        dialog.open()
        return dialog

    def open_new_intermediate_dialog(self) -> NewIntermediateDialog:
        data = self.shell.current_overview()
        held = data.authorities if data is not None else ()
        dialog = NewIntermediateDialog(self.shell, held)
        dialog.created.connect(lambda cert_id: self._root_created(cert_id, "Intermediate CA"))
        dialog.open()
        return dialog

    def _root_created(self, cert_id: int, what: str = "Root CA") -> None:
        self.shell.status(f"{what} created.")
        self.shell.go_to("Certificates")

        def select_new() -> None:
            self.certificates.select_cert(cert_id)

        self.shell.refresh(
            Changes(certificates=True, authorities=True, revocation=True), select_new
        )

    def ask_and_verify_key(self, ca_id: int) -> None:
        unlock = ask_unlock(self.shell, ca_id, "Check key passphrase")
        if unlock is not None:
            self.verify_ca_key(ca_id, *unlock)

    def verify_ca_key(
        self, ca_id: int, secret: str | None, share_words: list[str] | None = None
    ) -> None:
        def operation(ws: Workspace, _progress: Progress) -> authorities.KeyCheck:
            return authorities.verify_key(ws, ca_id, secret, share_words)

        def done(result: authorities.KeyCheck) -> None:
            opens = (
                "PIN opens the token holding"
                if result.key_path.name.startswith("pkcs11:")
                else "passphrase opens"
            )
            QMessageBox.information(
                self.shell.widget,
                "Check key passphrase",
                f"The {opens} {result.key_path.name}, and the key matches the certificate "
                f"of {result.name}.",
            )
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def open_settings_dialog(self, ca_id: int) -> CaSettingsDialog:
        data = self.shell.current_overview()
        name = (
            next((a.name for a in data.authorities if a.id == ca_id), f"CA {ca_id}")
            if data
            else f"CA {ca_id}"
        )
        dialog = CaSettingsDialog(self.shell.worker, ca_id, name, self.shell.widget)
        dialog.accepted.connect(lambda: self._settings_saved(name) if dialog.saved else None)
        dialog.open()
        return dialog

    def _settings_saved(self, name: str) -> None:
        self.shell.status(f"Saved the settings of {name}.")
        self.shell.refresh(Changes(authorities=True, revocation=True))

    def open_adopt_dialog(self) -> AdoptDialog:
        dialog = AdoptDialog(self.shell.worker, self.shell.widget)
        dialog.accepted.connect(lambda: self._adopted(dialog))
        dialog.open()
        return dialog

    def _adopted(self, dialog: AdoptDialog) -> None:
        done = dialog.adopted
        if done is None:
            return
        lines = [
            f"Adopted CA {done.ca_id} (certificate {done.cert_id}): {done.issued} issued "
            f"certificate(s), {done.revoked} revocation(s); the key is in {done.key_path.name}, "
            "encrypted.",
            *(f"Note: {note}" for note in done.notes),
        ]
        show_message(self.shell.widget, "CA adopted", "\n".join(lines))
        self.shell.refresh(Changes(certificates=True, authorities=True, revocation=True))

    def open_hsm_dialog(self) -> HsmDialog:
        dialog = HsmDialog(self.shell.worker, self.shell.widget)
        dialog.refresh_tokens()
        dialog.open()
        return dialog
