"""The Revocation section: each CA's CRL calendar, revocations (pending ones with their deadline),
signed CRLs; revoke, issue a CRL now, export."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.revocation.calendar import CrlStatus
from pkiadmin.core.revocation.crl import CrlRecord
from pkiadmin.core.revocation.records import Revocation
from pkiadmin.gui.models.table import (
    Column,
    RecordFilterProxy,
    RecordTableModel,
    record_table,
    selected_record,
)
from pkiadmin.gui.pages.authorities import STATE_COLOURS


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


REVOCATION_COLUMNS: tuple[Column[Revocation], ...] = (
    Column("Certificate", lambda r: str(r.cert_id), lambda r: r.cert_id),
    Column("Subject", lambda r: r.subject, tooltip=lambda r: r.note),
    Column("Serial", lambda r: r.serial[:16], tooltip=lambda r: r.serial),
    Column("Reason", lambda r: r.reason),
    Column("Revoked (UTC)", lambda r: _when(r.revoked_at), lambda r: r.revoked_at),
    Column(
        "In CRL",
        lambda r: (
            str(r.crl_number) if r.crl_number else f"pending: sign by {_when(r.crl_deadline)}"
        ),
    ),
)
CRL_COLUMNS: tuple[Column[CrlRecord], ...] = (
    Column("ID", lambda c: str(c.id), lambda c: c.id),
    Column("CA", lambda c: c.ca_name),
    Column("Number", lambda c: str(c.number), lambda c: c.number),
    Column("thisUpdate (UTC)", lambda c: _when(c.this_update), lambda c: c.this_update),
    Column("nextUpdate (UTC)", lambda c: _when(c.next_update), lambda c: c.next_update),
    Column("Entries", lambda c: str(c.entries), lambda c: c.entries),
    Column("Ceremony", lambda c: str(c.ceremony_id or "quick mode")),
)


class RevocationPage(QWidget):
    revoke_requested = Signal()
    issue_requested = Signal(int)  # CA id
    export_requested = Signal(int)  # CRL id
    ocsp_requested = Signal(int)  # CA id
    ocsp_show_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Revocation and CRLs</h2>"), 1)
        self.revoke_button = QPushButton("&Revoke certificate…")
        self.revoke_button.clicked.connect(self.revoke_requested)
        self.issue_button = QPushButton("&Issue CRL now…")
        self.issue_button.setToolTip(
            "Sign the selected CA's next CRL (quick mode, audited as unwitnessed)"
        )
        self.issue_button.clicked.connect(self._issue)
        self.export_button = QPushButton("E&xport CRL…")
        self.export_button.clicked.connect(self._export)
        self.ocsp_button = QPushButton("Sign &OCSP responses…")
        self.ocsp_button.setObjectName("ocspButton")
        self.ocsp_button.setToolTip(
            "Sign a pre-signed OCSP response for every certificate the selected CA issued, into "
            "a folder for the online responder (also done with every CRL)"
        )
        self.ocsp_button.clicked.connect(self._ocsp)
        self.ocsp_show_button = QPushButton("Show OCSP res&ponse…")
        self.ocsp_show_button.setToolTip("Read a DER OCSP response and check who signed it")
        self.ocsp_show_button.clicked.connect(self.ocsp_show_requested)
        for button in (
            self.revoke_button,
            self.issue_button,
            self.export_button,
            self.ocsp_button,
            self.ocsp_show_button,
        ):
            top.addWidget(button)
        layout.addLayout(top)
        layout.addWidget(
            QLabel(
                "<b>Re-signing calendar</b> — the next ceremony is due at nextUpdate minus the overlap"
            )
        )
        self.calendar = QTableWidget(0, 8)
        self.calendar.setObjectName("crlCalendar")
        self.calendar.setHorizontalHeaderLabels(
            [
                "CA",
                "State",
                "CRL",
                "nextUpdate (UTC)",
                "Days left",
                "Ceremony due (UTC)",
                "OCSP valid until (UTC)",
                "Why",
            ]
        )
        self.calendar.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.calendar.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.calendar.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.calendar.verticalHeader().hide()
        self.calendar.horizontalHeader().setStretchLastSection(True)
        self.calendar.setMaximumHeight(180)
        layout.addWidget(self.calendar)
        layout.addWidget(QLabel("<b>Revocations</b>"))
        self.revocations: RecordTableModel[Revocation] = RecordTableModel(REVOCATION_COLUMNS, self)
        proxy = RecordFilterProxy(self)
        proxy.setSourceModel(self.revocations)
        self.revocation_table = record_table(proxy, "revocationTable", descending=True)
        layout.addWidget(self.revocation_table)
        layout.addWidget(QLabel("<b>Signed CRLs</b>"))
        self.crls: RecordTableModel[CrlRecord] = RecordTableModel(CRL_COLUMNS, self)
        crl_proxy = RecordFilterProxy(self)
        crl_proxy.setSourceModel(self.crls)
        self.crl_table = record_table(crl_proxy, "crlTable", descending=True)
        self.crl_table.selectionModel().selectionChanged.connect(lambda *_: self._show_crl())
        layout.addWidget(self.crl_table)
        self.crl_details = QLabel()
        self.crl_details.setObjectName("crlDetails")
        self.crl_details.setWordWrap(True)
        self.crl_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.crl_details)
        self._statuses: tuple[CrlStatus, ...] = ()

    def set_data(
        self,
        statuses: tuple[CrlStatus, ...],
        revocations: tuple[Revocation, ...],
        crls: tuple[CrlRecord, ...],
    ) -> None:
        self._statuses = statuses
        self.calendar.setRowCount(len(statuses))
        for row, s in enumerate(statuses):
            values = [
                s.ca_name,
                s.state.value,
                str(s.number or "-"),
                _when(s.next_update),
                str(s.days_left) if s.days_left is not None else "-",
                _when(s.due_at),
                _when(s.ocsp_next_update),
                "; ".join(r for r in (s.reason, s.ocsp_problem) if r),
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 1:
                    item.setForeground(QBrush(QColor(STATE_COLOURS[s.state])))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.calendar.setItem(row, column, item)
        self.calendar.resizeColumnsToContents()
        if statuses and not self.calendar.selectedItems():
            self.calendar.selectRow(0)
        self.revocations.set_records(revocations)
        self.crls.set_records(crls)
        self.issue_button.setEnabled(bool(statuses))
        self.ocsp_button.setEnabled(bool(statuses))

    def _show_crl(self) -> None:
        record = selected_record(self.crl_table, CrlRecord)
        if record is None:
            self.crl_details.clear()
            return
        listed = [
            r
            for r in self.revocations.records()
            if r.ca_id == record.ca_id
            and r.crl_number is not None
            and r.crl_number <= record.number
        ]
        lines = [
            f"CRL {record.number} of {record.ca_name}: thisUpdate {_when(record.this_update)}, "
            f"nextUpdate {_when(record.next_update)} UTC; SHA-256 {record.sha256}"
        ]
        lines += [
            f"    serial {r.serial}: {r.subject}, {r.reason}, revoked {_when(r.revoked_at)} UTC"
            for r in listed
        ] or ["    no revoked certificates"]
        self.crl_details.setText("\n".join(lines))

    def selected_ca(self) -> int | None:
        row = self.calendar.currentRow()
        return self._statuses[row].ca_id if 0 <= row < len(self._statuses) else None

    def _issue(self) -> None:
        ca_id = self.selected_ca()
        if ca_id is not None:
            self.issue_requested.emit(ca_id)

    def _ocsp(self) -> None:
        ca_id = self.selected_ca()
        if ca_id is not None:
            self.ocsp_requested.emit(ca_id)

    def _export(self) -> None:
        record = selected_record(self.crl_table, CrlRecord)
        if record is None and self.crls.records():
            record = max(self.crls.records(), key=lambda c: c.id)
        if record is not None:
            self.export_requested.emit(record.id)
