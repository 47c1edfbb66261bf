"""Clock sanity before a key is used.

A clock set back signs certificates and CRLs dated in the past; one set years ahead signs a CRL
whose thisUpdate then blocks every later one. The audit log is a record of earlier clock
readings: a clock earlier than the last entry, or more than 30 days after it (an air-gapped
workstation is used at ceremonies, but rarely idle that long), needs a person to confirm it is
right. The confirmation is an audit entry at the confirmed time, so the next check compares with
it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pkiadmin.core.base.errors import CheckFailedError
from pkiadmin.core.workspace import audit

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_GAP = timedelta(days=30)
TOLERANCE = timedelta(minutes=5)
CONFIRM_COMMAND = "pkiadmin-cli workspace confirm-clock"


def problem(db: Database, now: datetime | None = None) -> str | None:
    """What is odd about the clock compared with the last audit entry, or None."""
    row = db.execute("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return None
    now = now or datetime.now(UTC)
    last = datetime.fromisoformat(row[0])
    if now < last - TOLERANCE:
        return (
            f"The clock ({now:%Y-%m-%d %H:%M} UTC) is earlier than the last audit entry "
            f"({last:%Y-%m-%d %H:%M} UTC): it was set back, or it was ahead then"
        )
    if now > last + MAX_GAP:
        return (
            f"The clock ({now:%Y-%m-%d %H:%M} UTC) is {(now - last).days} days after the last audit "
            f"entry ({last:%Y-%m-%d %H:%M} UTC)"
        )
    return None


def require_sane(db: Database) -> None:
    """Refuse a key use while the clock needs confirming."""
    found = problem(db)
    if found:
        raise CheckFailedError(
            f"{found}. No key is used until a person has checked the clock against a reliable "
            f"source and confirmed it: {CONFIRM_COMMAND} (recorded in the audit log), or set it right."
        )


def confirm(db: Database, who: str) -> datetime:
    """Record that `who` checked the clock and it is right; returns the confirmed time."""
    now = datetime.now(UTC)
    with db.atomic():
        audit.append(
            db,
            "clock.confirmed",
            {"by": who},
            details={"clock": now.isoformat(timespec="seconds"), "problem": problem(db, now)},
        )
    return now
