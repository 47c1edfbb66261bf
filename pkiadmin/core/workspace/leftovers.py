"""What a killed operation left behind, found and dealt with when the workspace is opened.

Key files and ceremony reports are written inside the transaction that records them (which holds
the workspace's write lock), and reports are published by a rename after the commit. So, with the
write lock held:
- a key file in keys/ that no CA names is the leftover of a write that did not commit: it is moved
  to keys/orphaned/ (never deleted: it is key material) with an audit entry;
- a hidden `.<name>.partial` report folder or package under exports/ that no completed ceremony
  or recorded package names is removed; one that is recorded (killed between the commit and the
  rename) is published;
- temporary files of interrupted atomic writes (`.<name>.<hex>.tmp`) are removed.
Every action is audited and returned as a sentence for the CLI and the GUI to show."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

    from pkiadmin.core.workspace.rows import Rows

_TEMP = re.compile(r"^\..+\.[0-9a-f]{16}\.tmp$")
_PARTIAL = re.compile(r"^\.(.+)\.partial$")


def _referenced(db: Rows) -> set[str]:
    return {
        str(r[0])
        for r in db.execute(
            "SELECT key_ref FROM authorities WHERE key_backend = 'file' AND key_destroyed_at IS NULL"
        )
    }


def _completed_reports(db: Database) -> set[str]:
    return {
        str(r[0])
        for r in db.execute(
            "SELECT report_dir FROM ceremonies WHERE status = 'completed' AND report_dir IS NOT NULL"
        )
    }


def _recorded_packages(db: Database) -> set[str]:
    return {str(r[0]) for r in db.execute("SELECT file FROM packages WHERE direction = 'sent'")}


def _destroyed(db: Database) -> set[str]:
    return {
        str(r[0])
        for r in db.execute(
            "SELECT key_ref FROM authorities WHERE key_backend = 'file'"
            " AND key_destroyed_at IS NOT NULL"
        )
    }


def found(path: Path, db: Rows) -> tuple[list[Path], list[Path], list[Path]]:
    """What interrupted operations left: (key files no CA names, staged reports and packages,
    temporary files of atomic writes)."""
    keys_dir = path / "keys"
    referenced = _referenced(db)
    # A destroyed CA's key file (the destruction was killed between its commit and the shredding)
    # is found too, and shredded rather than kept.
    orphans = [
        p for p in sorted(keys_dir.glob("*.key.pem")) if p.is_file() and p.name not in referenced
    ]
    exports = path / "exports"
    # report folders and packages (files) staged under hidden names, published after the commit
    partial = sorted(exports.rglob(".*.partial")) if exports.is_dir() else []
    temps = [
        p
        for folder in (keys_dir, exports)
        if folder.is_dir()
        for p in sorted(folder.rglob("*.tmp"))
        if _TEMP.match(p.name) and p.is_file()
    ]
    return orphans, partial, temps


def tidy(path: Path, db: Database) -> tuple[str, ...]:
    """Deal with leftovers (see the module's text); () when there were none or another process
    is writing (it may be the one whose files these are)."""
    orphans, partial, temps = found(path, db)
    if not (orphans or partial or temps):
        return ()
    # Imported only here: a reader that finds no leftovers does not load them.
    from pkiadmin.core.base import atomicfile
    from pkiadmin.core.workspace import audit, writer

    if not isinstance(db, writer.LockedDatabase):
        return ()
    notices: list[str] = []
    saved_wait = db.wait_s
    db.wait_s = 0.5
    try:
        with db.atomic():
            orphans, partial, temps = found(path, db)  # again, under the lock
            completed = _completed_reports(db) | _recorded_packages(db)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            quarantine = path / "keys" / "orphaned"
            moved: list[str] = []
            destroyed = _destroyed(db)
            for key in [k for k in orphans if k.name in destroyed]:
                atomicfile.shred(key)
                moved.append(key.name)
                notices.append(
                    f"The key file keys/{key.name} of a CA whose key was destroyed was still "
                    "there (the destruction was interrupted); it was overwritten and removed."
                )
            for key in [k for k in orphans if k.name not in destroyed]:
                quarantine.mkdir(mode=0o700, exist_ok=True)
                target = quarantine / f"{key.name}.{stamp}"
                key.rename(target)
                moved.append(key.name)
                notices.append(
                    f"The key file keys/{key.name} belonged to no CA (an operation that did not "
                    f"finish wrote it); it was moved to keys/orphaned/{target.name}."
                )
            published: list[str] = []
            removed: list[str] = []
            for folder in partial:
                match = _PARTIAL.match(folder.name)
                final = folder.with_name(match.group(1)) if match else None
                if final is not None and str(final) in completed and not final.exists():
                    folder.rename(final)
                    published.append(final.name)
                    notices.append(f"{final}, recorded before the interruption, was published.")
                else:
                    if folder.is_dir():
                        shutil.rmtree(folder, ignore_errors=True)
                    else:
                        folder.unlink(missing_ok=True)
                    removed.append(folder.name)
                    notices.append(
                        f"{folder.name}, left unfinished by an operation that did not complete, "
                        "was removed."
                    )
            for temp in temps:
                temp.unlink(missing_ok=True)
                removed.append(temp.name)
            if temps:
                notices.append(
                    f"{len(temps)} temporary file(s) of interrupted writes were removed."
                )
            audit.append(
                db,
                "workspace.leftovers",
                {"workspace": str(path)},
                details={"quarantined_keys": moved, "published": published, "removed": removed},
            )
    except writer.WorkspaceBusyError:
        return ()
    finally:
        db.wait_s = saved_wait
    return tuple(notices)
