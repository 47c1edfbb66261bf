"""The Authorities section, and the HTML the dashboard shows for CAs, CRLs and partners."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.inventory.certrecord import CertRecord
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.revocation.calendar import CrlState, CrlStatus
from pkiadmin.gui.models.table import (
    Column,
    RecordTableModel,
)

CA_COLUMNS: tuple[Column[Authority], ...] = (
    Column("ID", lambda a: str(a.id), lambda a: a.id),
    Column("Name", lambda a: a.name),
    Column("Kind", lambda a: a.kind),
    Column("Key", lambda a: f"{a.key_backend}: {a.key_ref}"),
    Column("Valid until", lambda a: f"{a.not_after:%Y-%m-%d}", lambda a: a.not_after),
    Column("Certificate", lambda a: str(a.cert_id), lambda a: a.cert_id),
)

if TYPE_CHECKING:
    from pkiadmin.core.overview import Overview


STATE_COLOURS = {
    CrlState.OK: "#2e7d32",
    CrlState.DUE_SOON: "#b26a00",
    CrlState.OVERDUE: "#c62828",
    CrlState.EXPIRED: "#8e0000",
    CrlState.MISSING: "#c62828",
    CrlState.FUTURE: "#c62828",
}


def partners_html(overview: Overview, now: datetime) -> str:
    """Per partner: key status, how long ago it was verified, their CA certificate expiring first,
    and the received CRL that expires first (a server checking their clients needs it current)."""
    rows = []
    for p in overview.partners:
        verified = overview.last_verified.get(p.id)
        age = f"verified {(now - verified).days} days ago" if verified else "never verified"
        certs = [c for c in overview.partner_certs if c.partner_id == p.id and c.trusted]
        first = min(certs, key=lambda c: c.not_after) if certs else None
        expiry = (
            f"{escape(first.subject)} expires {first.not_after:%Y-%m-%d} ({remaining(first.not_after, now)})"
            if first
            else "no trusted CA certificate"
        )
        colour = "#2e7d32" if p.key_status == "verified" else "#b26a00"
        crls = [c for c in overview.partner_crls if c.partner == p.name]
        soonest = min(crls, key=lambda c: c.next_update) if crls else None
        if soonest is None:
            crl_text = "no CRL received"
        else:
            stale = soonest.next_update <= now
            crl_colour = "#c62828" if stale else "#2e7d32"
            crl_text = (
                f"<span style='color:{crl_colour}'>CRL of {escape(soonest.issuer)} "
                f"{'expired' if stale else 'current until'} {soonest.next_update:%Y-%m-%d}</span>"
            )
        rows.append(
            f"<tr><td><b>{escape(p.name)}</b></td><td style='color:{colour}'>{escape(p.key_status)}</td>"
            f"<td>{escape(age)}</td><td>{expiry}</td><td>{crl_text}</td></tr>"
        )
    return (
        "<table cellpadding='4'>" + "".join(rows) + "</table>" if rows else "<i>No partner yet.</i>"
    )


def crl_calendar_html(overview: Overview) -> str:
    """One coloured line per CA: its CRL's state, nextUpdate, when the ceremony is due; pending revocations."""
    rows = []
    for s in overview.crl_calendar:
        colour = STATE_COLOURS[s.state]
        next_update = f"{s.next_update:%Y-%m-%d}" if s.next_update else "-"
        due = f"{s.due_at:%Y-%m-%d}" if s.due_at else "now"
        rows.append(
            f"<tr><td><b>{escape(s.ca_name)}</b></td>"
            f"<td style='color:{colour}'><b>{escape(s.state.value.upper())}</b></td>"
            f"<td>CRL {s.number or '-'}, nextUpdate {next_update}"
            f"{f' ({s.days_left} days left)' if s.days_left is not None else ''}</td>"
            f"<td>ceremony due {due}</td><td>{escape(s.reason)}</td></tr>"
        )
        rows += [
            f"<tr><td></td><td colspan='4' style='color:{colour}'>pending revocation of certificate "
            f"{r.cert_id} ({escape(r.subject)}): sign a CRL by {r.crl_deadline:%Y-%m-%d %H:%M} UTC</td></tr>"
            for r in s.pending
        ]
    now = datetime.now(UTC)
    rows += [
        f"<tr><td><b>{escape(r.name)}</b></td><td style='color:#b26a00'><b>RENEW</b></td>"
        f"<td colspan='3'>{escape(r.describe(now))}: pkiadmin-cli ca renew {r.ca_id}</td></tr>"
        for r in overview.renewals
    ]
    for age in overview.root_key_ages:
        late = now >= age.plan_by
        rows.append(
            f"<tr><td><b>{escape(age.name)}</b></td>"
            f"<td style='color:{'#b26a00' if late else '#2e7d32'}'><b>"
            f"{'PLAN ROLLOVER' if late else 'ROOT KEY'}</b></td>"
            f"<td colspan='3'>{escape(age.describe(now))}</td></tr>"
        )
    return "<table cellpadding='4'>" + "".join(rows) + "</table>" if rows else "<i>No CA yet.</i>"


def remaining(not_after: datetime, now: datetime) -> str:
    days = (not_after - now).days
    if days < 0:
        return "<b>expired</b>"
    if days > 730:
        return f"{days / 365.25:.1f} years left"
    return f"{days} days left"


class AuthoritiesPage(QWidget):
    """The CA hierarchy as a tree: every CA certificate in the inventory, and which keys are held here."""

    new_root_requested = Signal()
    new_intermediate_requested = Signal()
    verify_key_requested = Signal(int)  # CA id
    settings_requested = Signal(int)  # CA id
    lifecycle_requested = Signal(str, int)  # renew, retire, destroy-key, make-csr; CA id
    verify_destruction_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Certificate authorities</h2>"), 1)
        self.verify_key_button = QPushButton("Check key &passphrase…")
        self.verify_key_button.setToolTip(
            "Unlock the selected CA's key to confirm the passphrase and the key file"
        )
        self.verify_key_button.setEnabled(False)
        self.verify_key_button.clicked.connect(self._verify_selected)
        top.addWidget(self.verify_key_button)
        self.settings_button = QPushButton("CA &settings…")
        self.settings_button.setToolTip(
            "CRL, caIssuers and OCSP URLs, when the renewal is due, the CRL period"
        )
        self.settings_button.setEnabled(False)
        self.settings_button.clicked.connect(self._settings_of_selected)
        top.addWidget(self.settings_button)
        self.lifecycle_button = QPushButton("&Lifecycle")
        self.lifecycle_button.setToolTip("Renew, retire, destroy the key of the selected CA")
        lifecycle = QMenu(self.lifecycle_button)
        self.lifecycle_actions: dict[str, QAction] = {}
        for key, text in (
            ("renew", "&Renew (same key)…"),
            ("retire", "Re&tire…"),
            ("destroy-key", "&Destroy the key…"),
            ("make-csr", "Make a &CSR for a cross-signature…"),
            ("cross-sign", "Cross-certify a &partner CA…"),
        ):
            action = lifecycle.addAction(text)
            action.triggered.connect(partial(self._lifecycle_of_selected, key))
            self.lifecycle_actions[key] = action
        lifecycle.addSeparator()
        check = lifecycle.addAction("&Check a certificate of destruction…")
        check.triggered.connect(lambda *_: self.verify_destruction_requested.emit())
        self.lifecycle_button.setMenu(lifecycle)
        top.addWidget(self.lifecycle_button)
        button = QPushButton("&New root CA…")
        button.clicked.connect(self.new_root_requested)
        top.addWidget(button)
        intermediate = QPushButton("New &intermediate CA…")
        intermediate.setToolTip(
            "A policy or issuing CA whose key is generated here, signed by a CA held here"
        )
        intermediate.clicked.connect(self.new_intermediate_requested)
        top.addWidget(intermediate)
        layout.addLayout(top)
        self.model: RecordTableModel[Authority] = RecordTableModel(CA_COLUMNS, self)
        self.tree = QTreeWidget()
        self.tree.setObjectName("caTree")
        self.tree.setHeaderLabels(
            ["Certificate authority", "Kind", "Key", "Valid until", "Certificate", "CRL"]
        )
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(lambda *_: self._selection_changed())
        layout.addWidget(self.tree)

    def set_authorities(
        self,
        cas: tuple[Authority, ...],
        certificates: tuple[CertRecord, ...] = (),
        calendar: tuple[CrlStatus, ...] = (),
        revoked: frozenset[int] = frozenset(),
        partner_of: dict[int, str] | None = None,
    ) -> None:
        """Our hierarchy first; the CA certificates partners sent go under "Partner CAs — NAME"
        (`partner_of`: certificate id -> partner), never among our own."""
        self.model.set_records(cas)
        partner_of = partner_of or {}
        crls = {s.ca_id: s for s in calendar}
        held = {ca.cert_id: ca for ca in cas}
        ca_certs = [c for c in certificates if c.is_ca] or [_stub(ca) for ca in cas]
        items: dict[int, QTreeWidgetItem] = {}
        partner_nodes: dict[str, QTreeWidgetItem] = {}
        self.tree.clear()
        by_subject: dict[str, QTreeWidgetItem] = {}  # partner CAs, to hang each under its issuer
        for cert in sorted(
            ca_certs, key=lambda c: (c.id in partner_of, c.issuer != c.subject, c.id)
        ):
            authority = held.get(cert.id)
            kind = (
                authority.kind
                if authority
                # Self-issued (a root), whether or not the import linked it to itself.
                else ("root" if cert.issuer_cert_id == cert.id or cert.issuer == cert.subject
                      else "intermediate")
            )  # fmt: skip
            if cert.id in partner_of and authority is None:
                kind = f"partner {kind}"
            crl_line = crls.get(authority.id) if authority else None
            item = QTreeWidgetItem(
                [
                    cert.common_name,
                    f"{kind} — REVOKED" if cert.id in revoked else kind,
                    f"held here ({authority.key_protection})"
                    if authority
                    else "the partner's"
                    if cert.id in partner_of
                    else "held elsewhere",
                    f"{cert.not_after:%Y-%m-%d}",
                    str(cert.id),
                    f"{crl_line.state.value}, nextUpdate {crl_line.next_update:%Y-%m-%d}"
                    if crl_line and crl_line.next_update
                    else (crl_line.state.value if crl_line else ""),
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, authority)
            if crl_line is not None:
                item.setForeground(5, QBrush(QColor(STATE_COLOURS[crl_line.state])))
            parent = (
                items.get(cert.issuer_cert_id)
                if cert.issuer_cert_id not in (None, cert.id)
                else None
            )
            partner = partner_of.get(cert.id) if authority is None else None
            if parent is None and partner is not None and cert.issuer != cert.subject:
                parent = by_subject.get(cert.issuer)
            if parent is None and partner is not None:
                parent = partner_nodes.get(partner)
                if parent is None:
                    parent = QTreeWidgetItem([f"Partner CAs — {partner}", "their CAs"])
                    partner_nodes[partner] = parent
                    self.tree.addTopLevelItem(parent)
            if parent is not None:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            items[cert.id] = item
            if partner is not None:
                by_subject.setdefault(cert.subject, item)
        self.tree.expandAll()
        first = next(
            (item for item in items.values() if item.data(0, Qt.ItemDataRole.UserRole)), None
        )
        if first is not None:
            self.tree.setCurrentItem(first)

    def selected(self) -> Authority | None:
        item = self.tree.currentItem()
        record = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        return record if isinstance(record, Authority) else None

    def _selection_changed(self) -> None:
        held = self.selected() is not None
        self.verify_key_button.setEnabled(held)
        self.settings_button.setEnabled(held)
        for action in self.lifecycle_actions.values():
            action.setEnabled(held)

    def _lifecycle_of_selected(self, what: str, *_args: object) -> None:
        authority = self.selected()
        if authority is not None:
            self.lifecycle_requested.emit(what, authority.id)

    def _settings_of_selected(self) -> None:
        authority = self.selected()
        if authority is not None:
            self.settings_requested.emit(authority.id)

    def _verify_selected(self) -> None:
        authority = self.selected()
        if authority is not None:
            self.verify_key_requested.emit(authority.id)


def _stub(ca: Authority) -> CertRecord:
    """When only the authority list is known (no inventory loaded), a minimal record for the tree."""
    from pkiadmin.core.inventory.certrecord import Source

    return CertRecord(
        ca.cert_id,
        "",
        ca.name,
        ca.name,
        ca.name,
        ca.not_after,
        ca.not_after,
        "",
        0,
        "",
        "",
        "",
        None,
        None,
        True,
        None,
        ca.cert_id if ca.kind == "root" else None,
        Source.ISSUED,
    )
