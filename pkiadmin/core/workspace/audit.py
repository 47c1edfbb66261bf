"""The audit log: one hash-chained entry per state change, written in the change's transaction."""

from __future__ import annotations

import functools
import getpass
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database


GENESIS_HASH = "0" * 64
_HEAD_COUNT = "audit_head_count"
_HEAD_HASH = "audit_head_hash"


@dataclass(frozen=True)
class Artefact:
    """A file or object an operation produced, identified by its SHA-256."""

    name: str
    sha256: str


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    operation: str
    objects: Mapping[str, Any]
    artefacts: tuple[Artefact, ...]
    details: Mapping[str, Any]
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class AuditVerdict:
    """The result of checking the chain: ok, or the first entry that is wrong and why."""

    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""
    differences: tuple[str, ...] = ()  # where the tables differ from what the log recorded

    @property
    def summary(self) -> str:
        """'3 entries, chain intact' or what is wrong, as shown in the CLI and the GUI."""
        if self.ok:
            noun = "entry" if self.entries == 1 else "entries"
            return f"{self.entries} {noun}, chain intact"
        if self.differences and self.first_bad_seq is None:
            return (
                f"chain intact, but the database differs from the audit log: {self.differences[0]}"
                + (f" (and {len(self.differences) - 1} more)" if len(self.differences) > 1 else "")
            )
        return f"chain broken at entry #{self.first_bad_seq}: {self.problem}"


def current_actor() -> str:
    """The operating-system user running pkiadmin (who the audit log names): the login name from
    the environment, as getpass.getuser() reads it, else the account of this process's user."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if user := os.environ.get(name):
            return user
    return _account()


@functools.cache
def _account() -> str:  # the password database is read once per process, not per entry
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _entry_hash(
    at: str,
    actor: str,
    operation: str,
    objects: Mapping[str, Any],
    artefacts: Sequence[Artefact],
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    # The sequence number is deliberately not hashed: order is carried by prev_hash alone, so
    # moving an entry shows as a broken link to its predecessor, not as an edit.
    canonical = json.dumps(
        {
            "at": at,
            "actor": actor,
            "operation": operation,
            "objects": objects,
            "artefacts": [[a.name, a.sha256] for a in artefacts],
            "details": details,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewEntry:
    """An entry to append: what changed, what it produced, and how."""

    operation: str
    objects: Mapping[str, Any]
    artefacts: Sequence[Artefact] = ()
    details: Mapping[str, Any] | None = None


def append(
    db: Database,
    operation: str,
    objects: Mapping[str, Any],
    artefacts: Sequence[Artefact] = (),
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Append one entry. Must be called inside the transaction that makes the change."""
    return append_many(db, [NewEntry(operation, objects, artefacts, details)], actor)[0]


def append_many(
    db: Database, new: Sequence[NewEntry], actor: str | None = None
) -> list[AuditEntry]:
    """Append entries in order, each chained to the one before (a batch: each change its own
    entry, written with one statement). Must be called inside the changes' transaction."""
    if not db.conn.in_transaction:
        raise RuntimeError("audit.append() must run inside the change's transaction")
    if not new:
        return []
    actor = actor or current_actor()
    row = db.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS_HASH)
    written: list[AuditEntry] = []
    for item in new:
        details = dict(item.details or {})
        artefacts = tuple(item.artefacts)
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        entry_hash = _entry_hash(at, actor, item.operation, item.objects, artefacts, details, prev)
        written.append(
            AuditEntry(
                seq, at, actor, item.operation, dict(item.objects), artefacts, details, prev,
                entry_hash,
            )
        )  # fmt: skip
        seq, prev = seq + 1, entry_hash
    db.conn.executemany(
        "INSERT INTO audit_log (seq, at, actor, operation, objects, artefacts, details, prev_hash, entry_hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                e.seq,
                e.at,
                e.actor,
                e.operation,
                json.dumps(e.objects, sort_keys=True),
                json.dumps([[a.name, a.sha256] for a in e.artefacts]),
                json.dumps(e.details, sort_keys=True),
                e.prev_hash,
                e.entry_hash,
            )
            for e in written
        ],
    )
    # The head (count and last hash) lets verify() notice entries cut off the end of the log.
    last = written[-1]
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)",
        (_HEAD_COUNT, str(last.seq), _HEAD_HASH, last.entry_hash),
    )
    return written


def entries(db: Database, limit: int | None = None) -> tuple[AuditEntry, ...]:
    """All entries in sequence order (or the last `limit`, still in order)."""
    if limit is None:
        rows = db.query("SELECT * FROM audit_log ORDER BY seq")
    else:
        rows = db.query(
            "SELECT * FROM (SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            [limit],
        )
    return tuple(_row_to_entry(row) for row in rows)


def _row_to_entry(row: Mapping[str, Any]) -> AuditEntry:
    return AuditEntry(
        seq=int(row["seq"]),
        at=str(row["at"]),
        actor=str(row["actor"]),
        operation=str(row["operation"]),
        objects=json.loads(row["objects"]),
        artefacts=tuple(Artefact(str(n), str(h)) for n, h in json.loads(row["artefacts"])),
        details=json.loads(row["details"]),
        prev_hash=str(row["prev_hash"]),
        entry_hash=str(row["entry_hash"]),
    )


def verify(db: Database) -> AuditVerdict:
    """Check the whole chain and name the first entry that was edited, removed or reordered."""
    log = entries(db)
    known_hashes = {e.entry_hash for e in log}
    prev = GENESIS_HASH
    for position, entry in enumerate(log, start=1):
        recomputed = _entry_hash(
            entry.at,
            entry.actor,
            entry.operation,
            entry.objects,
            entry.artefacts,
            entry.details,
            entry.prev_hash,
        )
        if recomputed != entry.entry_hash:
            return _bad(
                log,
                entry.seq,
                f"entry #{entry.seq} was edited: its content no longer matches its hash.",
            )
        if entry.seq != position:
            return _bad(
                log,
                entry.seq,
                f"entry #{position} is missing: the log jumps from #{position - 1} to #{entry.seq}.",
            )
        if entry.prev_hash != prev:
            if entry.prev_hash in known_hashes or entry.prev_hash == GENESIS_HASH:
                problem = f"entry #{entry.seq} is out of order: it does not follow entry #{entry.seq - 1}."
            else:
                problem = (
                    f"entry #{entry.seq} does not follow entry #{entry.seq - 1}: an entry between them "
                    "was removed or entry #{0} was rewritten.".format(entry.seq - 1)
                )
            return _bad(log, entry.seq, problem)
        prev = entry.entry_hash
    head = dict(
        db.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?)", (_HEAD_COUNT, _HEAD_HASH)
        ).fetchall()
    )
    recorded = int(head.get(_HEAD_COUNT, "0"))
    if recorded != len(log) or (log and head.get(_HEAD_HASH) != prev):
        seq = len(log) + 1
        return _bad(
            log,
            seq,
            f"the log ends at entry #{len(log)} but {recorded} entries were written: "
            f"entries from #{seq} on were removed.",
        )
    return AuditVerdict(ok=True, entries=len(log), head_hash=prev)


def _bad(log: Sequence[AuditEntry], seq: int, problem: str) -> AuditVerdict:
    head = log[-1].entry_hash if log else GENESIS_HASH
    return AuditVerdict(
        ok=False, entries=len(log), head_hash=head, first_bad_seq=seq, problem=problem
    )
