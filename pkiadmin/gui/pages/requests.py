"""The Requests section: imported CSRs with their findings; import (file or drag and drop) and sign."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base import fingerprint
from pkiadmin.core.issuance.requests import CsrRecord
from pkiadmin.core.x509.csr import CsrInfo
from pkiadmin.gui.models.table import (
    Column,
    RecordFilterProxy,
    RecordTableModel,
    record_table,
    selected_record,
)

CSR_COLUMNS: tuple[Column[CsrRecord], ...] = (
    Column("ID", lambda r: str(r.id), lambda r: r.id),
    Column("Subject", lambda r: r.subject),
    Column("Status", lambda r: r.status),
    Column("Certificate", lambda r: str(r.cert_id or "-")),
    Column("Imported (UTC)", lambda r: r.imported_at[:16].replace("T", " ")),
    Column("Source", lambda r: r.source),
)


class RequestsPage(QWidget):
    import_requested = Signal(object)  # Path
    sign_requested = Signal(int)  # CSR id
    batch_requested = Signal()
    issue_with_key_requested = Signal()
    details_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Certificate signing requests</h2>"), 1)
        import_button = QPushButton("&Import CSR…")
        import_button.clicked.connect(self._choose_file)
        self.sign_button = QPushButton("&Sign…")
        self.sign_button.setEnabled(False)
        self.sign_button.clicked.connect(self._sign)
        batch_button = QPushButton("Sign a &folder…")
        batch_button.setToolTip("Sign every CSR in a folder under one end-entity profile")
        batch_button.clicked.connect(self.batch_requested.emit)
        top.addWidget(import_button)
        top.addWidget(self.sign_button)
        top.addWidget(batch_button)
        self.issue_key_button = QPushButton("Issue with a &key made here…")
        self.issue_key_button.setToolTip(
            "Generate a key here, issue its certificate, export both encrypted (not kept)"
        )
        self.issue_key_button.clicked.connect(self.issue_with_key_requested.emit)
        top.addWidget(self.issue_key_button)
        layout.addLayout(top)
        layout.addWidget(QLabel("Drop CSR files (PEM or DER) here to import them."))
        self.model: RecordTableModel[CsrRecord] = RecordTableModel(CSR_COLUMNS, self)
        proxy = RecordFilterProxy(self)
        proxy.setSourceModel(self.model)
        self.table = record_table(proxy, "csrTable", descending=True)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.details = QTextBrowser()
        self.details.setObjectName("csrDetails")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        layout.addWidget(splitter)

    def set_requests(self, records: tuple[CsrRecord, ...]) -> None:
        self.model.set_records(records)

    def selected(self) -> CsrRecord | None:
        return selected_record(self.table, CsrRecord)

    def show_info(self, csr_id: int, info: CsrInfo) -> None:
        selected = self.selected()
        if selected is None or selected.id != csr_id:
            return
        rows = [
            ("Subject", info.subject),
            ("Public key", info.public_key),
            ("Signature", info.signature_algorithm),
            ("SPKI SHA-256", fingerprint.grouped_hex(bytes.fromhex(info.spki_sha256))),
            ("PGP words", " ".join(info.spki_pgp_words)),
        ]
        html = ["<table cellpadding='3'>"]
        html += [f"<tr><td><b>{escape(k)}</b></td><td>{escape(v)}</td></tr>" for k, v in rows]
        html.append("</table><h3>Requested extensions</h3><ul>")
        html += [
            f"<li>{escape(e.name)}: {escape('; '.join(e.lines))}</li>"
            for e in info.requested_extensions
        ] or ["<li>none</li>"]
        html.append("</ul><h3>Findings</h3>")
        if not info.findings:
            html.append("<p style='color:#1b5e20'>✔ No findings.</p>")
        for finding in info.findings:
            colour = "#a40000" if finding.blocking else "#8a5a00"
            label = "REFUSED" if finding.blocking else "Warning"
            html.append(f"<p style='color:{colour}'><b>{label}:</b> {escape(finding.message)}</p>")
        self.details.setHtml("".join(html))

    def _selection_changed(self) -> None:
        record = self.selected()
        self.sign_button.setEnabled(record is not None and record.status == "pending")
        if record is None:
            self.details.clear()
        else:
            self.details_requested.emit(record.id)

    def _choose_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Import CSR", "", "CSR (*.csr *.pem *.der *.req);;All files (*)"
        )
        if chosen:
            self.import_requested.emit(Path(chosen))

    def _sign(self) -> None:
        record = self.selected()
        if record is not None:
            self.sign_requested.emit(record.id)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.import_requested.emit(Path(url.toLocalFile()))
        event.acceptProposedAction()
