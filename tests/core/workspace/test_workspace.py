"""Workspace creation and opening: layout, permissions, WAL, schema versions, refusal of foreign folders."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from pkiadmin.core.base.errors import SchemaTooNewError, StorageError, WorkspaceError
from pkiadmin.core.workspace import audit, checks, location, schema
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.workspace.folder import Workspace


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_lays_out_the_folder(ws: Workspace) -> None:
    assert (ws.path / "pkiadmin.db").is_file()
    assert mode(ws.keys_dir) == 0o700
    assert mode(ws.gnupg_dir) == 0o700
    assert mode(ws.path) == 0o700
    assert mode(ws.path / "pkiadmin.db") == 0o600
    assert mode(ws.path / "pkiadmin.db-wal") == 0o600
    assert ws.exports_dir.is_dir()
    assert ws.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert schema.application_id(ws.db) == schema.APPLICATION_ID
    assert schema.user_version(ws.db) == schema.SCHEMA_VERSION
    assert [e.operation for e in audit.entries(ws.db)] == ["workspace.create"]


def test_open_missing_folder_says_how_to_create(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"no workspace at .*pkiadmin-cli workspace init"):
        workspace.open_workspace(tmp_path / "nope")


def test_open_foreign_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(WorkspaceError, match="is not a pkiadmin workspace"):
        workspace.open_workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="not empty and is not a pkiadmin workspace"):
        workspace.create(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_open_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    for name in ("keys", "gnupg"):
        (tmp_path / name).mkdir(mode=0o700)
    conn = sqlite3.connect(tmp_path / "pkiadmin.db")
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="SQLite database, but not pkiadmin's"):
        workspace.open_workspace(tmp_path)
    # refused before anything was written to it: not even switched to WAL mode
    assert not (tmp_path / "pkiadmin.db-wal").exists()
    conn = sqlite3.connect(tmp_path / "pkiadmin.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_garbage_database_file_is_refused(tmp_path: Path) -> None:
    for name in ("keys", "gnupg"):
        (tmp_path / name).mkdir(mode=0o700)
    (tmp_path / "pkiadmin.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(WorkspaceError, match="not a pkiadmin database"):
        workspace.open_workspace(tmp_path)


def test_newer_schema_is_refused_and_left_unchanged(ws: Workspace) -> None:
    ws.db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    path = ws.path
    ws.close()
    before = (path / "pkiadmin.db").read_bytes()
    with pytest.raises(SchemaTooNewError, match="written by a newer pkiadmin"):
        workspace.open_workspace(path)
    assert (path / "pkiadmin.db").read_bytes() == before


def test_older_schema_is_migrated_forward_with_a_backup(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ws.path
    ws.close()
    extra = ("CREATE TABLE future_feature (id INTEGER PRIMARY KEY)",)
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, extra))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    with workspace.open_workspace(path) as upgraded:
        assert schema.user_version(upgraded.db) == schema.SCHEMA_VERSION
        assert "future_feature" in upgraded.db.table_names()
        assert audit.entries(upgraded.db)[-1].operation == "workspace.migrate"
        assert audit.verify(upgraded.db).ok
    assert (path / f"pkiadmin.db.schema-{schema.SCHEMA_VERSION - 1}.bak").is_file()


def test_keys_folder_readable_by_others_is_refused(ws: Workspace) -> None:
    ws.keys_dir.chmod(0o755)
    ws.close()
    with pytest.raises(WorkspaceError, match=r"can be read by other users .*chmod 700"):
        workspace.open_workspace(ws.path)


def test_failed_create_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    target = tmp_path / "new"
    with pytest.raises(StorageError, match="Cannot create a workspace"):
        workspace.create(target)
    assert not any(target.iterdir())


def test_default_path_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(location.ENV_VAR, str(tmp_path / "elsewhere"))
    assert location.default_path() == tmp_path / "elsewhere"
    monkeypatch.delenv(location.ENV_VAR)
    assert location.default_path().name == "workspace"


def test_open_or_create_creates_only_when_missing_or_empty(tmp_path: Path) -> None:
    with workspace.open_or_create(tmp_path / "fresh") as created:
        assert checks.is_workspace(created.path)
    with workspace.open_or_create(tmp_path / "fresh") as reopened:
        assert len(audit.entries(reopened.db)) == 1


def test_a_schema_1_workspace_is_upgraded_to_the_current_schema(tmp_path: Path) -> None:
    from sqlite_utils import Database

    path = tmp_path / "old"
    path.mkdir(mode=0o700)
    for name in ("keys", "gnupg"):
        (path / name).mkdir(mode=0o700)
    db = Database(sqlite3.connect(path / "pkiadmin.db"))
    db.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    with db.atomic():
        for statement in schema.MIGRATIONS[0]:
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO meta (key, value) VALUES ('audit_head_count', '0')")
    db.close()
    with workspace.open_workspace(path) as upgraded:
        assert schema.user_version(upgraded.db) == schema.SCHEMA_VERSION
        assert "ceremonies" in upgraded.db.table_names()
        assert "key_protection" in upgraded.db["authorities"].columns_dict
        assert audit.verify(upgraded.db).ok
