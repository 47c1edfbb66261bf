"""Recording revocations of certificates issued by CAs held here; they reach relying parties in the
issuer's next CRL, which must be signed within 24 hours (BR 4.9.7)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.revocation import reasons
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

CRL_DEADLINE = timedelta(hours=24)
# RFC 5280 5.3.1 reason codes a CA here may use. certificateHold and removeFromCRL are left out:
# an offline root cannot un-revoke in time, and the Baseline Requirements forbid holds.
REASONS: Mapping[str, x509.ReasonFlags] = {name: x509.ReasonFlags(name) for name in reasons.NAMES}


# CA/Browser Forum TLS Baseline Requirements 7.2.2 (and 7.3 for OCSP): a CA certificate's
# revocation always carries a meaningful reasonCode; a subscriber (end-entity) certificate's
# reason is one of these, and "unspecified" is expressed by leaving the reasonCode out.
CA_REASONS = (
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
)
END_ENTITY_REASONS = (
    "unspecified",
    "keyCompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "privilegeWithdrawn",
)


def reasons_for(is_ca: bool) -> tuple[str, ...]:
    """The reasons a certificate of this kind may be revoked for (BR 7.2.2)."""
    return CA_REASONS if is_ca else END_ENTITY_REASONS


def check_reason(reason: str, is_ca: bool) -> None:
    """Refuse a reason the Baseline Requirements do not allow for this kind of certificate."""
    if reason not in REASONS:
        raise ValidationError(
            f"'{reason}' is not a reason pkiadmin uses; use one of: {', '.join(REASONS)}."
        )
    if reason in reasons_for(is_ca):
        return
    if is_ca:
        raise ValidationError(
            f"A CA certificate's revocation needs a meaningful reason, not '{reason}' (CA/Browser "
            "Forum Baseline Requirements 7.2.2: its CRL entry always carries a reasonCode). Choose "
            f"one of: {', '.join(CA_REASONS)}."
        )
    raise ValidationError(
        f"'{reason}' is for CA certificates; an end-entity certificate is revoked for one of: "
        f"{', '.join(END_ENTITY_REASONS)} (Baseline Requirements 7.2.2)."
    )


class AlreadyRevokedError(ValidationError):
    """The certificate is revoked already; the message shows the existing revocation."""


@dataclass(frozen=True, slots=True)  # a CRL draft holds one per entry: 100,000 of them
class Revocation:
    id: int
    cert_id: int
    ca_id: int
    serial: str
    subject: str
    revoked_at: datetime
    reason: str
    invalidity_date: datetime | None
    note: str
    recorded_at: datetime
    crl_number: int | None  # the first signed CRL that lists it; None while pending
    is_ca: bool = False  # a CA certificate: its entry always carries a reasonCode

    @property
    def pending(self) -> bool:
        return self.crl_number is None

    @property
    def crl_deadline(self) -> datetime:
        return self.recorded_at + CRL_DEADLINE

    def describe(self) -> str:
        where = f"in CRL {self.crl_number}" if self.crl_number else "not yet in a signed CRL"
        return (
            f"certificate {self.cert_id} ({self.subject}) was revoked on {self.revoked_at:%Y-%m-%d %H:%M} UTC, "
            f"reason {self.reason}, {where}"
        )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _record(row: Mapping[str, Any]) -> Revocation:
    return Revocation(
        id=int(row["id"]),
        cert_id=int(row["cert_id"]),
        ca_id=int(row["ca_id"]),
        serial=str(row["serial"]),
        subject=str(row["subject"]),
        revoked_at=datetime.fromisoformat(row["revoked_at"]),
        reason=str(row["reason"]),
        invalidity_date=_time(row["invalidity_date"]),
        note=str(row["note"]),
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        crl_number=row["crl_number"],
        is_ca=bool(row["is_ca"]),
    )


_SELECT = (
    "SELECT r.*, c.subject, c.is_ca FROM revocations r JOIN certificates c ON c.id = r.cert_id"
)


def list_revocations(db: Database, ca_id: int | None = None) -> tuple[Revocation, ...]:
    if ca_id is None:
        return tuple(_record(r) for r in db.query(f"{_SELECT} ORDER BY r.id"))
    return tuple(
        _record(r) for r in db.query(f"{_SELECT} WHERE r.ca_id = ? ORDER BY r.id", [ca_id])
    )


def for_certificate(db: Database, cert_id: int) -> Revocation | None:
    rows = list(db.query(f"{_SELECT} WHERE r.cert_id = ?", [cert_id]))
    return _record(rows[0]) if rows else None


def pending(db: Database) -> tuple[Revocation, ...]:
    return tuple(r for r in list_revocations(db) if r.pending)


def find_by_serial(db: Database, serial: str) -> int:
    """The inventory id of the certificate with this serial (hex, colons and case ignored)."""
    wanted = serial.replace(":", "").replace(" ", "").upper().lstrip("0")
    matches = [
        int(r[0])
        for r in db.execute(
            "SELECT id FROM certificates WHERE ltrim(upper(serial_hex), '0') = ? ORDER BY id",
            (wanted,),
        )
    ]
    if not matches:
        raise NotFoundError(
            f"No certificate in the inventory has the serial {serial}. List them with: pkiadmin-cli cert list"
        )
    if len(matches) > 1:
        raise ValidationError(
            f"Several certificates have the serial {serial} (ids {', '.join(map(str, matches))}); revoke by id."
        )
    return matches[0]


def _issuer_held_here(ws: Workspace, cert_id: int, record: certrecord.CertRecord) -> Authority:
    """The CA held here that issued the certificate: the one recorded, or, for an imported
    certificate, the one whose key verifiably signed it (the proof that it chains to that CA)."""
    cert = inventory.load_certificate(ws.db, cert_id)
    held = authorities.list_authorities(ws.db)
    candidates = [a for a in held if a.cert_id == record.issuer_cert_id] or held
    for authority in candidates:
        issuer_cert = inventory.load_certificate(ws.db, authority.cert_id)
        if issuer_cert.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(issuer_cert)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return authority
    raise ValidationError(
        f"Certificate {cert_id} ({record.subject}) was not issued by a CA whose key this workspace holds "
        f"(its issuer is {record.issuer}, and no CA here verifiably signed it); only its issuer can revoke it."
    )


def _dates(
    revoked_at: datetime | None, invalidity_date: datetime | None
) -> tuple[datetime, datetime, datetime | None]:
    """(now, the revocation date, the invalidity date), to the second in UTC; refused when the
    revocation is dated in the future or the compromise after the revocation."""
    now = datetime.now(UTC).replace(microsecond=0)
    when = (revoked_at or now).astimezone(UTC).replace(microsecond=0)
    if when > now + timedelta(minutes=5):
        raise ValidationError("The revocation date cannot be in the future.")
    if invalidity_date is not None:
        invalidity_date = invalidity_date.astimezone(UTC).replace(microsecond=0)
        if invalidity_date > when:
            raise ValidationError(
                "The invalidity date (when the key is known or suspected to have been compromised) "
                "cannot be after the revocation date."
            )
    return now, when, invalidity_date


def revoke(
    ws: Workspace,
    cert_id: int,
    reason: str,
    revoked_at: datetime | None = None,
    invalidity_date: datetime | None = None,
    note: str = "",
    historical: bool = False,
) -> Revocation:
    """Record a revocation (audited, one transaction). The issuer's key is needed only for the CRL.
    `historical`: a revocation a CA adopted from elsewhere recorded before (its reason is kept as
    it was, even one BR 7.2.2 does not allow a new revocation; the CRL gives a CA entry a reason)."""
    record = inventory.get_record(ws.db, cert_id)
    if not historical:
        check_reason(reason, record.is_ca)
    elif reason not in REASONS:
        raise ValidationError(f"'{reason}' is not a revocation reason pkiadmin can publish.")
    existing = for_certificate(ws.db, cert_id)
    if existing is not None:
        raise AlreadyRevokedError(f"Nothing changed: {existing.describe()}.")
    if record.issuer_cert_id == cert_id:
        raise ValidationError(
            f"Certificate {cert_id} is the self-signed root '{record.common_name}'. A root cannot be revoked by a "
            "CRL it signs itself: relying parties trust it directly. Retire it by removing it from every trust "
            "store (tell your partners), and revoke what it issued instead."
        )
    issuer = _issuer_held_here(ws, cert_id, record)
    now, when, invalidity_date = _dates(revoked_at, invalidity_date)
    with ws.db.atomic():
        cursor = ws.db.execute(
            "INSERT INTO revocations (cert_id, ca_id, serial, revoked_at, reason, invalidity_date, note, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cert_id,
                issuer.id,
                record.serial_hex,
                when.isoformat(),
                reason,
                invalidity_date.isoformat() if invalidity_date else None,
                note,
                now.isoformat(),
            ),
        )
        audit.append(
            ws.db,
            "cert.revoke",
            {"cert_id": cert_id, "ca_id": issuer.id, "serial": record.serial_hex},
            details={
                "subject": record.subject,
                "reason": reason,
                "revoked_at": when.isoformat(),
                "invalidity_date": invalidity_date.isoformat() if invalidity_date else None,
                "note": note,
                "is_ca": record.is_ca,
                **({"historical": True} if historical else {}),
            },
        )
    revocation = for_certificate(ws.db, cert_id)
    assert revocation is not None and revocation.id == cursor.lastrowid  # noqa: S101
    return revocation


@dataclass(frozen=True)
class RevocationBatch:
    batch: int
    count: int
    by_ca: Mapping[str, int]  # CA name -> revocations
    manifest_sha256: str


def revoke_many(
    ws: Workspace,
    cert_ids: Sequence[int],
    reason: str,
    revoked_at: datetime | None = None,
    invalidity_date: datetime | None = None,
    note: str = "",
) -> RevocationBatch:
    """Revoke many certificates as one operation: every one checked first (issued by a CA held
    here, not a root, not revoked yet, the reason allowed for it), then all stored in one
    transaction with one audit entry; whole or nothing."""
    ids = sorted(set(cert_ids))
    if not ids:
        raise ValidationError("No certificate to revoke.")
    now, when, invalidity_date = _dates(revoked_at, invalidity_date)
    # Each certificate of a CA held here (a renewed CA's predecessors too) -> that CA.
    held = {
        cert_id: a
        for a in authorities.list_authorities(ws.db)
        for cert_id in authorities.certificate_ids(ws.db, a)
    }
    subjects = {
        cert_id: str(
            ws.db.execute("SELECT subject FROM certificates WHERE id = ?", (cert_id,)).fetchone()[0]
        )
        for cert_id in held
    }
    rows: list[tuple[Any, ...]] = []
    problems: list[str] = []
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        select = "SELECT c.id, c.serial_hex, c.issuer_cert_id, c.is_ca, c.issuer, r.id"
        join = " FROM certificates c LEFT JOIN revocations r ON r.cert_id = c.id"
        query = f"{select}{join} WHERE c.id IN ({marks})"
        found = {int(r[0]): r for r in ws.db.execute(query, chunk)}
        for cert_id in chunk:
            row = found.get(cert_id)
            if row is None:
                problems.append(f"there is no certificate {cert_id}")
                continue
            issuer = held.get(int(row[2])) if row[2] is not None else None
            if row[2] == cert_id:
                problems.append(f"certificate {cert_id} is a root, which no CRL can revoke")
            elif issuer is None or subjects[int(row[2])] != row[4]:
                problems.append(f"certificate {cert_id} was not issued by a CA held here")
            elif row[5] is not None:
                problems.append(f"certificate {cert_id} is revoked already")
            elif issuer.key_destroyed_at is not None:
                problems.append(f"certificate {cert_id}'s issuer has destroyed its key")
            else:
                try:
                    check_reason(reason, bool(row[3]))
                except ValidationError as exc:
                    problems.append(f"certificate {cert_id}: {exc}")
                    continue
                rows.append((cert_id, str(row[1]), issuer.id, reason, when.isoformat(),
                             invalidity_date.isoformat() if invalidity_date else None))  # fmt: skip
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise ValidationError(f"Nothing was revoked: {shown}.")
    manifest = audit_replay.batch_manifest(rows)
    digest = hashlib.sha256(manifest).hexdigest()
    by_ca: dict[str, int] = {}
    names = {a.id: a.name for a in held.values()}
    for row in rows:
        by_ca[names[row[2]]] = by_ca.get(names[row[2]], 0) + 1
    with ws.db.atomic():
        batch = int(
            ws.db.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM revocations").fetchone()[0]
        )
        ws.db.conn.executemany(
            "INSERT INTO revocations (cert_id, ca_id, serial, revoked_at, reason, invalidity_date,"
            " note, recorded_at, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], r[2], r[1], r[4], r[3], r[5], note, now.isoformat(), batch) for r in rows],
        )
        audit.append(
            ws.db,
            "cert.revoke-batch",
            {"batch": batch, "count": len(rows), "ca_ids": sorted({r[2] for r in rows})},
            artefacts=(audit.Artefact("revocations", digest),),
            details={
                "reason": reason,
                "revoked_at": when.isoformat(),
                "invalidity_date": invalidity_date.isoformat() if invalidity_date else None,
                "note": note,
                "by_ca": by_ca,
            },
        )
    return RevocationBatch(batch, len(rows), by_ca, digest)


def select_for_revocation(
    db: Database, issued_by: int | None, serials: Sequence[str] | None
) -> list[int]:
    """The certificate ids a mass revocation names: the serials listed (of CA `issued_by` when
    given), or every certificate CA `issued_by` issued that is valid now and not revoked."""
    if serials is None:
        if issued_by is None:
            raise ValidationError(
                "Name the certificates: a file of serials, or the CA that issued them."
            )
        authority = authorities.get_authority(db, issued_by)
        now = datetime.now(UTC).isoformat()
        lineage = authorities.certificate_ids(db, authority)
        marks = ",".join("?" * len(lineage))
        query = (
            f"SELECT id FROM certificates WHERE issuer_cert_id IN ({marks}) AND id NOT IN ({marks})"  # noqa: S608
            " AND not_after > ? AND id NOT IN (SELECT cert_id FROM revocations)"
        )
        return [int(r[0]) for r in db.execute(query, (*lineage, *lineage, now))]
    wanted = {s.replace(":", "").upper().lstrip("0") for s in serials if s.strip()}
    issuer_filter = ""
    params: list[Any] = []
    if issued_by is not None:
        lineage = authorities.certificate_ids(db, authorities.get_authority(db, issued_by))
        issuer_filter = f" AND issuer_cert_id IN ({','.join('?' * len(lineage))})"
        params += lineage
    found: dict[str, list[int]] = {}
    for row in db.execute(
        f"SELECT id, ltrim(upper(serial_hex), '0') FROM certificates WHERE 1 = 1{issuer_filter}",  # noqa: S608 - fixed text
        params,
    ):
        if row[1] in wanted:
            found.setdefault(str(row[1]), []).append(int(row[0]))
    missing = sorted(wanted - found.keys())
    if missing:
        raise NotFoundError(
            f"{len(missing)} serial(s) are not in the inventory"
            + (" for that CA" if issued_by is not None else "")
            + f": {', '.join(missing[:5])}. Nothing was revoked."
        )
    twice = [s for s, ids in found.items() if len(ids) > 1]
    if twice:
        raise ValidationError(
            f"Serial {twice[0]} belongs to several certificates; give --issued-by. Nothing was revoked."
        )
    return [ids[0] for ids in found.values()]
