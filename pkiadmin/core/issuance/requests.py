"""Imported CSRs waiting to be signed (the Requests section)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.keys import known_bad
from pkiadmin.core.workspace import audit, blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import csr

if TYPE_CHECKING:
    from sqlite_utils import Database


@dataclass(frozen=True)
class CsrRecord:
    id: int
    sha256: str
    subject: str
    spki_sha256: str
    source: str
    imported_at: str
    status: str
    cert_id: int | None


def acceptable(
    data: bytes, source: str, known_bad_lists: Sequence[known_bad.Blocklist] = ()
) -> tuple[x509.CertificateSigningRequest, csr.CsrInfo]:
    """The CSR in `data` if it passes every check, or a ValidationError naming what it fails."""
    request = csr.load(data, source)
    info = csr.check(request, known_bad_lists)
    blocking = [f.message for f in info.findings if f.blocking]
    if blocking:
        raise ValidationError(f"{source} was refused: " + " ".join(blocking))
    return request, info


def import_csr(ws: Workspace, data: bytes, source: str) -> tuple[CsrRecord, csr.CsrInfo]:
    """Check and store a CSR. One that fails a check is refused and nothing is stored."""
    request, info = acceptable(data, source, blocklists.installed(ws))
    return store_checked(ws, request, info, source), info


def store_checked(
    ws: Workspace, request: x509.CertificateSigningRequest, info: csr.CsrInfo, source: str
) -> CsrRecord:
    """Store a CSR that `acceptable` passed (audited); a second copy of one is refused."""
    digest = csr.sha256(request)
    if ws.db.execute("SELECT id FROM csrs WHERE sha256 = ?", (digest,)).fetchone():
        raise ValidationError(
            f"{source} was imported before (same SHA-256); see pkiadmin-cli csr list."
        )
    with ws.db.atomic():
        cursor = ws.db.execute(
            "INSERT INTO csrs (sha256, subject, spki_sha256, source, imported_at, status, der) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (
                digest,
                info.subject,
                info.spki_sha256,
                source,
                datetime.now(UTC).isoformat(timespec="seconds"),
                request.public_bytes(serialization.Encoding.DER),
            ),
        )
        csr_id = int(cursor.lastrowid or 0)
        audit.append(
            ws.db,
            "csr.import",
            {"csr_id": csr_id, "subject": info.subject},
            (audit.Artefact(source, digest),),
        )
    return get(ws, csr_id)


def _record(row: Mapping[str, Any]) -> CsrRecord:
    return CsrRecord(
        int(row["id"]),
        row["sha256"],
        row["subject"],
        row["spki_sha256"],
        row["source"],
        row["imported_at"],
        row["status"],
        row["cert_id"],
    )


def get(ws: Workspace, csr_id: int) -> CsrRecord:
    rows = list(ws.db.query("SELECT * FROM csrs WHERE id = ?", [csr_id]))
    if not rows:
        raise NotFoundError(
            f"There is no CSR with id {csr_id}. List them with: pkiadmin-cli csr list"
        )
    return _record(rows[0])


def load_request(ws: Workspace, csr_id: int) -> x509.CertificateSigningRequest:
    get(ws, csr_id)
    row = ws.db.execute("SELECT der FROM csrs WHERE id = ?", (csr_id,)).fetchone()
    return x509.load_der_x509_csr(row[0])


def list_csrs(db: Database) -> tuple[CsrRecord, ...]:
    return tuple(_record(r) for r in db.query("SELECT * FROM csrs ORDER BY id"))
