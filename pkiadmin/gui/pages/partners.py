"""The Partners section: partners with their key status, one partner's details (contacts, key in
PGP words, packages sent and received), and the dialogs to add a partner, import their key, set
up our officer key, build a package and open theirs."""

from __future__ import annotations

import json
from html import escape

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base import fingerprint
from pkiadmin.core.exchange import pgp
from pkiadmin.core.exchange.partners import Partner
from pkiadmin.gui.models.table import (
    Column,
    RecordFilterProxy,
    RecordTableModel,
    record_table,
    selected_record,
)

PARTNER_COLUMNS: tuple[Column[Partner], ...] = (
    Column("Name", lambda p: p.name),
    Column("Organisation", lambda p: p.organisation),
    Column("OpenPGP key", lambda p: pgp.grouped(p.pgp_fingerprint) if p.pgp_fingerprint else "-"),
    Column("Key status", lambda p: p.key_status),
)


class PartnersPage(QWidget):
    add_requested = Signal()
    import_key_requested = Signal(str)  # partner name
    officer_key_requested = Signal()
    build_requested = Signal(str)
    open_requested = Signal(str)
    call_requested = Signal(str)
    export_trust_requested = Signal()
    export_crls_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Partners</h2>"), 1)
        self.officer = QLabel()
        self.officer.setObjectName("officerKey")
        self.officer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.officer)
        layout.addLayout(top)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("add", "&Add partner…", self.add_requested.emit),
            ("key", "&Import their key…", lambda: self._with_selected(self.import_key_requested)),
            ("build", "&Build package…", lambda: self._with_selected(self.build_requested)),
            ("open", "&Open package…", lambda: self._with_selected(self.open_requested)),
            ("call", "Verification &call…", lambda: self._with_selected(self.call_requested)),
            ("officer", "Our o&fficer key…", self.officer_key_requested.emit),
            ("trust", "E&xport trust store…", self.export_trust_requested.emit),
            ("crls", "Export partner C&RLs…", self.export_crls_requested.emit),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.model: RecordTableModel[Partner] = RecordTableModel(PARTNER_COLUMNS, self)
        proxy = RecordFilterProxy(self)
        proxy.setSourceModel(self.model)
        self.table = record_table(proxy, "partnerTable")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        self.details = QLabel()
        self.details.setObjectName("partnerDetails")
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.details)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([220, 440])
        layout.addWidget(splitter, 1)
        self._packages: tuple[dict[str, object], ...] = ()
        self._update_buttons()

    def set_data(
        self,
        found: tuple[Partner, ...],
        packages: tuple[dict[str, object], ...],
        officer: str | None,
    ) -> None:
        selected = self.selected()
        self._packages = packages
        self.model.set_records(found)
        self.officer.setText(
            f"Our officer key: {pgp.grouped(officer)}" if officer else "No officer key yet"
        )
        if selected is not None:
            for row, partner in enumerate(self.model.records()):
                if partner.id == selected.id:
                    self.table.selectRow(row)
        elif found:
            self.table.selectRow(0)
        self._show_selected()

    def selected(self) -> Partner | None:
        return selected_record(self.table, Partner)

    def _with_selected(self, signal: SignalInstance) -> None:
        partner = self.selected()
        if partner is not None:
            signal.emit(partner.name)

    def _update_buttons(self) -> None:
        partner = self.selected()
        for key in ("key", "build", "open", "call"):
            self.buttons[key].setEnabled(partner is not None)

    def _show_selected(self) -> None:
        self._update_buttons()
        partner = self.selected()
        if partner is None:
            self.details.setText("<i>Add a partner to begin.</i>")
            return
        e = escape
        parts = [f"<h3>{e(partner.name)} — {e(partner.organisation)}</h3>"]
        if partner.pgp_fingerprint:
            words = " ".join(fingerprint.pgp_words(bytes.fromhex(partner.pgp_fingerprint)))
            parts.append(
                f"<p>OpenPGP key <tt>{e(pgp.grouped(partner.pgp_fingerprint))}</tt> "
                f"(<b>{e(partner.key_status)}</b>)<br>{e(words)}</p>"
            )
        else:
            parts.append("<p>No OpenPGP key yet: import it.</p>")
        parts += [
            f"<p>Contact: {e(c.name)} ({e(c.role)}), {e(c.phone)} — number from {e(c.phone_source)}</p>"
            for c in partner.contacts
        ]
        rows = [p for p in self._packages if p["partner_id"] == partner.id]
        if rows:
            parts.append(
                "<table cellpadding='3'><tr><th>When</th><th>Direction</th><th>Result</th><th>Package</th><th>Findings</th></tr>"
            )
            for p in rows:
                findings = "; ".join(json.loads(str(p["findings"]))) or "-"
                colour = "#c62828" if p["result"] == "rejected" else "#2e7d32"
                parts.append(
                    f"<tr><td>{e(str(p['at']))}</td><td>{e(str(p['direction']))}</td>"
                    f"<td style='color:{colour}'><b>{e(str(p['result']))}</b></td>"
                    f"<td>{e(str(p['file']))}</td><td>{e(findings)}</td></tr>"
                )
            parts.append("</table>")
        self.details.setText("".join(parts))
