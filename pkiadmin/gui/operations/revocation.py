"""What the Revocation section does, run on the CA worker: revoke, issue a CRL now (with its
OCSP responses), export, sign OCSP responses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit

from pkiadmin.core.revocation import calendar as crl_status
from pkiadmin.core.revocation import ocsp, publish
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.dialogs.revoke import RevokeDialog
from pkiadmin.gui.dialogs.unlock import ask_unlock
from pkiadmin.gui.errors import show_message
from pkiadmin.gui.pages.revocation import RevocationPage
from pkiadmin.gui.shell import AUDIT_ONLY, Changes, Shell
from pkiadmin.gui.worker import Progress


class RevocationOperations:
    def __init__(self, shell: Shell, page: RevocationPage) -> None:
        self.shell = shell
        self.page = page
        self.revoke_dialog: RevokeDialog | None = None
        page.revoke_requested.connect(self.open_revoke_dialog)
        page.issue_requested.connect(self.ask_and_issue_crl)
        page.export_requested.connect(self.choose_and_export_crl)
        page.ocsp_requested.connect(self.ask_and_sign_ocsp)
        page.ocsp_show_requested.connect(self.choose_and_show_ocsp)

    def open_revoke_dialog(self) -> RevokeDialog:
        data = self.shell.current_overview()
        candidates = data.revocable_certificates if data else ()
        dialog = RevokeDialog(candidates, self.shell.widget)
        dialog.accepted.connect(lambda: self.revoke(*dialog.values()))
        self.revoke_dialog = dialog
        dialog.open()
        return dialog

    def revoke(self, cert_id: int, reason: str, invalidity: datetime | None, note: str) -> None:
        def operation(ws: Workspace, _progress: Progress) -> revocation.Revocation:
            return revocation.revoke(ws, cert_id, reason, None, invalidity, note)

        def done(result: revocation.Revocation) -> None:
            self.shell.status(
                f"Revoked certificate {result.cert_id}; sign a CRL by {result.crl_deadline:%Y-%m-%d %H:%M} UTC.",
                15_000,
            )
            self.shell.refresh(Changes(revocation=True, certificates=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def ask_and_issue_crl(self, ca_id: int) -> None:
        data = self.shell.current_overview()
        status = next((c for c in data.crl_calendar if c.ca_id == ca_id), None) if data else None
        what = "Issue a CRL"
        if status is not None:
            after = f"after CRL {status.number}" if status.number is not None else "its first"
            what += f" ({after}; {len(status.pending)} revocation(s) waiting)"
        unlock = ask_unlock(self.shell, ca_id, what)
        if unlock is not None:
            self.issue_crl(ca_id, *unlock)

    def issue_crl(
        self, ca_id: int, secret: str | None, share_words: list[str] | None = None
    ) -> None:
        def operation(ws: Workspace, progress: Progress) -> publish.Published:
            progress("Linting, signing and verifying the CRL and the OCSP responses")
            return publish.issue(ws, ca_id, secret, share_words)

        def done(result: publish.Published) -> None:
            signed = result.crl.signed
            responses = (
                f" and {result.ocsp.responses} OCSP response(s) into {result.ocsp.folder}"
                if result.ocsp is not None
                else ""
            )
            self.shell.status(
                f"Signed CRL {signed.number} of {signed.draft.ca_name} with {len(signed.draft.entries)} "
                f"entr{'y' if len(signed.draft.entries) == 1 else 'ies'}; nextUpdate "
                f"{signed.draft.next_update:%Y-%m-%d}{responses}.",
                15_000,
            )
            self.shell.refresh(Changes(revocation=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def ask_and_sign_ocsp(self, ca_id: int) -> None:
        """Where, who signs (the CA's key, or one of its delegated responders with its key
        file), then what unlocks it."""
        chosen = QFileDialog.getExistingDirectory(
            self.shell.widget,
            "Sign the OCSP responses into (a new or empty folder)",
            str(self.shell.workspace_path / "exports"),
        )
        if not chosen:
            return
        self.shell.worker.submit(
            lambda ws, _p: ocsp.responder_candidates(ws.db, ca_id),
            lambda found: self._choose_signer(ca_id, Path(chosen), found),
            self.shell.show_failure,
        )

    def _choose_signer(
        self, ca_id: int, folder: Path, candidates: tuple[tuple[int, str], ...]
    ) -> None:
        options = ["The CA's own key"] + [
            f"Delegated responder {cert_id}: {subject}" for cert_id, subject in candidates
        ]
        days, ok = QInputDialog.getInt(
            self.shell.widget,
            "Sign OCSP responses",
            "Valid for how many days (at most the CA's CRL period; 10 at most for publicly "
            "trusted subscriber certificates):",
            7,
            1,
            365,
        )
        if not ok:
            return
        picked = 0
        if candidates:
            text, ok = QInputDialog.getItem(
                self.shell.widget, "Sign OCSP responses", "Signed by:", options, 0, False
            )
            if not ok:
                return
            picked = options.index(text)
        if picked == 0:
            unlock = ask_unlock(self.shell, ca_id, "Sign OCSP responses")
            if unlock is not None:
                self.sign_ocsp(ca_id, folder, *unlock, days=days)
            return
        key_file, _ = QFileDialog.getOpenFileName(
            self.shell.widget,
            "The responder's key (the PKCS#12 or encrypted PKCS#8 file ca issue wrote)",
            str(self.shell.workspace_path / "exports"),
        )
        if not key_file:
            return
        password, ok = QInputDialog.getText(
            self.shell.widget,
            "Sign OCSP responses",
            "Password of the responder's key file:",
            QLineEdit.EchoMode.Password,
        )
        if ok:
            self.sign_ocsp(
                ca_id,
                folder,
                None,
                None,
                (candidates[picked - 1][0], Path(key_file), password),
                days,
            )

    def sign_ocsp(
        self,
        ca_id: int,
        folder: Path,
        secret: str | None,
        share_words: list[str] | None = None,
        delegated: tuple[int, Path, str] | None = None,
        days: int | None = None,
    ) -> None:
        """`delegated`: (responder certificate id, its key file, the file's password); `days`:
        how long the responses are valid (default: the CA's CRL period)."""

        def operation(ws: Workspace, progress: Progress) -> ocsp.OcspExport:
            def counted(done: int, total: int) -> None:
                progress(f"Signed {done} of {total} OCSP responses")

            if delegated is not None:
                cert_id, key_file, password = delegated
                key = ocsp.load_responder_key(key_file, password)
                return ocsp.issue(
                    ws, ca_id, folder=folder, days=days, delegated=(cert_id, key), progress=counted
                )
            return ocsp.issue(
                ws, ca_id, secret, share_words, folder=folder, days=days, progress=counted
            )

        def done(result: ocsp.OcspExport) -> None:
            self.shell.status(
                f"Signed {result.responses} OCSP response(s) ({result.revoked} revoked), valid "
                f"until {result.next_update:%Y-%m-%d %H:%M} UTC, into {result.folder}",
                15_000,
            )
            self.shell.refresh(Changes(revocation=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def choose_and_show_ocsp(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self.shell.widget,
            "Show an OCSP response",
            str(self.shell.workspace_path / "exports"),
            "DER OCSP responses (*.der);;All files (*)",
        )
        if chosen:
            self.show_ocsp(Path(chosen))

    def show_ocsp(self, path: Path) -> None:
        """A response as a person reads it, its signature checked against the CAs held here."""

        def operation(ws: Workspace, _progress: Progress) -> list[str]:
            try:
                if path.stat().st_size > 1 << 20:
                    return ["This is over a megabyte; it is not an OCSP response."]
                data = path.read_bytes()
            except OSError as exc:
                return [f"{path} cannot be read ({exc.strerror})."]
            return ocsp.describe(data, ocsp.known_issuers(ws.db))

        def done(lines: list[str]) -> None:
            show_message(self.shell.widget, f"OCSP response {path.name}", "\n".join(lines))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def choose_and_export_crl(self, crl_id: int) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self.shell.widget, "Export the CRL into", str(self.shell.workspace_path / "exports")
        )
        if chosen:
            self.export_crl(crl_id, Path(chosen))

    def export_crl(self, crl_id: int, folder: Path) -> None:
        def operation(ws: Workspace, _progress: Progress) -> crl_status.CrlExport:
            return crl_status.export(ws, crl_id, folder)

        def done(result: crl_status.CrlExport) -> None:
            self.shell.status(f"Wrote {result.der_path} and {result.pem_path}", 15_000)
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)
