"""A CA's index.txt in openssl ca's format: its issued certificates, their status and revocations."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database


def _openssl_time(when: datetime) -> str:
    """UTCTime up to 2049, GeneralizedTime after (as openssl writes index.txt)."""
    when = when.astimezone(UTC)
    return f"{when:%y%m%d%H%M%S}Z" if when.year < 2050 else f"{when:%Y%m%d%H%M%S}Z"


def _openssl_name(name: x509.Name) -> str:
    """The one-line '/C=../O=../CN=..' form openssl writes to index.txt."""
    parts = []
    for rdn in name.rdns:
        parts.append("+".join(a.rfc4514_attribute_name + "=" + _escaped(str(a.value)) for a in rdn))
    return "".join("/" + p for p in parts)


def _escaped(value: str) -> str:
    return value.replace("/", "\\/")


# Reason names as openssl's index.txt spells them; it has none for privilegeWithdrawn (date only).
_REASONS = {"keyCompromise": "keyCompromise", "cACompromise": "CACompromise",
            "affiliationChanged": "affiliationChanged", "superseded": "superseded",
            "cessationOfOperation": "cessationOfOperation"}  # fmt: skip


def index_txt(db: Database, ca_id: int, now: datetime | None = None) -> str:
    """The OpenSSL CA database (index.txt) of every certificate this CA issued."""
    now = now or datetime.now(UTC)
    ca = authorities.get_authority(db, ca_id)
    revoked = {
        int(r[0]): (str(r[1]), str(r[2]))
        for r in db.execute(
            "SELECT cert_id, revoked_at, reason FROM revocations WHERE ca_id = ?", (ca_id,)
        )
    }
    lines = []
    rows = db.execute(
        "SELECT id FROM certificates WHERE issuer_cert_id = ? AND id != ? ORDER BY id",
        (ca.cert_id, ca.cert_id),
    ).fetchall()
    for (cert_id,) in rows:
        record = inventory.get_record(db, int(cert_id))
        cert = inventory.load_certificate(db, int(cert_id))
        if record.id in revoked:
            at, reason = revoked[record.id]
            status = "R"
            revocation = _openssl_time(datetime.fromisoformat(at))
            if reason in _REASONS:
                revocation += "," + _REASONS[reason]
        else:
            status = "E" if record.not_after < now else "V"
            revocation = ""
        lines.append(
            "\t".join(
                (
                    status,
                    _openssl_time(record.not_after),
                    revocation,
                    record.serial_hex,
                    "unknown",
                    _openssl_name(cert.subject),
                )
            )
        )
    return "".join(line + "\n" for line in lines)


def write_index_txt(ws: Workspace, ca_id: int, out: Path) -> int:
    """Write index.txt (and nothing else) to a new file; returns the number of entries."""
    text = index_txt(ws.db, ca_id)
    entries = text.count("\n")
    if out.is_dir():
        raise ValidationError(f"{out} is a folder; give the path of the index.txt to write.")
    data = text.encode()
    atomicfile.write_new_file(out, data, mode=0o644)
    with ws.db.atomic():
        audit.append(
            ws.db,
            "ca.export-index",
            {"ca_id": ca_id},
            artefacts=(audit.Artefact(str(out), hashlib.sha256(data).hexdigest()),),
            details={"path": str(out), "entries": entries},
        )
    return entries
