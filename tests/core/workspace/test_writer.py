"""One writer at a time: a second writer waits for the first, or stops with a message that names
who holds the workspace; never a 'database is locked' traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pkiadmin.cli.main import cli
from pkiadmin.core.exchange import partners
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.workspace.writer import WorkspaceBusyError

HOLD = """
import sys, time
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace import folder as workspace
ws = workspace.open_workspace(__import__("pathlib").Path(sys.argv[1]))
with ws.db.atomic():
    audit.append(ws.db, "test.hold", {"who": "holder"})
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(path: Path, seconds: float) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "holding"
    return child


def _finish(child: subprocess.Popen[str]) -> int:
    code = child.wait(10)
    assert child.stdout is not None
    child.stdout.close()
    return code


def test_a_second_writer_waits_for_the_first_and_both_finish(root_ws_path: Path) -> None:
    child = _holder(root_ws_path, 1.5)
    started = time.monotonic()
    added = CliRunner().invoke(
        cli, ["--workspace", str(root_ws_path), "partner", "add", "p2", "--organisation", "P2"]
    )
    assert added.exit_code == 0, added.output
    assert time.monotonic() - started >= 1.0  # it waited for the holder
    assert _finish(child) == 0
    with workspace.open_workspace(root_ws_path) as ws:
        assert audit.verify(ws.db).ok
        operations = [r[0] for r in ws.db.execute("SELECT operation FROM audit_log ORDER BY seq")]
        assert operations[-2:] == ["test.hold", "partner.add"]


def test_a_writer_that_waits_too_long_stops_naming_the_holder(root_ws_path: Path) -> None:
    child = _holder(root_ws_path, 5)
    try:
        with workspace.open_workspace(root_ws_path) as ws:
            ws.db.wait_s = 0.5
            before = ws.db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
            with pytest.raises(WorkspaceBusyError) as raised:
                partners.add(ws, "p3", "P3")
            message = str(raised.value)
            assert f"process {child.pid}" in message and "nothing was changed" in message
            assert "writing since" in message
    finally:
        _finish(child)
    with workspace.open_workspace(root_ws_path) as ws:
        assert ws.db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before + 1
        assert not ws.db.execute("SELECT 1 FROM partners WHERE name = 'p3'").fetchone()


def test_readers_do_not_wait_for_a_writer(root_ws_path: Path) -> None:
    child = _holder(root_ws_path, 3)
    try:
        started = time.monotonic()
        listed = CliRunner().invoke(cli, ["--workspace", str(root_ws_path), "ca", "list"])
        assert listed.exit_code == 0, listed.output
        assert time.monotonic() - started < 2
    finally:
        _finish(child)
    assert (root_ws_path / "write.lock").exists()


POOL = """
import time
from pathlib import Path
from pkiadmin.core.inventory import importer as bulk_import
pool = bulk_import._start_pool([], Path("no-workspace") / "pkiadmin.db")
futures = [pool.submit(time.sleep, 60) for _ in range(2)]
time.sleep(3)
print(" ".join(str(p) for p in pool._processes), flush=True)
time.sleep(60)
"""


def test_import_workers_end_when_their_parent_is_killed() -> None:
    import signal

    parent = subprocess.Popen([sys.executable, "-c", POOL], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert workers
    parent.send_signal(signal.SIGKILL)
    _finish(parent)
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in workers if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
    assert alive == []


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
    except (OSError, IndexError):
        return "Z"


def test_a_full_disk_and_a_read_only_database_are_said_as_such(root_ws_path: Path) -> None:
    import sqlite3

    from pkiadmin.core.workspace import storage

    with workspace.open_workspace(root_ws_path) as ws:
        pages = ws.db.execute("PRAGMA page_count").fetchone()[0]
        ws.db.execute(f"PRAGMA max_page_count = {pages}")  # what a full disk looks like to SQLite
        before = ws.db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        with pytest.raises(sqlite3.OperationalError) as full:
            for i in range(200):
                partners.add(ws, f"partner-{i}", "P" * 2000)
        said = storage.describe(full.value)
        assert said is not None and "disk holding the workspace is full" in said
        assert "nothing was changed" in said
        assert audit.verify(ws.db).ok
        assert ws.db.execute("SELECT count(*) FROM audit_log").fetchone()[0] >= before
    readonly = sqlite3.connect(f"file:{root_ws_path / 'pkiadmin.db'}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as denied:
        readonly.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    readonly.close()
    said = storage.describe(denied.value)
    assert (
        said is not None and "cannot be written" in said and "not a pkiadmin database" not in said
    )
    assert storage.describe(sqlite3.DatabaseError("file is not a database")) is None
