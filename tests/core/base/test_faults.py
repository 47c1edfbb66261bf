"""kill -9 at write steps of real pkiadmin-cli processes (a fixed-seed sample of the kill points;
benchmarks/faults.py runs every one): after the next open, the audit log verifies against the
tables and the signed checkpoints, no key file is orphaned, no report is published for a
ceremony that did not complete, and no CRL number is used twice."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests import faults

SEED = 17
SAMPLE = 4


@pytest.mark.slow  # kill -9 at sampled write steps of every operation; make test runs it
@pytest.mark.parametrize("operation", faults.OPERATIONS, ids=lambda o: o.name)
def test_a_kill_at_any_write_step_leaves_the_invariants_intact(
    operation: faults.Operation, tmp_path: Path
) -> None:
    template = faults.template(operation, tmp_path)
    count = faults.steps(operation, template)
    assert count >= 3  # the hook sees the operation's writes
    points = sorted(
        random.Random(f"{SEED}-{operation.name}").sample(range(1, count + 1), min(SAMPLE, count))  # noqa: S311 - which kill points, not a secret
    )
    violations = {k: faults.kill_at(operation, template, k) for k in points}
    assert {k: v for k, v in violations.items() if v} == {}


def test_an_orphan_key_file_is_quarantined_and_said(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    faults.with_root(ws)
    stray = ws / "keys" / "root-0123456789abcdef.key.pem"
    stray.write_bytes(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    stray.chmod(0o600)
    shown = faults.cli(ws, "ca", "list")
    assert shown.returncode == 0
    assert "Note: The key file keys/root-0123456789abcdef.key.pem belonged to no CA" in shown.stderr
    assert not stray.exists()
    assert [p.name.split(".key.pem")[0] for p in (ws / "keys" / "orphaned").iterdir()] == [
        "root-0123456789abcdef"
    ]
    assert faults.check(ws) == []
    again = faults.cli(ws, "ca", "list")
    assert "Note:" not in again.stderr


def test_verify_report_refuses_a_report_of_a_ceremony_not_completed_here(tmp_path: Path) -> None:
    import sqlite3

    ws = tmp_path / "ws"
    faults.init(ws)
    assert faults.cli(ws, *faults.rehearsal(ws)).returncode == 0
    (report,) = (ws / "exports" / "ceremonies").iterdir()
    assert faults.cli(ws, "ceremony", "verify-report", str(report)).returncode == 0
    with sqlite3.connect(ws / "pkiadmin.db") as db:
        db.execute("UPDATE ceremonies SET status = 'interrupted'")
    refused = faults.cli(ws, "ceremony", "verify-report", str(report))
    assert refused.returncode == 1
    assert "lists ceremony 1 as interrupted, not completed" in refused.stderr
    assert "The report does NOT verify." in refused.stdout
