"""One read of everything the main window shows, taken in a single query pass on the CA worker."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.exchange import partners
from pkiadmin.core.exchange import trust_store as trust
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import certrecord, dashboard
from pkiadmin.core.issuance import authorities, profiles, requests
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.lifecycle import renew, rollover
from pkiadmin.core.revocation import calendar as crl_status
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import audit
from pkiadmin.core.x509.cert_profiles import CertProfile

if TYPE_CHECKING:
    from sqlite_utils import Database

T = TypeVar("T")


@dataclass(frozen=True)
class Overview:
    ca_certificates: tuple[certrecord.CertRecord, ...]
    revocable_certificates: tuple[certrecord.CertRecord, ...]
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
    partner_crls: tuple[trust.PartnerCrl, ...] = ()
    profiles: tuple[CertProfile, ...] = ()
    renewals: tuple[renew.RenewalDue, ...] = ()  # intermediate CAs whose renewal is due
    root_key_ages: tuple[rollover.KeyAge, ...] = ()  # each root's key age (Mozilla 3.1)
    custodians: dict[int, tuple[str, ...]] = field(default_factory=dict)  # by CA id

    @property
    def revoked_ids(self) -> frozenset[int]:
        return frozenset(r.cert_id for r in self.revocations)

    @property
    def end_entity_issuers(self) -> tuple[Authority, ...]:
        """The CAs that may sign end-entity certificates: issuing CAs (path length 0, not
        self-issued) that are not retired and still hold their key, which is what signing
        checks (end_entity.check_issuer, Authority.require_issuing)."""
        records = {r.id: r for r in self.ca_certificates}
        return tuple(
            a
            for a in self.authorities
            if (r := records.get(a.cert_id)) is not None
            and r.path_length == 0
            and r.subject != r.issuer
            and a.retired_at is None
            and a.key_destroyed_at is None
        )


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


def _revocable(db: Database) -> tuple[certrecord.CertRecord, ...]:
    return tuple(
        certrecord.record(r)
        for r in db.query(
            f"SELECT {certrecord.COLUMNS} FROM certificates"  # noqa: S608 - fixed column list
            " WHERE issuer_cert_id IN (SELECT cert_id FROM authorities) AND issuer_cert_id != id"
            " AND id NOT IN (SELECT cert_id FROM revocations) ORDER BY id LIMIT 10000"
        )
    )


def _ca_certificates(db: Database) -> tuple[certrecord.CertRecord, ...]:
    return tuple(
        certrecord.record(r)
        for r in db.query(
            f"SELECT {certrecord.COLUMNS} FROM certificates WHERE is_ca = 1 ORDER BY id"  # noqa: S608
        )
    )


def _packages(db: Database) -> tuple[dict[str, object], ...]:
    return tuple(
        dict(r)
        for r in db.query(
            "SELECT p.id, p.direction, p.partner_id, p.package_id, p.at, p.file, p.result,"
            " p.findings, p.manifest_sha256 FROM packages p ORDER BY p.id"
        )
    )


# What a change in one area of the workspace can alter. The audit log changes with every change.
AREAS: dict[str, tuple[str, ...]] = {
    "certificates": ("ca_certificates", "revocable_certificates", "stats", "choices"),
    "authorities": (
        "authorities",
        "custodians",
        "ca_certificates",
        "crl_calendar",
        "stats",
        "renewals",
        "root_key_ages",
    ),
    "requests": ("csrs",),
    "revocation": ("revocable_certificates", "revocations", "crls", "crl_calendar", "stats"),
    "partners": (
        "partners",
        "packages",
        "officer_fingerprint",
        "partner_certs",
        "last_verified",
        "partner_crls",
        "stats",
    ),
    "ceremonies": ("ceremonies", "custodians"),
    "profiles": ("profiles",),
}
_ALWAYS = ("audit_entries", "audit_verdict")


def load(db: Database, now: datetime | None = None) -> Overview:
    """Everything, read afresh."""
    return _read(db, now, None, frozenset())


def update(
    db: Database, previous: Overview, areas: Iterable[str], now: datetime | None = None
) -> Overview:
    """`previous` with only what the changed `areas` (and the audit log) can alter read again."""
    return _read(db, now, previous, frozenset(n for area in areas for n in AREAS[area]))


def _read(
    db: Database, now: datetime | None, previous: Overview | None, names: frozenset[str]
) -> Overview:
    def pick(name: str, read: Callable[[], T], old: Callable[[Overview], T]) -> T:
        if previous is None or name in names or name in _ALWAYS:
            return read()
        return old(previous)

    return Overview(
        ca_certificates=pick(
            "ca_certificates", lambda: _ca_certificates(db), lambda o: o.ca_certificates
        ),
        revocable_certificates=pick(
            "revocable_certificates", lambda: _revocable(db), lambda o: o.revocable_certificates
        ),
        stats=pick("stats", lambda: dashboard.stats(db, now), lambda o: o.stats),
        choices=pick("choices", lambda: choices(db), lambda o: o.choices),
        authorities=pick(
            "authorities", lambda: authorities.list_authorities(db), lambda o: o.authorities
        ),
        audit_entries=pick("audit_entries", lambda: audit.entries(db), lambda o: o.audit_entries),
        audit_verdict=pick(
            "audit_verdict", lambda: audit_replay.verify(db), lambda o: o.audit_verdict
        ),
        ceremonies=pick(
            "ceremonies", lambda: ceremony_store.list_ceremonies(db), lambda o: o.ceremonies
        ),
        custodians=pick(
            "custodians", lambda: ceremony_store.custodians_by_ca(db), lambda o: o.custodians
        ),
        csrs=pick("csrs", lambda: requests.list_csrs(db), lambda o: o.csrs),
        crl_calendar=pick("crl_calendar", lambda: crl_status.status(db), lambda o: o.crl_calendar),
        revocations=pick(
            "revocations", lambda: revocation.list_revocations(db), lambda o: o.revocations
        ),
        crls=pick("crls", lambda: crl.list_crls(db), lambda o: o.crls),
        partners=pick("partners", lambda: partners.list_partners(db), lambda o: o.partners),
        packages=pick("packages", lambda: _packages(db), lambda o: o.packages),
        officer_fingerprint=pick(
            "officer_fingerprint",
            lambda: partners.officer_fingerprint(db),
            lambda o: o.officer_fingerprint,
        ),
        partner_certs=pick(
            "partner_certs", lambda: trust.partner_certificates(db), lambda o: o.partner_certs
        ),
        last_verified=pick(
            "last_verified", lambda: trust.last_verification(db), lambda o: o.last_verified
        ),
        partner_crls=pick(
            "partner_crls", lambda: trust.current_partner_crls(db), lambda o: o.partner_crls
        ),
        profiles=pick(
            "profiles", lambda: tuple(profiles.all_profiles(db).values()), lambda o: o.profiles
        ),
        renewals=pick("renewals", lambda: renew.renewals(db, now), lambda o: o.renewals),
        root_key_ages=pick(
            "root_key_ages", lambda: rollover.key_ages(db), lambda o: o.root_key_ages
        ),
    )
