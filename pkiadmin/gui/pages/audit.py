"""The Audit log section: every entry, and the result of verifying the hash chain."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.workspace.audit import AuditEntry, AuditVerdict
from pkiadmin.gui.models.table import (
    Column,
    RecordFilterProxy,
    RecordTableModel,
    record_table,
)

AUDIT_COLUMNS: tuple[Column[AuditEntry], ...] = (
    Column("#", lambda e: str(e.seq), lambda e: e.seq),
    Column("Time (UTC)", lambda e: e.at[:19].replace("T", " ")),
    Column("Actor", lambda e: e.actor),
    Column("Operation", lambda e: e.operation),
    Column("Objects", lambda e: json.dumps(e.objects, sort_keys=True)),
    Column(
        "Artefacts (SHA-256)",
        lambda e: ", ".join(f"{a.name}: {a.sha256[:16]}…" for a in e.artefacts),
        tooltip=lambda e: "\n".join(f"{a.name}: {a.sha256}" for a in e.artefacts),
    ),
    Column("Entry hash", lambda e: e.entry_hash[:16] + "…", tooltip=lambda e: e.entry_hash),
)


class AuditPage(QWidget):
    verify_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.verdict = QLabel("Chain not verified yet.")
        self.verdict.setObjectName("auditVerdict")
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict.setWordWrap(True)
        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.clicked.connect(self.verify_requested)
        top.addWidget(self.verdict, 1)
        top.addWidget(self.verify_button)
        layout.addLayout(top)
        self.model: RecordTableModel[AuditEntry] = RecordTableModel(AUDIT_COLUMNS, self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = record_table(self.proxy, "auditTable", descending=True, single=False)
        layout.addWidget(self.table)

    def set_entries(self, entries: tuple[AuditEntry, ...]) -> None:
        self.model.set_records(entries)

    def set_verdict(self, verdict: AuditVerdict) -> None:
        if verdict.ok:
            self.verdict.setText(f"✔ {verdict.summary}. Head hash {verdict.head_hash}")
            self.verdict.setProperty("state", "ok")
        else:
            self.verdict.setText(f"✘ {verdict.summary}")
            self.verdict.setProperty("state", "bad")
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
