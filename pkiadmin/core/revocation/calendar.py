"""The re-signing calendar (when must the offline key come out again?) and CRL export."""

from __future__ import annotations

import enum
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import StorageError, ValidationError
from pkiadmin.core.integrity import checkpoint
from pkiadmin.core.issuance import authorities
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.revocation.records import Revocation
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

DUE_SOON = timedelta(days=14)  # warn this long before the ceremony is due


class CrlState(enum.Enum):
    OK = "ok"
    DUE_SOON = "due soon"
    OVERDUE = "overdue"
    EXPIRED = "expired"
    MISSING = "no CRL"
    FUTURE = "not yet valid"  # thisUpdate after the clock: the clock is wrong now, or was then

    @property
    def needs_attention(self) -> bool:
        return self is not CrlState.OK


@dataclass(frozen=True)
class CrlStatus:
    ca_id: int
    ca_name: str
    number: int | None
    this_update: datetime | None
    next_update: datetime | None
    due_at: datetime | None  # nextUpdate minus the overlap: when the next ceremony is due
    days_left: int | None  # whole days until nextUpdate
    state: CrlState
    pending: tuple[Revocation, ...]
    reason: str
    ocsp_next_update: datetime | None = None  # when the newest pre-signed OCSP responses expire
    ocsp_problem: str = ""  # why they need signing again ("" when they are fine or absent)

    @property
    def needs_attention(self) -> bool:
        return self.state.needs_attention or bool(self.ocsp_problem)

    @property
    def pending_deadline(self) -> datetime | None:
        return min((r.crl_deadline for r in self.pending), default=None)


def _state_of(
    now: datetime,
    latest: crl.CrlRecord | None,
    due_at: datetime | None,
    pending: tuple[Revocation, ...],
) -> tuple[CrlState, str]:
    if latest is None:
        return CrlState.MISSING, "no CRL has been signed; relying parties expect one"
    if latest.this_update > now:
        return (
            CrlState.FUTURE,
            f"CRL {latest.number}'s thisUpdate ({latest.this_update:%Y-%m-%d %H:%M} UTC) is after the "
            "clock: relying parties reject it as not yet valid; check the clock",
        )
    if now >= latest.next_update:
        return CrlState.EXPIRED, f"CRL {latest.number} expired; relying parties reject it"
    deadline = min((r.crl_deadline for r in pending), default=None)
    if deadline is not None and now >= deadline:
        return CrlState.OVERDUE, f"{len(pending)} revocation(s) missed the 24-hour deadline"
    assert due_at is not None  # noqa: S101
    if now >= due_at:
        return CrlState.OVERDUE, f"re-signing was due on {due_at:%Y-%m-%d}"
    if deadline is not None:
        return (
            CrlState.DUE_SOON,
            f"{len(pending)} revocation(s) to sign by {deadline:%Y-%m-%d %H:%M} UTC",
        )
    if now >= due_at - DUE_SOON:
        return CrlState.DUE_SOON, f"re-signing is due on {due_at:%Y-%m-%d}"
    return CrlState.OK, f"next re-signing due on {due_at:%Y-%m-%d}"


def status(db: Database, now: datetime | None = None) -> tuple[CrlStatus, ...]:
    """One line per CA held here: its current CRL, when it runs out, and what is waiting."""
    now = now or datetime.now(UTC)
    result = []
    waiting = revocation.pending(db)
    for authority in authorities.list_authorities(db):
        latest = crl.latest(db, authority.id)
        overlap = timedelta(days=crl.settings(db, authority.id).overlap_days)
        pending = tuple(r for r in waiting if r.ca_id == authority.id)
        due_at = latest.next_update - overlap if latest else None
        state, reason = _state_of(now, latest, due_at, pending)
        ocsp_until, ocsp_problem = _ocsp_state(db, authority.id, now)
        result.append(
            CrlStatus(
                ca_id=authority.id,
                ca_name=authority.name,
                number=latest.number if latest else None,
                this_update=latest.this_update if latest else None,
                next_update=latest.next_update if latest else None,
                due_at=due_at,
                days_left=(latest.next_update - now).days if latest else None,
                state=state,
                pending=pending,
                reason=reason,
                ocsp_next_update=ocsp_until,
                ocsp_problem=ocsp_problem,
            )
        )
    return tuple(result)


def _ocsp_state(db: Database, ca_id: int, now: datetime) -> tuple[datetime | None, str]:
    """The newest OCSP responses' nextUpdate, and what is wrong with them: expired, or older
    than a revocation (they still answer "good" for it)."""
    row = db.execute(
        "SELECT this_update, next_update FROM ocsp_batches WHERE ca_id = ? ORDER BY id DESC LIMIT 1",
        (ca_id,),
    ).fetchone()
    if row is None:
        return None, ""
    signed_at, until = datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1])
    if now >= until:
        return until, "the pre-signed OCSP responses have expired; sign them again"
    later = db.execute(
        "SELECT COUNT(*) FROM revocations WHERE ca_id = ? AND recorded_at > ?",
        (ca_id, row[0]),
    ).fetchone()[0]
    if later:
        return until, (
            f"{later} revocation(s) recorded after the OCSP responses were signed on "
            f"{signed_at:%Y-%m-%d %H:%M} UTC, which still answer good for them; sign them again"
        )
    # Short-lived responses are re-signed often: warn in their second half, at most 14 days ahead.
    if now >= until - min(DUE_SOON, (until - signed_at) / 2):
        return until, f"the OCSP responses expire on {until:%Y-%m-%d}; sign them again"
    return until, ""


@dataclass(frozen=True)
class CrlExport:
    der_path: Path
    pem_path: Path
    sha256: str


def file_stem(ca_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", ca_name).strip("-").lower() or "ca"


def _existing_number(path: Path, issuer: x509.Name) -> int | None:
    """The CRL number of the file already there, if it is a CRL of the same issuer."""
    data = path.read_bytes()
    try:
        old = (
            x509.load_pem_x509_crl(data)
            if data.startswith(b"-----")
            else x509.load_der_x509_crl(data)
        )
        number = old.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except (ValueError, x509.ExtensionNotFound):
        return None
    return number if old.issuer == issuer else None


def _replace(path: Path, data: bytes, issuer: x509.Name, number: int) -> None:
    """Write atomically. An older CRL of the same CA is replaced (the stable name is what the online
    side publishes); anything else in the way is left alone."""
    if path.exists():
        old = _existing_number(path, issuer)
        if old is None:
            raise StorageError(f"{path} exists and is not a CRL of this CA; it was left alone.")
        if old > number:
            raise StorageError(f"{path} holds a newer CRL ({old}); it was left alone.")
    _write_replacing(path, data)


def _write_replacing(path: Path, data: bytes) -> None:
    """Write atomically (temp, fsync, rename), replacing what is there."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temp).chmod(0o644)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def export(ws: Workspace, crl_id: int, folder: Path | None = None) -> CrlExport:
    """`<ca-name>.crl` (DER, as served over HTTP) and `<ca-name>.crl.pem`, under stable names."""
    record = crl.get(ws.db, crl_id)
    newest = crl.latest(ws.db, record.ca_id)
    if newest is not None and newest.number != record.number:
        raise ValidationError(
            f"CRL {record.number} of '{record.ca_name}' has been superseded by CRL {newest.number}; export that one."
        )
    folder = folder or ws.exports_dir / "crls"
    folder.mkdir(parents=True, exist_ok=True)
    der = crl.load_der(ws.db, crl_id)
    signed = x509.load_der_x509_crl(der)
    stem = file_stem(record.ca_name)
    der_path, pem_path = folder / f"{stem}.crl", folder / f"{stem}.crl.pem"
    pem = signed.public_bytes(serialization.Encoding.PEM)
    written = [(der_path, der), (pem_path, pem)]  # each named in the audit entry with its hash
    try:
        _replace(der_path, der, signed.issuer, record.number)
        _replace(pem_path, pem, signed.issuer, record.number)
        row = ws.db.execute(
            "SELECT checkpoint, checkpoint_sig FROM crls WHERE id = ?", (crl_id,)
        ).fetchone()
        if row and row[0] and row[1]:  # the signed audit checkpoint travels with the CRL
            cp_path = folder / f"{stem}{checkpoint.SUFFIX}"
            sig_path = cp_path.with_name(cp_path.name + ".sig")
            _write_replacing(cp_path, bytes(row[0]))
            _write_replacing(sig_path, bytes(row[1]))
            written += [(cp_path, bytes(row[0])), (sig_path, bytes(row[1]))]
    except OSError as exc:
        raise StorageError(f"Writing the CRL to {folder} failed: {exc.strerror}.") from exc
    digest = hashlib.sha256(der).hexdigest()
    with ws.db.atomic():
        audit.append(
            ws.db,
            "crl.export",
            {"crl_id": crl_id, "ca_id": record.ca_id, "number": record.number},
            artefacts=tuple(
                audit.Artefact(str(path), hashlib.sha256(data).hexdigest())
                for path, data in written
            ),
        )
    return CrlExport(der_path, pem_path, digest)
