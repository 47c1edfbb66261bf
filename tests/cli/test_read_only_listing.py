"""`cert list` reads through a read-only connection opened without sqlite-utils (#23: start-up),
and still does and refuses everything opening the workspace does: leftovers are dealt with and
reported, an older schema is upgraded, a newer one or someone else's database is refused."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from pkiadmin.core.workspace import reader, schema


def run(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args])


def test_a_listing_loads_neither_sqlite_utils_nor_cryptography(root_ws_path: Path) -> None:
    code = (
        "import sys; from pkiadmin.cli.main import cli\n"
        f"try:\n    cli(['--workspace', {str(root_ws_path)!r}, 'cert', 'list', '--limit', '10'],"
        " prog_name='pkiadmin-cli')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('sqlite_utils', 'cryptography', 'pkilint')))"
    )
    said = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "Root" in said  # the root CA was listed
    assert said.strip().splitlines()[-1] == "[]"


def test_the_reader_cannot_write(root_ws_path: Path) -> None:
    db = reader.open_read_only(root_ws_path)
    assert db is not None
    with db:
        entries = db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db.execute("DELETE FROM audit_log")
        assert [r["n"] for r in db.query("SELECT COUNT(*) AS n FROM audit_log")] == [entries]


def test_leftovers_are_dealt_with_and_reported_by_a_listing(root_ws_path: Path) -> None:
    orphan = root_ws_path / "keys" / "left-behind.key.pem"
    orphan.write_text("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    orphan.chmod(0o600)
    result = run(root_ws_path, "cert", "list")
    assert result.exit_code == 0, result.output
    assert "Note: The key file keys/left-behind.key.pem belonged to no CA" in result.output
    assert not orphan.exists()
    assert list((root_ws_path / "keys" / "orphaned").glob("left-behind.key.pem.*"))


def test_an_older_schema_is_upgraded_by_a_listing(
    root_ws_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = ("CREATE TABLE listing_upgrade_probe (x INTEGER)",)
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, extra))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    result = run(root_ws_path, "cert", "list")
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(root_ws_path / "pkiadmin.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert db.execute("SELECT COUNT(*) FROM listing_upgrade_probe").fetchone()[0] == 0
    db.close()


def test_a_newer_schema_is_refused_by_a_listing(root_ws_path: Path) -> None:
    db = sqlite3.connect(root_ws_path / "pkiadmin.db")
    db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    result = run(root_ws_path, "cert", "list")
    assert result.exit_code == 1
    assert "written by a newer pkiadmin" in result.output
    assert "Traceback" not in result.output


def test_someone_elses_database_is_refused_by_a_listing(tmp_path: Path) -> None:
    folder = tmp_path / "other"
    for name in ("keys", "gnupg"):
        (folder / name).mkdir(parents=True, mode=0o700)
    db = sqlite3.connect(folder / "pkiadmin.db")
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    result = run(folder, "cert", "list")
    assert result.exit_code == 1
    assert "not pkiadmin's" in result.output
    assert "Traceback" not in result.output


def test_a_missing_workspace_is_refused_by_a_listing(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere", "cert", "list")
    assert result.exit_code == 1
    assert "There is no workspace at" in result.output
    assert not (tmp_path / "nowhere").exists()
