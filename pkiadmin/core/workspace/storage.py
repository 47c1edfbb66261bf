"""Storage failures said as what they are: a full disk, a read-only file system, a permission
problem, an I/O error or another writer; never "not a pkiadmin database" unless it is not."""

from __future__ import annotations

import errno
import sqlite3

NOTHING_CHANGED = "nothing was changed (the transaction was rolled back)"


def describe(exc: BaseException) -> str | None:
    """A sentence for a storage failure, or None when `exc` is not one."""
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        text = str(exc).lower()
        if "full" in text:
            return f"The disk holding the workspace is full; {NOTHING_CHANGED}. Free some space and try again."
        if "readonly" in text or "read-only" in text:
            return (
                f"The workspace database cannot be written (a read-only file system or file); "
                f"{NOTHING_CHANGED}. Mount it read-write or check its permissions."
            )
        if "locked" in text or "busy" in text:
            return (
                f"Another program is writing to the workspace database; {NOTHING_CHANGED}. "
                "Let it finish and try again."
            )
        if "disk i/o error" in text:
            return (
                f"The disk reported an I/O error; {NOTHING_CHANGED}. Check the disk before going on "
                "(the database itself was not reported damaged)."
            )
        if "unable to open" in text:
            return "The workspace database cannot be opened (permission denied, or its folder is missing)."
        return None
    if isinstance(exc, OSError):
        reasons = {
            errno.ENOSPC: "the disk is full; free some space and try again",
            errno.EDQUOT: "the disk quota is used up; free some space and try again",
            errno.EROFS: "the file system is read-only; mount it read-write",
            errno.EACCES: "permission denied; check who owns the workspace folder",
            errno.EPERM: "permission denied; check who owns the workspace folder",
            errno.EIO: "the disk reported an I/O error; check the disk before going on",
        }
        reason = reasons.get(exc.errno or 0)
        if reason:
            where = f" ({exc.filename})" if exc.filename else ""
            return f"Writing failed{where}: {reason}. {NOTHING_CHANGED[0].upper()}{NOTHING_CHANGED[1:]}."
    return None
