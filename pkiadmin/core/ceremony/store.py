"""Ceremony records and their event log in the workspace database; interrupted-run detection."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import platform
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkiadmin.core.base import processes
from pkiadmin.core.base.errors import NotFoundError
from pkiadmin.core.workspace import audit

if TYPE_CHECKING:
    from sqlite_utils import Database


class CeremonyStatus(enum.Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class CeremonyRecord:
    id: int
    plan_id: str
    purpose: str
    plan_sha256: str
    rehearsal: bool
    status: CeremonyStatus
    started_at: datetime
    ended_at: datetime | None
    ca_id: int | None
    report_dir: str | None
    kind: str


@dataclass(frozen=True)
class CeremonyEvent:
    at: str
    step: str
    kind: str
    person: str | None
    detail: Mapping[str, Any]


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def insert(
    db: Database,
    plan_id: str,
    purpose: str,
    plan_sha256: str,
    plan_text: str,
    rehearsal: bool,
    kind: str,
) -> int:
    cursor = db.execute(
        "INSERT INTO ceremonies (plan_id, purpose, plan_sha256, plan_text, rehearsal, status, started_at, host, pid, kind)"
        " VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
        (
            plan_id,
            purpose,
            plan_sha256,
            plan_text,
            int(rehearsal),
            now_text(),
            platform.node(),
            os.getpid(),
            kind,
        ),
    )
    return int(cursor.lastrowid or 0)


def record_event(
    db: Database,
    ceremony_id: int,
    step: str,
    kind: str,
    person: str | None,
    detail: Mapping[str, Any],
) -> CeremonyEvent:
    """One event and its audit entry, in the caller's transaction."""
    at = now_text()
    db.execute(
        "INSERT INTO ceremony_events (ceremony_id, at, step, kind, person, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (ceremony_id, at, step, kind, person, json.dumps(detail, sort_keys=True)),
    )
    objects: dict[str, Any] = {"ceremony_id": ceremony_id, "step": step}
    if person:
        objects["person"] = person
    audit.append(db, f"ceremony.{kind}", objects, details=detail)
    return CeremonyEvent(at, step, kind, person, dict(detail))


def events(db: Database, ceremony_id: int) -> tuple[CeremonyEvent, ...]:
    rows = db.query(
        "SELECT at, step, kind, person, detail FROM ceremony_events WHERE ceremony_id = ? ORDER BY id",
        [ceremony_id],
    )
    return tuple(
        CeremonyEvent(r["at"], r["step"], r["kind"], r["person"], json.loads(r["detail"]))
        for r in rows
    )


def _record(row: Mapping[str, Any]) -> CeremonyRecord:
    return CeremonyRecord(
        id=int(row["id"]),
        plan_id=str(row["plan_id"]),
        purpose=str(row["purpose"]),
        plan_sha256=str(row["plan_sha256"]),
        rehearsal=bool(row["rehearsal"]),
        status=CeremonyStatus(row["status"]),
        started_at=datetime.fromisoformat(row["started_at"]),
        ended_at=datetime.fromisoformat(row["ended_at"]) if row["ended_at"] else None,
        ca_id=row["ca_id"],
        report_dir=row["report_dir"],
        kind=str(row["kind"]),
    )


_COLUMNS = "id, plan_id, purpose, plan_sha256, rehearsal, status, started_at, ended_at, ca_id, report_dir, kind"


def list_ceremonies(db: Database) -> tuple[CeremonyRecord, ...]:
    """Every ceremony as it stands: a running one whose process is gone shows as interrupted
    (a read; mark_interrupted records it)."""
    stale = set(_stale(db))
    return tuple(
        dataclasses.replace(record, status=CeremonyStatus.INTERRUPTED)
        if record.id in stale
        else record
        for record in (
            _record(r)
            for r in db.query(f"SELECT {_COLUMNS} FROM ceremonies ORDER BY id")  # noqa: S608
        )
    )


def _stale(db: Database) -> list[int]:
    host = platform.node()
    return [
        int(r["id"])
        for r in db.query("SELECT id, host, pid FROM ceremonies WHERE status = 'running'")
        if r["host"] != host or not processes.alive(int(r["pid"]))
    ]


def get(db: Database, ceremony_id: int) -> CeremonyRecord:
    rows = list(db.query(f"SELECT {_COLUMNS} FROM ceremonies WHERE id = ?", [ceremony_id]))  # noqa: S608
    if not rows:
        raise NotFoundError(
            f"There is no ceremony with id {ceremony_id}. List them with: pkiadmin-cli ceremony show"
        )
    return _record(rows[0])


def set_status(db: Database, ceremony_id: int, status: CeremonyStatus) -> None:
    db.execute(
        "UPDATE ceremonies SET status = ?, ended_at = ? WHERE id = ?",
        (status.value, now_text(), ceremony_id),
    )


def mark_interrupted(db: Database) -> tuple[int, ...]:
    """Running ceremonies whose process is gone (killed, crashed, power lost) become 'interrupted'.

    Nothing recorded is lost, and no CA came from them: a CA is stored only when a ceremony completes.
    """
    stale = _stale(db)
    for ceremony_id in stale:
        with db.atomic():
            set_status(db, ceremony_id, CeremonyStatus.INTERRUPTED)
            record_event(
                db,
                ceremony_id,
                "-",
                "interrupted",
                None,
                {
                    "reason": "the process running the ceremony ended before it completed or was aborted"
                },
            )
    return tuple(stale)


def report_problem(db: Database, folder: Path) -> str | None:
    """A report is the record of a ceremony this workspace completed, or it says so: a report
    left by a ceremony that was killed before its final commit verifies cryptographically, but
    the workspace lists that ceremony as interrupted (or does not know it)."""
    try:
        ceremony = json.loads((folder / "report.json").read_bytes()[: 16 << 20])["ceremony"]
        record_id = int(ceremony["record_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # the report's own check says what is wrong with it
    row = db.execute(
        "SELECT status, report_dir FROM ceremonies WHERE id = ?", (record_id,)
    ).fetchone()
    if row is None:
        return f"this workspace has no ceremony {record_id}; the report is not one of its records"
    if row[0] != "completed":
        return (
            f"this workspace lists ceremony {record_id} as {row[0]}, not completed: the report "
            "is not the record of a completed ceremony"
        )
    if row[1] and Path(row[1]).resolve() != folder.resolve():
        return f"ceremony {record_id}'s report is {row[1]} in this workspace, not this folder"
    return None


def custodians_by_ca(db: Database) -> dict[int, tuple[str, ...]]:
    """Each ceremony-made CA's custodians, by name, from the plan of the ceremony that made it:
    who is asked for a share when its key is unlocked."""
    found: dict[int, tuple[str, ...]] = {}
    for ca_id, plan_text in db.execute(
        "SELECT ca_id, plan_text FROM ceremonies WHERE status = 'completed' AND ca_id IS NOT NULL"
        " ORDER BY id"
    ):
        try:
            people = tomllib.loads(plan_text).get("participants", [])
        except tomllib.TOMLDecodeError:
            continue
        names = tuple(
            str(p["name"])
            for p in people
            if isinstance(p, dict) and p.get("role") == "custodian" and "name" in p
        )
        if names:
            found[int(ca_id)] = names
    return found
