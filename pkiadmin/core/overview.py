"""One read of everything the main window shows, taken in a single query pass on the CA worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from pkiadmin.core import audit, authorities, ceremony_store, inventory, requests

EXPIRY_WARNING_DAYS = 90


@dataclass(frozen=True)
class Overview:
    certificates: tuple[inventory.CertRecord, ...]
    authorities: tuple[authorities.Authority, ...]
    audit_entries: tuple[audit.AuditEntry, ...]
    audit_verdict: audit.AuditVerdict
    ceremonies: tuple[ceremony_store.CeremonyRecord, ...] = ()
    csrs: tuple[requests.CsrRecord, ...] = ()

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
    )
