"""What the Revocation section does, run on the CA worker: revoke, issue a CRL now, export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from pkiadmin.core import crl, crl_status, revocation
from pkiadmin.core.workspace import Workspace
from pkiadmin.gui.revocation_page import RevokeDialog
from pkiadmin.gui.worker import Progress

if TYPE_CHECKING:
    from pkiadmin.gui.main_window import MainWindow


class RevocationActions:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.revoke_dialog: RevokeDialog | None = None
        page = window.revocation
        page.revoke_requested.connect(self.open_revoke_dialog)
        page.issue_requested.connect(self.ask_and_issue_crl)
        page.export_requested.connect(self.choose_and_export_crl)

    def open_revoke_dialog(self) -> RevokeDialog:
        candidates = (
            self.window.overview_data.revocable_certificates if self.window.overview_data else ()
        )
        dialog = RevokeDialog(candidates, self.window)
        dialog.accepted.connect(lambda: self.revoke(*dialog.values()))
        self.revoke_dialog = dialog
        dialog.open()
        return dialog

    def revoke(self, cert_id: int, reason: str, invalidity: datetime | None, note: str) -> None:
        def operation(ws: Workspace, _progress: Progress) -> revocation.Revocation:
            return revocation.revoke(ws, cert_id, reason, None, invalidity, note)

        def done(result: object) -> None:
            assert isinstance(result, revocation.Revocation)  # noqa: S101
            self.window.statusBar().showMessage(
                f"Revoked certificate {result.cert_id}; sign a CRL by {result.crl_deadline:%Y-%m-%d %H:%M} UTC.",
                15_000,
            )
            self.window.refresh()

        self.window.worker.submit(operation, done, self.window.show_failure)

    def ask_and_issue_crl(self, ca_id: int) -> None:
        unlock = self.window.ask_unlock(ca_id, "Issue CRL")
        if unlock is not None:
            self.issue_crl(ca_id, *unlock)

    def issue_crl(
        self, ca_id: int, secret: str | None, share_words: list[str] | None = None
    ) -> None:
        def operation(ws: Workspace, progress: Progress) -> crl.IssuedCrl:
            progress("Linting, signing and verifying the CRL")
            return crl.issue(ws, ca_id, secret, share_words)

        def done(result: object) -> None:
            assert isinstance(result, crl.IssuedCrl)  # noqa: S101
            signed = result.signed
            self.window.statusBar().showMessage(
                f"Signed CRL {signed.number} of {signed.draft.ca_name} with {len(signed.draft.entries)} "
                f"entr{'y' if len(signed.draft.entries) == 1 else 'ies'}; nextUpdate "
                f"{signed.draft.next_update:%Y-%m-%d}.",
                15_000,
            )
            self.window.refresh()

        self.window.worker.submit(operation, done, self.window.show_failure)

    def choose_and_export_crl(self, crl_id: int) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self.window, "Export the CRL into", str(self.window.workspace_path / "exports")
        )
        if chosen:
            self.export_crl(crl_id, Path(chosen))

    def export_crl(self, crl_id: int, folder: Path) -> None:
        def operation(ws: Workspace, _progress: Progress) -> crl_status.CrlExport:
            return crl_status.export(ws, crl_id, folder)

        def done(result: object) -> None:
            assert isinstance(result, crl_status.CrlExport)  # noqa: S101
            self.window.statusBar().showMessage(
                f"Wrote {result.der_path} and {result.pem_path}", 15_000
            )

        self.window.worker.submit(operation, done, self.window.show_failure)
