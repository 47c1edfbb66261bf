"""One read of everything the main window shows, taken in a single query pass on the CA worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from pkiadmin.core import (
    audit,
    authorities,
    ceremony_store,
    crl,
    crl_status,
    inventory,
    partners,
    requests,
    revocation,
    trust,
)

EXPIRY_WARNING_DAYS = 90


@dataclass(frozen=True)
class Overview:
    certificates: tuple[inventory.CertRecord, ...]
    authorities: tuple[authorities.Authority, ...]
    audit_entries: tuple[audit.AuditEntry, ...]
    audit_verdict: audit.AuditVerdict
    ceremonies: tuple[ceremony_store.CeremonyRecord, ...] = ()
    csrs: tuple[requests.CsrRecord, ...] = ()
    crl_calendar: tuple[crl_status.CrlStatus, ...] = ()
    revocations: tuple[revocation.Revocation, ...] = ()
    crls: tuple[crl.CrlRecord, ...] = ()
    partners: tuple[partners.Partner, ...] = ()
    packages: tuple[dict[str, object], ...] = ()
    officer_fingerprint: str | None = None
    partner_certs: tuple[trust.PartnerCert, ...] = ()
    last_verified: dict[int, datetime] = field(default_factory=dict)

    @property
    def revoked_ids(self) -> frozenset[int]:
        return frozenset(r.cert_id for r in self.revocations)

    def revocable(self) -> tuple[inventory.CertRecord, ...]:
        """Certificates a CA held here issued (not a root itself), not revoked yet."""
        held = {a.cert_id for a in self.authorities}
        return tuple(
            c
            for c in self.certificates
            if c.issuer_cert_id in held
            and c.issuer_cert_id != c.id
            and c.id not in self.revoked_ids
        )

    def expiring_soon(self, now: datetime | None = None) -> tuple[inventory.CertRecord, ...]:
        now = now or datetime.now(UTC)
        horizon = now + timedelta(days=EXPIRY_WARNING_DAYS)
        return tuple(c for c in self.certificates if now <= c.not_after <= horizon)

    def expired(self, now: datetime | None = None) -> tuple[inventory.CertRecord, ...]:
        now = now or datetime.now(UTC)
        return tuple(c for c in self.certificates if c.not_after < now)


def load(db: Database) -> Overview:
    return Overview(
        certificates=inventory.list_certificates(db),
        authorities=authorities.list_authorities(db),
        audit_entries=audit.entries(db),
        audit_verdict=audit.verify(db),
        ceremonies=ceremony_store.list_ceremonies(db),
        csrs=requests.list_csrs(db),
        crl_calendar=crl_status.status(db),
        revocations=revocation.list_revocations(db),
        crls=crl.list_crls(db),
        partners=partners.list_partners(db),
        packages=tuple(
            dict(r)
            for r in db.query(
                "SELECT p.id, p.direction, p.partner_id, p.package_id, p.at, p.file, p.result,"
                " p.findings, p.manifest_sha256 FROM packages p ORDER BY p.id"
            )
        ),
        officer_fingerprint=partners.officer_fingerprint(db),
        partner_certs=trust.partner_certificates(db),
        last_verified=trust.last_verification(db),
    )
