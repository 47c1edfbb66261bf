"""The Certificates section: a filterable table of the inventory and a details pane."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QLineEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.certinfo import CertDetails
from pkiadmin.core.inventory import CertRecord
from pkiadmin.gui.cert_details import CertDetailsView
from pkiadmin.gui.table_model import (
    RECORD_ROLE,
    Column,
    RecordFilterProxy,
    RecordTableModel,
    record_table,
    selected_record,
)


def cert_columns(revoked: Callable[[], frozenset[int]]) -> tuple[Column[CertRecord], ...]:
    """The inventory's columns; the status says 'revoked' for a certificate with a revocation."""
    return (
        Column("ID", lambda r: str(r.id), lambda r: r.id),
        Column("Common name", lambda r: r.common_name, tooltip=lambda r: r.subject),
        Column("Issuer", lambda r: r.issuer, tooltip=lambda r: r.issuer),
        Column(
            "Serial",
            lambda r: r.serial_hex[:16] + ("…" if len(r.serial_hex) > 16 else ""),
            lambda r: int(r.serial_hex, 16),
            tooltip=lambda r: r.serial_hex,
        ),
        Column("Not after", lambda r: f"{r.not_after:%Y-%m-%d}", lambda r: r.not_after),
        Column(
            "Key", lambda r: r.key_algorithm if r.key_algorithm != "RSA" else f"RSA {r.key_size}"
        ),
        Column("CA", lambda r: "yes" if r.is_ca else "no"),
        Column("Status", lambda r: "revoked" if r.id in revoked() else r.status()),
        Column("Source", lambda r: r.source.value),
    )


class CertificatesPage(QWidget):
    """Emits details_requested(cert_id) when the selection changes; the window loads them on the worker."""

    details_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.filter = QLineEdit(placeholderText="Filter by name, issuer, serial, status… (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setObjectName("certFilter")
        layout.addWidget(self.filter)
        self.model: RecordTableModel[CertRecord] = RecordTableModel(
            cert_columns(lambda: self._revoked), self
        )
        self._revoked: frozenset[int] = frozenset()
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = record_table(self.proxy, "certTable")
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.details = CertDetailsView()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([300, 400])
        layout.addWidget(splitter)

    def set_records(
        self, records: tuple[CertRecord, ...], revoked: frozenset[int] = frozenset()
    ) -> None:
        selected = self.selected_record()
        self._revoked = revoked
        self.model.set_records(records)
        if selected is not None:
            self.select_cert(selected.id)

    def selected_record(self) -> CertRecord | None:
        return selected_record(self.table, CertRecord)

    def select_cert(self, cert_id: int) -> bool:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            record = index.data(RECORD_ROLE)
            if isinstance(record, CertRecord) and record.id == cert_id:
                self.table.selectRow(row)
                self.table.scrollTo(index)
                return True
        return False

    def show_details(self, cert_id: int, details: CertDetails) -> None:
        selected = self.selected_record()
        if selected is not None and selected.id == cert_id:
            self.details.show_details(details)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        record = self.selected_record()
        if record is None:
            self.details.show_nothing()
        else:
            self.details_requested.emit(record.id)
