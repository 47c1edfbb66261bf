"""The certificate details pane: names, validity, key, fingerprints (grouped hex, PGP words), extensions."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QWidget

from pkiadmin.core.certinfo import CertDetails


class CertDetailsView(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("certDetails")
        self.setOpenLinks(False)
        self.show_nothing()

    def show_nothing(self) -> None:
        self.setHtml("<p style='color:gray'>Select a certificate to see its details.</p>")

    def show_details(self, details: CertDetails) -> None:
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
        html.append("</table><h3>Extensions</h3>")
        for ext in details.extensions:
            critical = " <i>(critical)</i>" if ext.critical else ""
            html.append(f"<p><b>{escape(ext.name)}</b>{critical}<br>")
            html.append("<br>".join(f"&nbsp;&nbsp;<tt>{escape(line)}</tt>" for line in ext.lines))
            html.append("</p>")
        self.setHtml("".join(html))

    def plain_text(self) -> str:
        return self.toPlainText()
