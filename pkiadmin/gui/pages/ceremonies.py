"""The Ceremonies section: past ceremonies with their reports; run, rehearse, plan, verify."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.ceremony.store import CeremonyRecord
from pkiadmin.gui.models.table import (
    Column,
    RecordFilterProxy,
    RecordTableModel,
    record_table,
    selected_record,
)

CEREMONY_COLUMNS: tuple[Column[CeremonyRecord], ...] = (
    Column("ID", lambda c: str(c.id), lambda c: c.id),
    Column("Plan", lambda c: c.plan_id, tooltip=lambda c: c.purpose),
    Column("Status", lambda c: c.status.value),
    Column("Rehearsal", lambda c: "yes" if c.rehearsal else "no"),
    Column("Started (UTC)", lambda c: f"{c.started_at:%Y-%m-%d %H:%M}", lambda c: c.started_at),
    Column("Ended (UTC)", lambda c: f"{c.ended_at:%Y-%m-%d %H:%M}" if c.ended_at else "-"),
    Column("CA", lambda c: str(c.ca_id or "-")),
    Column("Report", lambda c: c.report_dir or "-", tooltip=lambda c: c.report_dir or ""),
)


class CeremoniesPage(QWidget):
    run_requested = Signal(bool)  # rehearsal?
    new_plan_requested = Signal()
    verify_requested = Signal(str)  # report folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Key ceremonies</h2>"), 1)
        buttons = (
            ("New &plan…", self.new_plan_requested.emit),
            ("Re&hearse…", lambda: self.run_requested.emit(True)),
            ("&Run ceremony…", lambda: self.run_requested.emit(False)),
        )
        for text, slot in buttons:
            button = QPushButton(text)
            button.clicked.connect(slot)
            top.addWidget(button)
        self.verify_button = QPushButton("&Verify report")
        self.verify_button.setEnabled(False)
        self.verify_button.clicked.connect(self._verify)
        top.addWidget(self.verify_button)
        layout.addLayout(top)
        self.model: RecordTableModel[CeremonyRecord] = RecordTableModel(CEREMONY_COLUMNS, self)
        proxy = RecordFilterProxy(self)
        proxy.setSourceModel(self.model)
        self.table = record_table(proxy, "ceremonyTable", descending=True)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        layout.addWidget(self.table)
        self.verdict = QLabel()
        self.verdict.setObjectName("reportVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.verdict)

    def set_ceremonies(self, records: tuple[CeremonyRecord, ...]) -> None:
        self.model.set_records(records)

    def selected(self) -> CeremonyRecord | None:
        return selected_record(self.table, CeremonyRecord)

    def _selection_changed(self) -> None:
        record = self.selected()
        self.verify_button.setEnabled(bool(record and record.report_dir))
        self.verdict.clear()

    def _verify(self) -> None:
        record = self.selected()
        if record and record.report_dir:
            self.verify_requested.emit(record.report_dir)
