"""What the Requests section does: import a CSR, show what it asks for, sign it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from pkiadmin.core.issuance import requests
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import csr
from pkiadmin.gui.dialogs.issue_key import IssueKeyDialog
from pkiadmin.gui.dialogs.sign_batch import SignBatchDialog
from pkiadmin.gui.dialogs.sign_csr import SignCsrDialog
from pkiadmin.gui.errors import show_message
from pkiadmin.gui.pages.requests import RequestsPage
from pkiadmin.gui.shell import Changes, Shell
from pkiadmin.gui.worker import Progress


class RequestOperations:
    def __init__(self, shell: Shell, page: RequestsPage) -> None:
        self.shell = shell
        self.page = page
        self.sign_dialog: SignCsrDialog | None = None
        page.import_requested.connect(self.import_csr)
        page.details_requested.connect(self.load_csr_details)
        page.sign_requested.connect(self.open_sign_dialog)
        page.batch_requested.connect(self.open_batch_dialog)
        page.issue_with_key_requested.connect(self.open_issue_key_dialog)
        self.batch_dialog: SignBatchDialog | None = None

    def import_csr(self, path: Path) -> None:
        def operation(ws: Workspace, _progress: Progress) -> requests.CsrRecord:
            return requests.import_csr(ws, path.read_bytes(), path.name)[0]

        def done(result: requests.CsrRecord) -> None:
            self.shell.status(f"Imported CSR {result.id}: {result.subject}")
            self.shell.go_to("Requests")
            self.shell.refresh(Changes(requests=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def load_csr_details(self, csr_id: int) -> None:
        def operation(ws: Workspace, _progress: Progress) -> csr.CsrInfo:
            return csr.check(requests.load_request(ws, csr_id), blocklists.installed(ws))

        def done(info: csr.CsrInfo) -> None:
            self.page.show_info(csr_id, info)

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def open_sign_dialog(self, csr_id: int) -> SignCsrDialog | None:
        data = self.shell.current_overview()
        issuers = data.authorities if data else ()
        if not issuers:
            QMessageBox.information(
                self.shell.widget,
                "Sign CSR",
                "Create or import a CA first: no CA key is held in this workspace.",
            )
            return None
        dialog = SignCsrDialog(
            self.shell.worker,
            csr_id,
            issuers,
            self.shell.widget,
            data.custodians if data is not None else None,
        )
        dialog.accepted.connect(lambda: self._signed(dialog))
        self.sign_dialog = dialog
        dialog.open()
        return dialog

    def open_issue_key_dialog(self) -> IssueKeyDialog:
        data = self.shell.current_overview()
        dialog = IssueKeyDialog(
            self.shell.worker,
            data.end_entity_issuers if data else (),
            self.shell.workspace_path / "exports" / "issued",
            self.shell.widget,
            data.custodians if data else None,
        )
        dialog.accepted.connect(lambda: self._issued_with_key(dialog))
        self.issue_key_dialog = dialog
        dialog.open()
        return dialog

    def _issued_with_key(self, dialog: IssueKeyDialog) -> None:
        made = dialog.made
        if made is None:
            return
        show_message(
            self.shell.widget,
            "Issued with a key made here",
            f"Certificate {made.cert_id}: {made.certificate.subject.rfc4514_string()}\n"
            + "\n".join(f"Wrote {path}  SHA-256 {digest}" for path, digest in made.files.items()),
        )
        self.shell.refresh(Changes(certificates=True))

    def open_batch_dialog(self) -> SignBatchDialog:
        data = self.shell.current_overview()
        dialog = SignBatchDialog(
            self.shell.worker,
            data.end_entity_issuers if data else (),
            self.shell.widget,
            data.custodians if data else None,
        )
        dialog.accepted.connect(lambda: self._batch_signed(dialog))
        self.batch_dialog = dialog
        dialog.open()
        return dialog

    def _batch_signed(self, dialog: SignBatchDialog) -> None:
        self.shell.status(dialog.summary().splitlines()[0])
        self.shell.refresh(Changes(certificates=True, requests=True, authorities=True))
        if dialog.outcome is not None and (
            dialog.outcome.failed or (dialog.plan and dialog.plan.refused)
        ):
            show_message(self.shell.widget, "Sign a folder of CSRs", dialog.summary())

    def _signed(self, dialog: SignCsrDialog) -> None:
        if dialog.issued is not None:
            self.shell.status(f"Signed certificate {dialog.issued.cert_id}")
        self.shell.refresh(Changes(certificates=True, requests=True, authorities=True))
