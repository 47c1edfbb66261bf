"""Anchors outside the database: each exported CRL carries a checkpoint of the audit log signed
by the CA's key; a cut tail (head record edited too) or a database restored from an older backup
is named against it, and no CRL number is used twice across the restore."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from click.testing import CliRunner

from pkiadmin.cli.main import cli
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.revocation import calendar as crl_status
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace import folder as workspace
from tests.conftest import PASSPHRASE
from tests.core.revocation.test_crl import issue_intermediate


def _issue_and_export(ws: workspace.Workspace) -> crl.IssuedCrl:
    issued = crl.issue(ws, 1, PASSPHRASE)
    crl_status.export(ws, issued.crl_id)
    return issued


def test_the_exported_checkpoint_verifies_with_openssl(root_ws_path: Path, tmp_path: Path) -> None:
    with workspace.open_workspace(root_ws_path) as ws:
        _issue_and_export(ws)
        assert audit_replay.verify(ws.db, ws.exports_dir).ok
    folder = root_ws_path / "exports" / "crls"
    checkpoint = next(folder.glob("*.checkpoint.json"))
    root = tmp_path / "root.pem"
    CliRunner().invoke(
        cli, ["--workspace", str(root_ws_path), "cert", "export", "1", "--out", str(root)]
    )
    pub = subprocess.run(
        ["openssl", "x509", "-in", str(root), "-pubkey", "-noout"], capture_output=True, check=True
    ).stdout
    (tmp_path / "root.pub").write_bytes(pub)
    checked = subprocess.run(
        ["openssl", "dgst", "-sha384", "-verify", str(tmp_path / "root.pub"), "-signature",
         f"{checkpoint}.sig", str(checkpoint)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and "Verified OK" in checked.stdout


def test_a_cut_tail_is_named_against_the_checkpoint(root_ws_path: Path) -> None:
    with workspace.open_workspace(root_ws_path) as ws:
        _issue_and_export(ws)
        # the entries from the number reservation that the checkpoint records on
        cut_from = int(ws.db.execute("SELECT max(seq) FROM audit_log").fetchone()[0]) - 3
    with sqlite3.connect(root_ws_path / "pkiadmin.db") as raw:
        # cut the tail and make the head record agree: the chain alone looks intact
        raw.execute("DELETE FROM audit_log WHERE seq > ?", (cut_from,))
        head = raw.execute(
            "SELECT entry_hash FROM audit_log WHERE seq = ?", (cut_from,)
        ).fetchone()[0]
        raw.execute("UPDATE meta SET value = ? WHERE key = 'audit_head_count'", (str(cut_from),))
        raw.execute("UPDATE meta SET value = ? WHERE key = 'audit_head_hash'", (head,))
    with workspace.open_workspace(root_ws_path) as ws:
        assert audit.verify(ws.db).ok  # what the chain alone says
    shown = CliRunner().invoke(cli, ["--workspace", str(root_ws_path), "audit", "verify"])
    assert shown.exit_code == 1
    assert f"the audit log ends at entry #{cut_from}" in shown.output
    assert "the tail of the log was cut, or the database was restored" in shown.output


def test_a_restored_older_database_never_reuses_a_crl_number(root_ws_path: Path) -> None:
    with workspace.open_workspace(root_ws_path) as ws:
        cert = issue_intermediate(ws)
        ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = root_ws_path.parent / "backup.db"
    shutil.copy2(root_ws_path / "pkiadmin.db", backup)
    with workspace.open_workspace(root_ws_path) as ws:
        revocation.revoke(ws, cert, "keyCompromise")
        first = _issue_and_export(ws)
        second = _issue_and_export(ws)
        assert (first.signed.number, second.signed.number) == (1, 2)
    for suffix in ("-wal", "-shm"):
        (root_ws_path / f"pkiadmin.db{suffix}").unlink(missing_ok=True)
    shutil.copy2(backup, root_ws_path / "pkiadmin.db")  # the older database alone is restored
    with workspace.open_workspace(root_ws_path) as ws:
        verdict = audit_replay.verify(ws.db, ws.exports_dir)
        assert not verdict.ok
        assert any("restored from an older backup" in d for d in verdict.differences)
        assert any("the next CRL number will be 3 or above" in d for d in verdict.differences)
        again = crl.issue(ws, 1, PASSPHRASE)
        assert again.signed.number == 3


def test_a_cut_below_a_ceremony_reports_audit_head_is_named(tmp_path: Path) -> None:
    import json

    from tests import faults

    ws = tmp_path / "ws"
    faults.init(ws)
    assert faults.cli(ws, *faults.rehearsal(ws)).returncode == 0
    (report,) = (ws / "exports" / "ceremonies").iterdir()
    head = json.loads((report / "report.json").read_text())["audit"]["head_before_completion"]
    with sqlite3.connect(ws / "pkiadmin.db") as raw:
        seq = raw.execute("SELECT seq FROM audit_log WHERE entry_hash = ?", (head,)).fetchone()[0]
        raw.execute("DELETE FROM audit_log WHERE seq >= ?", (seq,))
        kept = raw.execute("SELECT entry_hash FROM audit_log WHERE seq = ?", (seq - 1,)).fetchone()[
            0
        ]
        raw.execute("UPDATE meta SET value = ? WHERE key = 'audit_head_count'", (str(seq - 1),))
        raw.execute("UPDATE meta SET value = ? WHERE key = 'audit_head_hash'", (kept,))
    shown = faults.cli(ws, "audit", "verify")
    assert shown.returncode == 1
    assert (
        "the report of ceremony 1" in shown.stderr
        and "which the chain no longer holds" in shown.stderr
    )
