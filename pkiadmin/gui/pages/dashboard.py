"""The Dashboard, the first screen: certificates by status, the 30/14/7/3/1-day expiry thresholds,
the expiry timeline, the compliance summary (every number opens the filtered certificates), the
CAs, the CRL calendar, partners awaiting verification and the audit chain's state."""

from __future__ import annotations

from functools import partial
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.gui.pages.expiry_chart import ExpiryChart

# The dashboard is the page shown at start: it imports the domain (SQLite, cryptography, the
# CRL calendar) only when its first figures come, which the worker has read by then.
if TYPE_CHECKING:
    from pkiadmin.core.inventory import query
    from pkiadmin.core.inventory.dashboard import Figure
    from pkiadmin.core.overview import Overview

_ATTRIBUTES = {
    "dashboard_cas": "ca_list",
    "dashboard_crls": "crl_list",
    "dashboard_partners": "partner_list",
}
_THRESHOLD_COLOURS = ("#8e0000", "#c62828", "#e65100", "#b26a00", "#8d6e00")


class FigureButton(QPushButton):
    """A number and its caption; pressing it (mouse, Enter or Space) opens what it counts."""

    def __init__(self, key: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"dashboard_{key}")
        self.setProperty("figure", True)
        self.caption = caption
        self.filter: query.Filter | None = None  # what it counts, once it has a figure
        self.count = 0
        self.setMinimumHeight(56)
        # Until its figure comes it says so, and cannot be pressed (it would open nothing).
        self.setText(f"…\n{caption}")
        self.setToolTip("Counting…")
        self.setEnabled(False)

    def show_count(self, count: int, colour: str | None = None) -> None:
        self.count = count
        self.setEnabled(True)
        self.setToolTip("")
        self.setText(f"{count:,}\n{self.caption}")
        self.setStyleSheet(f"color: {colour};" if colour and count else "")


class DashboardPage(QWidget):
    start_requested = Signal(
        str
    )  # what the first-start panel was asked: plan, rehearse, run, quick, guide
    filter_requested = Signal(object)  # a query.Filter

    def __init__(self, workspace_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        title = QHBoxLayout()
        title.addWidget(QLabel("<h2>Dashboard</h2>"))
        where = QLabel(f"Workspace: <tt>{escape(workspace_path)}</tt>")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        title.addWidget(where, 1, Qt.AlignmentFlag.AlignRight)
        layout.addLayout(title)
        self.first_start = self._first_start()
        self.first_start.setVisible(False)  # until the first overview says there is no CA
        layout.addWidget(self.first_start)

        self.figures: dict[str, QLabel] = {}
        self.buttons: dict[str, FigureButton] = {}
        cards = QHBoxLayout()
        authorities = QLabel("…")
        authorities.setObjectName("dashboard_authorities")
        authorities.setProperty("figure", True)
        self.figures["authorities"] = authorities
        card = QFrame()
        card.setObjectName("dashboardCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        inner = QVBoxLayout(card)
        inner.addWidget(authorities)
        inner.addWidget(QLabel("Certificate authorities"))
        cards.addWidget(card)
        for key, caption in (
            ("certificates", "Certificates"),
            ("valid", "Valid"),
            ("expired", "Expired"),
            ("not_yet_valid", "Not yet valid"),
            ("revoked", "Revoked"),
        ):
            cards.addWidget(self._button(key, caption))
        layout.addLayout(cards)

        layout.addWidget(QLabel("<h3>Expiring soon</h3>"))
        thresholds = QHBoxLayout()
        for days in (1, 3, 7, 14, 30):
            thresholds.addWidget(
                self._button(f"within_{days}", f"within {days} day{'s' if days > 1 else ''}")
            )
        layout.addLayout(thresholds)
        self.chart = ExpiryChart()
        self.chart.month_clicked.connect(self._month_clicked)
        layout.addWidget(self.chart)

        layout.addWidget(QLabel("<h3>Compliance</h3>"))
        self.compliance_grid = QGridLayout()
        self.compliance_grid.setColumnStretch(0, 1)
        self.compliance_grid.setColumnStretch(1, 1)
        layout.addLayout(self.compliance_grid)
        self.compliance_note = QLabel()
        self.compliance_note.setObjectName("dashboard_compliance")
        layout.addWidget(self.compliance_note)

        self.audit_state = QLabel("…")
        self.audit_state.setObjectName("dashboard_audit")
        self.audit_state.setWordWrap(True)
        self.audit_state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for heading, label in (
            ("Authorities", "dashboard_cas"),
            ("CRLs: when the offline keys must come out again", "dashboard_crls"),
            ("Partners", "dashboard_partners"),
        ):
            layout.addWidget(QLabel(f"<h3>{heading}</h3>"))
            text = QLabel()
            text.setObjectName(label)
            text.setTextFormat(Qt.TextFormat.RichText)
            text.setWordWrap(True)
            layout.addWidget(text)
            setattr(self, _ATTRIBUTES[label], text)
        layout.addWidget(QLabel("<h3>Audit log</h3>"))
        layout.addWidget(self.audit_state)
        layout.addStretch(1)

    def _first_start(self) -> QFrame:
        """What to do first, shown while the workspace holds no CA: at the top, where it is seen
        at 1280x800, and the witnessed ceremony before the quick test root."""
        panel = QFrame()
        panel.setObjectName("firstStart")
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(panel)
        text = QLabel(
            "<h3>Start here: this workspace holds no CA yet</h3>"
            "<p>An organisation's root CA is made in a witnessed <b>key ceremony</b>: write its "
            "plan, <b>rehearse</b> it with the custodians and witnesses (nothing is kept), then "
            "<b>run</b> it on this machine. A <b>quick test root</b> (no witnesses, marked as "
            "such in the audit log) is for trying pkiadmin out. The <b>guides</b> (F1) give "
            "every procedure step by step.</p>"
        )
        text.setObjectName("firstStartText")
        text.setWordWrap(True)
        column.addWidget(text)
        row = QHBoxLayout()
        self.start_buttons: dict[str, QPushButton] = {}
        for key, caption in (
            ("plan", "1. &Write a ceremony plan…"),
            ("rehearse", "2. Re&hearse the root key ceremony…"),
            ("run", "3. R&un the root key ceremony…"),
            ("quick", "Or: a &quick test root…"),
            ("guide", "Read the &guide"),
        ):
            button = QPushButton(caption)
            button.setObjectName(f"start_{key}")
            button.clicked.connect(partial(self.start_requested.emit, key))
            self.start_buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
        column.addLayout(row)
        return panel

    def _button(self, key: str, caption: str) -> FigureButton:
        button = FigureButton(key, caption)
        button.clicked.connect(lambda: self._open(button))
        self.buttons[key] = button
        return button

    def _open(self, button: FigureButton) -> None:
        if button.filter is not None:
            self.filter_requested.emit(button.filter)

    def _month_clicked(self, month: object) -> None:
        from pkiadmin.core.inventory.dashboard import Month

        if isinstance(month, Month):
            self.filter_requested.emit(month.filter)

    def _show(self, key: str, figure: Figure, colour: str | None = None) -> None:
        button = self.buttons[key]
        button.filter = figure.filter
        button.show_count(figure.count, colour)

    def set_overview(self, overview: Overview) -> None:
        from pkiadmin.core.inventory import query
        from pkiadmin.gui.pages.authorities import crl_calendar_html, partners_html, remaining

        stats = overview.stats
        now = stats.at
        self.figures["authorities"].setText(str(len(overview.authorities)))
        total = self.buttons["certificates"]
        total.filter = query.Filter()
        total.show_count(stats.total)
        for key, figure in zip(
            ("valid", "expired", "not_yet_valid", "revoked"), stats.statuses, strict=True
        ):
            self._show(key, figure, None if key == "valid" else "#c62828")
        for (days, figure), colour in zip(
            zip((1, 3, 7, 14, 30), stats.thresholds, strict=True), _THRESHOLD_COLOURS, strict=True
        ):
            self._show(f"within_{days}", figure, colour)
        self.chart.set_months(stats.months)
        self._set_compliance(stats.compliance)
        verdict = overview.audit_verdict
        self.audit_state.setText(
            f"✔ {verdict.summary}. Head hash {verdict.head_hash}"
            if verdict.ok
            else f"✘ {verdict.summary}"
        )
        self.audit_state.setProperty("state", "ok" if verdict.ok else "bad")
        self.audit_state.style().unpolish(self.audit_state)
        self.audit_state.style().polish(self.audit_state)
        rows = [
            f"<tr><td><b>{escape(ca.name)}</b></td><td>{escape(ca.kind)}</td>"
            f"<td>valid until {ca.not_after:%Y-%m-%d}</td><td>{remaining(ca.not_after, now)}</td></tr>"
            for ca in overview.authorities
        ]
        self.ca_list.setText(
            "<table cellpadding='4'>" + "".join(rows) + "</table>" if rows else "<i>None yet.</i>"
        )
        self.crl_list.setText(crl_calendar_html(overview))
        self.partner_list.setText(partners_html(overview, now))
        self.first_start.setVisible(not overview.authorities)

    def _set_compliance(self, figures: tuple[Figure, ...]) -> None:
        while self.compliance_grid.count():
            item = self.compliance_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        shown = [f for f in figures if f.count]
        for i, figure in enumerate(shown):
            key = f"finding_{figure.filter.finding}"
            button = self._button(key, figure.label)
            self._show(key, figure, "#b26a00")
            # Two to a row: three long captions side by side overflow 1280 px.
            self.compliance_grid.addWidget(button, i // 2, i % 2)
        self.compliance_note.setText(
            "✔ No certificate has a finding against the policy."
            if not shown
            else "Each button lists the certificates with that finding (policy: pkiadmin-cli compliance policy)."
        )

    ca_list: QLabel
    crl_list: QLabel
    partner_list: QLabel
