"""Recording revocations of certificates issued by CAs held here; they reach relying parties in the
issuer's next CRL, which must be signed within 24 hours (BR 4.9.7)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from sqlite_utils import Database

from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

CRL_DEADLINE = timedelta(hours=24)
# RFC 5280 5.3.1 reason codes a CA here may use. certificateHold and removeFromCRL are left out:
# an offline root cannot un-revoke in time, and the Baseline Requirements forbid holds.
REASONS: Mapping[str, x509.ReasonFlags] = {
    "unspecified": x509.ReasonFlags.unspecified,
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "cACompromise": x509.ReasonFlags.ca_compromise,
    "affiliationChanged": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
    "privilegeWithdrawn": x509.ReasonFlags.privilege_withdrawn,
}


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


@dataclass(frozen=True)
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


def _issuer_held_here(ws: Workspace, cert_id: int, record: inventory.CertRecord) -> Authority:
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
