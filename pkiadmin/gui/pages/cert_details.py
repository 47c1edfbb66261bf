"""The certificate details pane: names, validity, key, fingerprints (grouped hex, PGP words), extensions."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from PySide6.QtWidgets import QTextBrowser, QWidget

from pkiadmin.core.inventory import compliance
from pkiadmin.core.inventory.certrecord import CertRecord
from pkiadmin.core.x509.describe import CertDetails


@dataclass(frozen=True)
class DetailsExtra:
    """What the inventory knows beyond the certificate itself."""

    record: CertRecord
    findings: tuple[str, ...]
    partner: str
    revoked: str  # '' or how it was revoked


class CertDetailsView(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("certDetails")
        self.setOpenLinks(False)
        self.show_nothing()

    def show_nothing(self) -> None:
        self.setHtml("<p style='color:gray'>Select a certificate to see its details.</p>")

    def show_details(self, details: CertDetails, extra: object = None) -> None:
        rows = [
            ("Subject", details.subject),
            ("Issuer", details.issuer),
            ("Serial", details.serial_hex),
            ("Not before", details.not_before),
            ("Not after", details.not_after),
            ("Public key", details.public_key),
            ("Signature", details.signature_algorithm),
            ("SHA-256", details.sha256_grouped),
            ("PGP words", " ".join(details.sha256_pgp_words)),
            ("SHA-1", details.sha1_grouped),
            ("SPKI SHA-256", details.spki_sha256_grouped),
        ]
        html = ["<table cellspacing='0' cellpadding='3'>"]
        for label, value in rows:
            mono = label in {"Serial", "SHA-256", "SHA-1", "SPKI SHA-256"}
            cell = f"<tt>{escape(value)}</tt>" if mono else escape(value)
            html.append(f"<tr><td valign='top'><b>{escape(label)}</b></td><td>{cell}</td></tr>")
        html.append("</table>")
        if isinstance(extra, DetailsExtra):
            html += _inventory_html(extra)
        html.append("<h3>Extensions</h3>")
        for ext in details.extensions:
            critical = " <i>(critical)</i>" if ext.critical else ""
            html.append(f"<p><b>{escape(ext.name)}</b>{critical}<br>")
            html.append("<br>".join(f"&nbsp;&nbsp;<tt>{escape(line)}</tt>" for line in ext.lines))
            html.append("</p>")
        self.setHtml("".join(html))

    def plain_text(self) -> str:
        return self.toPlainText()


def _inventory_html(extra: DetailsExtra) -> list[str]:
    r = extra.record
    html = ["<h3>Compliance</h3>"]
    if extra.revoked:
        html.append(f"<p style='color:#8e0000'><b>Revoked:</b> {escape(extra.revoked)}</p>")
    if extra.findings:
        html.append("<p>")
        html += [
            f"<span style='background:#fff3e0;color:#8a4b00'>&nbsp;⚠ {escape(code)}&nbsp;</span> "
            f"{escape(compliance.rule(code).title)}<br>"
            for code in extra.findings
        ]
        html.append("</p>")
    else:
        html.append("<p style='color:#2e7d32'>✓ No finding against the policy.</p>")
    rows = [
        ("Source", "issued here" if r.source.value == "issued" else "imported (not trusted automatically)"),
        ("Service", r.service), ("Environment", r.environment), ("Owner team", r.owner_team),
        ("Partner", extra.partner), ("Tags", r.tags), ("Note", r.note),
    ]  # fmt: skip
    html.append("<h3>Inventory</h3><table cellspacing='0' cellpadding='3'>")
    html += [
        f"<tr><td valign='top'><b>{escape(label)}</b></td><td>{escape(value) or '<i>—</i>'}</td></tr>"
        for label, value in rows
    ]
    html.append("</table>")
    return html
