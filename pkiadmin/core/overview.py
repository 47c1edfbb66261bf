"""One read of everything the main window shows, taken in a single query pass on the CA worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from pkiadmin.core import (
    audit,
    audit_replay,
    authorities,
    ceremony_store,
    crl,
    crl_status,
    dashboard,
    inventory,
    partners,
    requests,
    revocation,
    trust,
)


@dataclass(frozen=True)
class Overview:
    ca_certificates: tuple[inventory.CertRecord, ...]
    revocable_certificates: tuple[inventory.CertRecord, ...]
    stats: dashboard.DashboardStats
    choices: Choices
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


@dataclass(frozen=True)
class Choices:
    """The values the certificates view offers in its filters."""

    environments: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = ()
    issuers: tuple[str, ...] = ()


def choices(db: Database) -> Choices:
    return Choices(
        environments=tuple(
            str(r[0])
            for r in db.execute(
                "SELECT DISTINCT environment FROM certificates WHERE environment IS NOT NULL ORDER BY 1"
            )
        ),
        algorithms=tuple(
            f"RSA {r[1]}" if r[0] == "RSA" else str(r[0])
            for r in db.execute(
                "SELECT DISTINCT key_algorithm, key_size FROM certificates ORDER BY 1, 2"
            )
        ),
        issuers=tuple(str(r[0]) for r in db.execute("SELECT issuer FROM issuer_names ORDER BY 1")),
    )


def _revocable(db: Database) -> tuple[inventory.CertRecord, ...]:
    return tuple(
        inventory.record(r)
        for r in db.query(
            f"SELECT {inventory.COLUMNS} FROM certificates"  # noqa: S608 - fixed column list
            " WHERE issuer_cert_id IN (SELECT cert_id FROM authorities) AND issuer_cert_id != id"
            " AND id NOT IN (SELECT cert_id FROM revocations) ORDER BY id LIMIT 10000"
        )
    )


def load(db: Database, now: datetime | None = None) -> Overview:
    return Overview(
        ca_certificates=tuple(
            inventory.record(r)
            for r in db.query(
                f"SELECT {inventory.COLUMNS} FROM certificates WHERE is_ca = 1 ORDER BY id"  # noqa: S608
            )
        ),
        revocable_certificates=_revocable(db),
        stats=dashboard.stats(db, now),
        choices=choices(db),
        authorities=authorities.list_authorities(db),
        audit_entries=audit.entries(db),
        audit_verdict=audit_replay.verify(db),
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
