"""Exports of inventory views: CSV and JSON of any filtered view (streamed, any size), and an
OpenSSL `index.txt` per CA so that an `openssl ca` setup can be rebuilt from pkiadmin."""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pkiadmin.core.base import atomicfile
from pkiadmin.core.inventory import compliance, query
from pkiadmin.core.inventory.certrecord import CertRecord
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

FIELDS = (
    "id", "common_name", "subject", "issuer", "serial_hex", "not_before", "not_after", "status",
    "key_algorithm", "key_size", "signature_algorithm", "is_ca", "sans", "key_usage", "eku",
    "policies", "crl_urls", "ocsp_urls", "ca_issuers_urls", "sha256", "source", "service",
    "environment", "owner_team", "partner", "tags", "note", "findings",
)  # fmt: skip


class ViewFormat(enum.Enum):
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class ViewExport:
    path: Path
    rows: int


def _rows(db: Database, f: query.Filter, now: datetime) -> Iterator[dict[str, object]]:
    partners = {int(r[0]): str(r[1]) for r in db.execute("SELECT id, name FROM partners")}
    batch: list[CertRecord] = []

    def flush() -> Iterator[dict[str, object]]:
        ids = [r.id for r in batch]
        revoked = query.revoked_ids(db, ids)
        findings = compliance.findings_for(db, ids, now)
        for r in batch:
            yield {
                "id": r.id, "common_name": r.common_name, "subject": r.subject, "issuer": r.issuer,
                "serial_hex": r.serial_hex, "not_before": r.not_before.isoformat(),
                "not_after": r.not_after.isoformat(),
                "status": "revoked" if r.id in revoked else r.status(now),
                "key_algorithm": r.key_algorithm, "key_size": r.key_size,
                "signature_algorithm": r.signature_algorithm, "is_ca": r.is_ca, "sans": r.sans,
                "key_usage": r.key_usage, "eku": r.eku, "policies": r.policies,
                "crl_urls": r.crl_urls, "ocsp_urls": r.ocsp_urls, "ca_issuers_urls": r.ca_issuers_urls,
                "sha256": r.sha256, "source": r.source.value, "service": r.service,
                "environment": r.environment, "owner_team": r.owner_team,
                "partner": partners.get(r.partner_id, "") if r.partner_id else "",
                "tags": r.tags, "note": r.note, "findings": " ".join(findings.get(r.id, ())),
            }  # fmt: skip

    for record in query.iterate(db, f, now):
        batch.append(record)
        if len(batch) == 1000:
            yield from flush()
            batch = []
    yield from flush()


def _csv_chunks(rows: Iterator[dict[str, object]], counter: list[int]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # A cell that starts like a formula is quoted for spreadsheets (CSV injection).
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
        counter[0] += 1
        if buffer.tell() > 1 << 20:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _safe_cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _json_chunks(rows: Iterator[dict[str, object]], counter: list[int]) -> Iterator[bytes]:
    yield b"[\n"
    for row in rows:
        yield ((",\n" if counter[0] else "") + json.dumps(row, ensure_ascii=False)).encode()
        counter[0] += 1
    yield b"\n]\n"


def _hashed(chunks: Iterator[bytes], digest: hashlib._Hash) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


def export_view(
    ws: Workspace, f: query.Filter, fmt: ViewFormat, out: Path, now: datetime | None = None
) -> ViewExport:
    """Write every certificate of the filtered view to a new file (never overwritten), audited."""
    now = now or datetime.now(UTC)
    counter = [0]
    rows = _rows(ws.db, f, now)
    chunks = _csv_chunks(rows, counter) if fmt is ViewFormat.CSV else _json_chunks(rows, counter)
    digest = hashlib.sha256()
    atomicfile.write_new_file_from(out, _hashed(chunks, digest), mode=0o644)
    with ws.db.atomic():
        audit.append(
            ws.db,
            "cert.export-view",
            {"file": str(out)},
            artefacts=(audit.Artefact(str(out), digest.hexdigest()),),
            details={"format": fmt.value, "rows": counter[0], "filter": _describe(f)},
        )
    return ViewExport(out, counter[0])


def _describe(f: query.Filter) -> dict[str, object]:
    return {
        k: (v.value if isinstance(v, enum.Enum) else v)
        for k, v in f.__dict__.items()
        if v is not None
    }
