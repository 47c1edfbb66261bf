"""One writer at a time per workspace, GUI and CLI alike.

Every write transaction (`db.atomic()`) first takes an exclusive `fcntl` lock on the workspace's
`write.lock` and records there who holds it (pid, command, since when), then begins with
`BEGIN IMMEDIATE`, so SQLite never has to upgrade a reader to a writer half-way (the source of
"database is locked" tracebacks). A second writer waits a bounded time, then stops with a
message naming the holder. Readers never take the lock. The lock goes with the process: a
killed writer leaves nothing that blocks the next one."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import sys
import time
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from pkiadmin.core.base import faults
from pkiadmin.core.base.errors import WorkspaceError

LOCK_NAME = "write.lock"
WAIT_S = 30.0


class WorkspaceBusyError(WorkspaceError):
    """Another process is writing to the workspace."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
        return (
            f"process {int(info['pid'])} ({str(info['command'])[:120]}), "
            f"writing since {info['since']}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class LockedDatabase(Database):
    """sqlite-utils' Database whose outermost transaction is the workspace's single writer."""

    lock_path: Path | None = None
    wait_s: float = WAIT_S
    _holding: bool = False

    @contextlib.contextmanager
    def holding(self) -> Generator[None, None, None]:
        """Keep the single-writer lock across a series of transactions (a batch: each item its
        own transaction, no other writer in between, the lock taken once)."""
        if self.lock_path is None or self._holding:
            yield
            return
        with self._write_lock():
            self._holding = True
            try:
                yield
            finally:
                self._holding = False

    @contextlib.contextmanager
    def atomic(self) -> Generator[Database, None, None]:
        if self.conn.in_transaction or self.lock_path is None:
            with super().atomic():
                yield self
            return
        with self._write_lock() if not self._holding else contextlib.nullcontext():
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise WorkspaceBusyError(
                    f"The workspace database is locked by another program ({exc}); nothing was "
                    "changed. Close it and try again."
                ) from exc
            try:
                yield self
            except BaseException:
                self.conn.rollback()
                raise
            else:
                try:
                    faults.step("before commit")
                    self.conn.execute("COMMIT")
                except BaseException:
                    self.conn.rollback()
                    raise
                faults.step("after commit")

    @contextlib.contextmanager
    def _write_lock(self) -> Generator[None, None, None]:
        assert self.lock_path is not None  # noqa: S101 - checked by the caller
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + self.wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WorkspaceBusyError(
                            f"Another pkiadmin is writing to this workspace: {_holder(self.lock_path)}. "
                            f"Waited {self.wait_s:.0f} s; nothing was changed. Let it finish and try again."
                        ) from None
                    time.sleep(0.05)
            note = json.dumps(
                {
                    "pid": os.getpid(),
                    "command": " ".join(sys.argv) or "pkiadmin",
                    "since": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            ).encode()
            with contextlib.suppress(
                OSError
            ):  # who holds it is a courtesy; a full disk is not fatal
                os.ftruncate(fd, 0)
                os.pwrite(fd, note, 0)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
