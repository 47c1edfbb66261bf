"""What concerns the whole workspace: verifying the audit log, confirming the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QInputDialog

from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.workspace import audit, clock
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.pages.audit import AuditPage
from pkiadmin.gui.shell import AUDIT_ONLY, Shell
from pkiadmin.gui.worker import Progress


class WorkspaceOperations:
    def __init__(self, shell: Shell, audit_page: AuditPage) -> None:
        self.shell = shell
        self.audit_page = audit_page
        audit_page.verify_requested.connect(self.verify_audit)

    def verify_audit(self) -> None:
        def operation(ws: Workspace, _progress: Progress) -> audit.AuditVerdict:
            return audit_replay.verify(ws.db, ws.exports_dir)

        def done(result: audit.AuditVerdict) -> None:
            self.audit_page.set_verdict(result)
            self.shell.go_to("Audit log")

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def confirm_clock(self) -> None:
        """Record (audited) that a person checked the clock: needed before a key is used when the
        clock is earlier than the last audit entry or more than 30 days after it."""
        who, ok = QInputDialog.getText(
            self.shell.widget,
            "Confirm the clock",
            f"The clock says {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC.\n"
            "Check it against a reliable source (a radio clock, a second device).\n\n"
            "Your name (recorded in the audit log):",
        )
        if ok and who.strip():
            self.record_clock_check(who.strip())

    def record_clock_check(self, who: str) -> None:
        def operation(ws: Workspace, _p: Progress) -> datetime:
            return clock.confirm(ws.db, who)

        def done(confirmed: datetime) -> None:
            self.shell.status(f"Clock confirmed at {confirmed} by {who}.", 15_000)
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)
