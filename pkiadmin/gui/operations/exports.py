"""File → Export: the files other tools and people read, each written on the CA worker (never
over an existing file, audited): a CA's index.txt for openssl, the compliance report, and the
printable verification sheet for a partner's call."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog

from pkiadmin.core.exchange import call_sheet
from pkiadmin.core.inventory import compliance_report
from pkiadmin.core.issuance import openssl_index
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.shell import AUDIT_ONLY, Shell
from pkiadmin.gui.worker import Progress

_REPORT_FORMATS = {
    "PDF, to print and sign": compliance_report.ReportFormat.PDF,
    "CSV, for a spreadsheet": compliance_report.ReportFormat.CSV,
    "JSON, for scripts": compliance_report.ReportFormat.JSON,
}


class ExportOperations:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    def _exports(self, name: str) -> str:
        return str(self.shell.workspace_path / "exports" / name)

    def choose_and_write_index_txt(self, ca_id: int | None) -> None:
        """openssl ca's index.txt of the CA selected in Authorities."""
        data = self.shell.current_overview()
        held = {a.id: a.name for a in data.authorities} if data else {}
        if ca_id is None or ca_id not in held:
            self.shell.status("Select a CA held here in Authorities first.")
            self.shell.go_to("Authorities")
            return
        chosen, _ = QFileDialog.getSaveFileName(
            self.shell.widget, f"index.txt of {held[ca_id]}", self._exports("index.txt")
        )
        if chosen:
            self.write_index_txt(ca_id, Path(chosen))

    def write_index_txt(self, ca_id: int, out: Path) -> None:
        def operation(ws: Workspace, _p: Progress) -> int:
            return openssl_index.write_index_txt(ws, ca_id, out)

        def done(entries: int) -> None:
            self.shell.status(f"Wrote {out} with {entries} entr{'y' if entries == 1 else 'ies'}.")
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def choose_and_write_compliance_report(self) -> None:
        kind, ok = QInputDialog.getItem(
            self.shell.widget, "Compliance report", "Format:", list(_REPORT_FORMATS), 0, False
        )
        if not ok:
            return
        fmt = _REPORT_FORMATS[kind]
        chosen, _ = QFileDialog.getSaveFileName(
            self.shell.widget, "Compliance report", self._exports(f"compliance.{fmt.value}")
        )
        if chosen:
            self.write_compliance_report(fmt, Path(chosen))

    def write_compliance_report(self, fmt: compliance_report.ReportFormat, out: Path) -> None:
        now = self.shell.clock()

        def operation(ws: Workspace, _p: Progress) -> compliance_report.Report:
            return compliance_report.write(ws, fmt, out, now)

        def done(result: compliance_report.Report) -> None:
            self.shell.status(
                f"Wrote {out}: {len(result.findings)} of {result.total} certificate(s) have "
                "findings."
            )
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def choose_and_write_call_sheet(self) -> None:
        data = self.shell.current_overview()
        names = [p.name for p in data.partners] if data else []
        if not names:
            self.shell.status("Add the partner first (Partners → Add partner…).")
            return
        name, ok = QInputDialog.getItem(
            self.shell.widget, "Verification sheet", "The call with:", names, 0, False
        )
        if not ok:
            return
        chosen, _ = QFileDialog.getSaveFileName(
            self.shell.widget,
            f"Verification sheet for the call with {name}",
            self._exports(f"call-sheet-{name}.pdf"),
            "PDF (*.pdf)",
        )
        if chosen:
            self.write_call_sheet(name, Path(chosen))

    def write_call_sheet(self, partner: str, out: Path) -> None:
        def operation(ws: Workspace, _p: Progress) -> Path:
            return call_sheet.write(ws, partner, out)

        def done(path: Path) -> None:
            self.shell.status(f"Wrote {path}. Print it for the officer making the call.")
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)
