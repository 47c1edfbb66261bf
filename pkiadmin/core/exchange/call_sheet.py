"""The printable verification sheet (PDF) for the officer making the call: every value in PGP
words and grouped hex, the pair code, and a QR code of the values for a second device."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from pkiadmin.core.base import atomicfile, pdf
from pkiadmin.core.exchange import call_records as calls
from pkiadmin.core.exchange import partners
from pkiadmin.core.exchange.call import pair_code
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace


def build(ws: Workspace, partner_name: str) -> bytes:
    import segno

    partner = partners.get(ws.db, partner_name)
    values = calls.values_for(ws, partner_name)
    officer = partners.officer_fingerprint(ws.db)
    doc = pdf.Document(leading=1.5, size=11)
    text = doc.text

    text(f"Fingerprint verification call — {partner.organisation} ({partner.name})", 16)
    text(f"Prepared {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Call a number obtained independently:")
    for c in partner.contacts:
        text(f"  {c.name} ({c.role}), {c.phone} — number from {c.phone_source}")
    if officer and partner.pgp_fingerprint:
        text(
            f"Pair code (both sides compute the same): {pair_code(officer, partner.pgp_fingerprint)}",
            13,
        )
    for value in values:
        text("")
        text(value.label, 13)
        for i in range(value.groups):
            words = " ".join(value.group_words(i))
            text(f"  {i + 1:2}. {words:<30} {value.group_hex(i)}    [  ]", 12)
    qr = segno.make(
        json.dumps({v.label: v.data.hex() for v in values}, separators=(",", ":")), error="m"
    )
    png = io.BytesIO()
    qr.save(png, kind="png", scale=4)
    png.seek(0)
    text("")
    text("The same values as a QR code, for a second device:")
    doc.pdf.image(png, w=60)
    text(
        "Result:  verified [  ]   mismatch [  ]   aborted [  ]      Signature: ____________________"
    )
    return doc.output()


def write(ws: Workspace, partner_name: str, out: Path) -> Path:
    data = build(ws, partner_name)
    atomicfile.write_new_file(out, data, mode=0o644)
    with ws.db.atomic():
        audit.append(ws.db, "call.sheet", {"partner": partner_name}, details={"path": str(out)})
    return out
