"""The Certificates section: search and filters over the whole inventory (a lazy model, a million
rows stay responsive), the details pane with compliance findings and metadata, and the actions
on views: import, export of the view, edit metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.exchange.partners import Partner
from pkiadmin.core.inventory import compliance, query
from pkiadmin.core.inventory.certrecord import CertRecord, Source
from pkiadmin.core.x509.describe import CertDetails
from pkiadmin.gui.errors import show_message
from pkiadmin.gui.models.certificates import RECORD_ROLE, CertTableModel, InventoryReader
from pkiadmin.gui.pages.cert_details import CertDetailsView

# The search runs once typing pauses this long: long enough that a burst of keys (a fast typist,
# key repeat) asks once, short enough that the query at 1,000,000 rows (up to about 130 ms for a
# word every row holds) fits in the 200 ms a person waits for results (docs/benchmarks.md). A
# query still running when a key comes is interrupted.
TYPING_PAUSE_MS = 50

_EXPIRY: tuple[tuple[str, query.Filter], ...] = (
    ("Any expiry", query.Filter()),
    ("Expired", query.Filter(expired=True)),
    *((f"Expires within {d} day{'s' if d > 1 else ''}", query.Filter(expires_within_days=d))
      for d in (1, 3, 7, 14, 30, 90, 365)),
    ("Not yet valid", query.Filter(not_yet_valid=True)),
)  # fmt: skip

if TYPE_CHECKING:
    from pkiadmin.core.overview import Choices


def _combo(name: str, items: list[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for text, data in items:
        combo.addItem(text, data)
    return combo


class CertificatesPage(QWidget):
    """Emits details_requested(cert_id) when the selection changes; the window loads them on the
    CA worker. import/export/edit requests go to the window too."""

    details_requested = Signal(int)
    import_requested = Signal()
    export_view_requested = Signal()
    edit_metadata_requested = Signal(int)
    renew_requested = Signal(int)  # a service certificate issued here under a profile

    def __init__(self, reader: InventoryReader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.filter = QLineEdit(placeholderText="Search names, SANs, serial, fingerprint… (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setObjectName("certFilter")
        self.expiry = _combo("expiryFilter", [(t, f) for t, f in _EXPIRY])
        self.status = _combo(
            "revokedFilter", [("Revoked or not", None), ("Revoked", True), ("Not revoked", False)]
        )
        self.kind = _combo(
            "kindFilter", [("CA and end-entity", None), ("CA", True), ("End-entity", False)]
        )
        self.source = _combo(
            "sourceFilter",
            [
                ("Issued or imported", None),
                ("Issued here", Source.ISSUED),
                ("Imported", Source.IMPORTED),
            ],
        )
        self.finding = _combo(
            "findingFilter",
            [("Any compliance", None)] + [(f"Finding: {r.code}", r.code) for r in compliance.RULES],
        )
        self.environment = _combo("environmentFilter", [("Any environment", None)])
        self.partner = _combo("partnerFilter", [("Any partner", None)])
        self.algorithm = _combo("algorithmFilter", [("Any key", None)])
        self.issuer = _combo("issuerFilter", [("Any issuer", None)])
        self.clear_button = QPushButton("C&lear filters")
        grid = QGridLayout()
        grid.addWidget(self.filter, 0, 0, 1, 3)
        grid.addWidget(self.expiry, 0, 3)
        grid.addWidget(self.status, 0, 4)
        grid.addWidget(self.clear_button, 0, 5)
        for column, widget in enumerate(
            (self.kind, self.source, self.finding, self.environment, self.partner, self.algorithm)
        ):
            grid.addWidget(widget, 1, column)
        grid.addWidget(self.issuer, 2, 0, 1, 3)
        layout.addLayout(grid)

        actions = QHBoxLayout()
        self.count_label = QLabel("…")
        self.count_label.setObjectName("certCount")
        actions.addWidget(self.count_label, 1)
        self.import_button = QPushButton("&Import certificates…")
        self.import_button.clicked.connect(self.import_requested)
        self.export_button = QPushButton("E&xport view…")
        self.export_button.setToolTip("Write every certificate of this view as CSV or JSON")
        self.export_button.clicked.connect(self.export_view_requested)
        self.edit_button = QPushButton("Edit &metadata…")
        self.edit_button.setEnabled(False)
        self.edit_button.clicked.connect(self._edit_selected)
        self.renew_button = QPushButton("Re&new…")
        self.renew_button.setToolTip(
            "The successor of the selected service certificate, from a new CSR (same names)"
        )
        self.renew_button.setEnabled(False)
        self.renew_button.clicked.connect(self._renew_selected)
        for button in (self.import_button, self.export_button, self.edit_button, self.renew_button):
            actions.addWidget(button)
        layout.addLayout(actions)

        self.model = CertTableModel(reader, self)
        self.table = QTableView()
        self.table.setObjectName("certTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._sort_changed)
        # Every default column fits at 1280x800 without scrolling sideways: the names share
        # what the fixed columns leave (a long name is elided; its details show it whole).
        for column, width in enumerate((56, 0, 0, 128, 86, 84, 34, 84, 72, 92, 84)):
            if width:
                self.table.setColumnWidth(column, width)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self._sorted = (0, Qt.SortOrder.DescendingOrder)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        # A new search resets the model, and Qt clears the selection without saying so: the
        # details pane must not keep showing a certificate that is no longer selected.
        self.model.modelReset.connect(self._after_reset)
        self.details = CertDetailsView()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([420, 300])
        layout.addWidget(splitter, 1)

        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.apply_filters)
        self.filter.textChanged.connect(lambda _text: self._typing.start())
        for combo in self._combos():
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.clear_button.clicked.connect(self.clear_filters)
        self.model.loaded.connect(self._loaded)
        self.model.counted.connect(self._show_count)
        self.model.failed.connect(self._failed)
        self._select_after_load: int | None = None

    def _combos(self) -> tuple[QComboBox, ...]:
        return (
            self.expiry, self.status, self.kind, self.source, self.finding, self.environment,
            self.partner, self.algorithm, self.issuer,
        )  # fmt: skip

    # --- filters -------------------------------------------------------------------------

    def current_filter(self) -> query.Filter:
        expiry = self.expiry.currentData()
        base = expiry if isinstance(expiry, query.Filter) else query.Filter()
        return query.Filter(
            text=self.filter.text().strip() or None,
            expires_within_days=base.expires_within_days,
            expired=base.expired,
            not_yet_valid=base.not_yet_valid,
            revoked=self.status.currentData(),
            ca=self.kind.currentData(),
            source=self.source.currentData(),
            finding=self.finding.currentData(),
            environment=self.environment.currentData(),
            partner_id=self.partner.currentData(),
            algorithm=self.algorithm.currentData(),
            issuer=self.issuer.currentData(),
        )

    def apply_filters(self) -> None:
        self._typing.stop()
        self.count_label.setText("Searching…")
        self.model.set_filter(self.current_filter())

    def clear_filters(self) -> None:
        for combo in self._combos():
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.apply_filters()

    def show_filter(self, f: query.Filter) -> None:
        """Set the widgets to show this filter (from a dashboard figure) and apply it; parts the
        widgets cannot show (a month's window) are applied as given."""
        self.clear_filters()
        pairs: tuple[tuple[QComboBox, object], ...] = (
            (self.status, f.revoked), (self.kind, f.ca), (self.source, f.source),
            (self.finding, f.finding), (self.environment, f.environment),
            (self.partner, f.partner_id), (self.algorithm, f.algorithm),
        )  # fmt: skip
        for combo, value in pairs:
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.blockSignals(False)
        self.expiry.blockSignals(True)
        for i, (_text, option) in enumerate(_EXPIRY):
            if (option.expires_within_days, option.expired, option.not_yet_valid) == (
                f.expires_within_days,
                f.expired,
                f.not_yet_valid,
            ) and i:
                self.expiry.setCurrentIndex(i)
        self.expiry.blockSignals(False)
        self.count_label.setText("Searching…")
        self.model.set_filter(f)

    def set_choices(self, choices: Choices, partners: tuple[Partner, ...]) -> None:
        for combo, values in (
            (self.environment, [(v, v) for v in choices.environments]),
            (self.algorithm, [(v, v) for v in choices.algorithms]),
            (self.issuer, [(v, v) for v in choices.issuers]),
            (self.partner, [(p.name, p.id) for p in partners]),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for text, data in values:
                combo.addItem(text, data)
            combo.setCurrentIndex(max(0, combo.findData(current)) if current is not None else 0)
            combo.blockSignals(False)

    # --- table -----------------------------------------------------------------------------

    def reload(self) -> None:
        """The inventory changed: ask again, keeping the filter, sort and selection."""
        record = self.selected_record()
        self._select_after_load = record.id if record else self._select_after_load
        self.model.reload()

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if not self.model.sortable(column):
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(*self._sorted)
            header.blockSignals(False)
            return
        self._sorted = (column, order)
        self.model.sort(column, order)

    def _loaded(self, total: int) -> None:
        self._show_count(total)
        if self._select_after_load is not None:
            self.select_cert(self._select_after_load)

    def _show_count(self, total: int) -> None:
        everything = self.model.rows_in_inventory
        of = "" if self.model.current_filter.is_empty() else f" (of about {everything:,})"
        if not self.model.exact:
            matches = " match" if of else ""
            self.count_label.setText(f"At least {total:,} certificates{matches}{of}, counting…")
            return
        self.count_label.setText(
            f"{total:,} certificate{'s' if total != 1 else ''}"
            + ("" if self.model.current_filter.is_empty() else f" match{of}")
        )

    def _failed(self, message: str) -> None:
        self.count_label.setText("The inventory could not be read.")
        show_message(self, "Certificates", message, warning=True)

    def selected_record(self) -> CertRecord | None:
        rows = self.table.selectionModel().selectedRows()
        record = rows[0].data(RECORD_ROLE) if rows else None
        return record if isinstance(record, CertRecord) else None

    def select_cert(self, cert_id: int) -> bool:
        """Select the certificate if its row is loaded; otherwise select it once it is."""
        row = self.model.find_row(cert_id)
        if row is None:
            self._select_after_load = cert_id
            return False
        self._select_after_load = None
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def show_details(self, cert_id: int, details: CertDetails, extra: object = None) -> None:
        selected = self.selected_record()
        if selected is not None and selected.id == cert_id:
            self.details.show_details(details, extra)

    def _edit_selected(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.edit_metadata_requested.emit(record.id)

    def _renew_selected(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.renew_requested.emit(record.id)

    def _after_reset(self) -> None:
        if self.selected_record() is None:
            self.edit_button.setEnabled(False)
            self.renew_button.setEnabled(False)
            self.details.show_nothing()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        record = self.selected_record()
        self.edit_button.setEnabled(record is not None)
        # Only a service certificate issued here has a profile to renew under (the core says
        # which, when asked).
        self.renew_button.setEnabled(
            record is not None and not record.is_ca and record.source.value == "issued"
        )
        if record is None:
            self.details.show_nothing()
        else:
            self.details_requested.emit(record.id)
