"""The figures of the dashboard, computed by indexed counts (a million rows in milliseconds):
certificates by status, expiry thresholds, expirations per month for the next 12 months, and the
compliance summary. Each figure comes with the filter that lists its certificates."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pkiadmin.core.inventory import compliance, query

if TYPE_CHECKING:
    from sqlite_utils import Database

THRESHOLDS = (1, 3, 7, 14, 30)


@dataclass(frozen=True)
class Figure:
    label: str
    count: int
    filter: query.Filter


@dataclass(frozen=True)
class Month:
    start: datetime
    end: datetime
    count: int

    @property
    def label(self) -> str:
        return f"{self.start:%b %Y}"

    @property
    def filter(self) -> query.Filter:
        return query.Filter(expires_from=self.start, expires_before=self.end)


@dataclass(frozen=True)
class DashboardStats:
    at: datetime
    total: int
    statuses: tuple[Figure, ...]
    thresholds: tuple[Figure, ...]
    months: tuple[Month, ...]
    compliance: tuple[Figure, ...]


def _month_starts(now: datetime, count: int) -> list[datetime]:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(count):
        last = starts[-1]
        starts.append(
            last.replace(year=last.year + 1, month=1)
            if last.month == 12
            else last.replace(month=last.month + 1)
        )
    return starts


def stats(db: Database, now: datetime | None = None) -> DashboardStats:
    now = now or datetime.now(UTC)

    def figure(label: str, f: query.Filter) -> Figure:
        return Figure(label, query.count(db, f, now), f)

    total = int(db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0])
    expired = figure("Expired", query.Filter(expired=True))
    not_yet_valid = figure("Not yet valid", query.Filter(not_yet_valid=True))
    revoked = figure("Revoked", query.Filter(revoked=True))
    statuses = (
        Figure("Valid", total - _not_valid(db, now, expired.count), _VALID),
        expired,
        not_yet_valid,
        revoked,
    )
    thresholds = tuple(
        figure(f"≤ {days} day{'s' if days > 1 else ''}", query.Filter(expires_within_days=days))
        for days in THRESHOLDS
    )
    starts = _month_starts(now, 12)
    months = []
    for start, end in itertools.pairwise(starts):
        lower = max(start, now)  # this month: from now on (what has expired is counted above)
        f = query.Filter(expires_from=lower, expires_before=end)
        months.append(Month(lower, end, query.count(db, f, now)))
    counts = compliance.summary(db, now)
    findings = tuple(
        Figure(r.title, counts[r.code], query.Filter(finding=r.code)) for r in compliance.RULES
    )
    return DashboardStats(now, total, statuses, thresholds, tuple(months), findings)


_VALID = query.Filter(expired=False, not_yet_valid=False, revoked=False)


def _not_valid(db: Database, now: datetime, expired: int) -> int:
    """Expired, not yet valid or revoked: counted as three disjoint parts, each through a small
    index range (valid certificates are most of the rows, and counting them directly tests each
    one's validity and revocation)."""
    not_yet_valid = query.count(db, query.Filter(not_yet_valid=True, expired=False), now)
    revoked = query.count(db, query.Filter(revoked=True, expired=False, not_yet_valid=False), now)
    return expired + not_yet_valid + revoked
