"""The workspace: one folder with one workstation's database, encrypted keys, GnuPG home and exports."""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from pkiadmin import __version__
from pkiadmin.core.base.errors import PkiError, SchemaTooNewError, StorageError, WorkspaceError
from pkiadmin.core.workspace import (
    audit,
    checks,
    leftovers,
    schema,
    storage,
    upgrade_hooks,
    writer,
)
from pkiadmin.core.workspace.checks import DB_NAME, PRIVATE_DIRS

_PUBLIC_DIRS = ("exports",)


@dataclass
class Workspace:
    """An open workspace. Its connection belongs to the thread that opened it (the CA worker)."""

    path: Path
    db: writer.LockedDatabase
    notices: tuple[str, ...] = ()  # what opening it found and did (leftovers of killed operations)

    @property
    def keys_dir(self) -> Path:
        return self.path / "keys"

    @property
    def exports_dir(self) -> Path:
        return self.path / "exports"

    @property
    def gnupg_dir(self) -> Path:
        return self.path / "gnupg"

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create(path: Path) -> Workspace:
    """Create a workspace in a new or empty folder."""
    path = path.expanduser().absolute()
    if checks.is_workspace(path):
        raise WorkspaceError(f"{path} is already a pkiadmin workspace; open it instead.")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise WorkspaceError(
            f"{path} is not empty and is not a pkiadmin workspace. Choose a new or empty folder."
        )
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in PRIVATE_DIRS:
            (path / name).mkdir(mode=0o700)
        for name in _PUBLIC_DIRS:
            (path / name).mkdir(mode=0o755)
        # Create the database file 0600 first: SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(path / DB_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        db = _connect(path / DB_NAME, new=True)
    except (OSError, sqlite3.Error) as exc:
        _remove_partial(path)
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise StorageError(
            f"Cannot create a workspace in {path}: {reason}. Check the folder is writable."
        ) from exc
    try:
        db.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
        schema.migrate(db, 0)
        with db.atomic():
            audit.append(
                db, "workspace.create", {"workspace": str(path)}, details={"version": __version__}
            )
    except sqlite3.Error as exc:
        db.close()
        _remove_partial(path)
        raise StorageError(
            f"Cannot create the workspace database in {path}: {exc}. Nothing was kept."
        ) from exc
    return Workspace(path, db)


def open_reader(path: Path) -> Database:
    """A read-only connection to the workspace's database, for a reader on its own thread (the
    certificates view): it never writes and never takes the write lock."""
    conn = sqlite3.connect(f"file:{path / DB_NAME}?mode=ro", uri=True, timeout=10)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA cache_size = -65536")
    return Database(conn, execute_plugins=False)


def read_failure(exc: BaseException) -> str | None:
    """What to tell the person when a read of the inventory failed, or None when `exc` is not a
    storage or pkiadmin error (a bug, which is not turned into a message)."""
    if isinstance(exc, PkiError):
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        return f"The inventory could not be read: {storage.describe(exc) or exc}"
    return None


def open_workspace(path: Path) -> Workspace:
    """Open an existing workspace, migrating its schema forward if it is older than this pkiadmin."""
    path = path.expanduser().absolute()
    db_path = checks.database_path(path)
    try:
        db = _connect(db_path)
        app_id = schema.application_id(db)
        version = schema.user_version(db)
    except sqlite3.DatabaseError as exc:
        said = storage.describe(exc)
        if said:
            raise WorkspaceError(f"Cannot open {path / DB_NAME}: {said}") from exc
        raise WorkspaceError(f"{path / DB_NAME} is not a pkiadmin database ({exc}).") from exc
    if app_id != schema.APPLICATION_ID:
        db.close()
        raise WorkspaceError(
            f"{path / DB_NAME} is an SQLite database, but not pkiadmin's. Choose the right folder."
        )
    if version > schema.SCHEMA_VERSION:
        db.close()
        raise SchemaTooNewError(schema.too_new(version))
    if version < schema.SCHEMA_VERSION:
        _migrate_with_backup(path, db, version)
    try:
        notices = leftovers.tidy(path, db)
    except (OSError, sqlite3.Error) as exc:
        said = storage.describe(exc) or str(exc)
        notices = (f"Leftovers of an interrupted operation could not be dealt with: {said}",)
    return Workspace(path, db, notices)


def open_or_create(path: Path) -> Workspace:
    """Open the workspace, creating it first if the folder is missing or empty (first start)."""
    path = path.expanduser().absolute()
    if not checks.is_workspace(path) and (
        not path.exists() or (path.is_dir() and not any(path.iterdir()))
    ):
        return create(path)
    return open_workspace(path)


def _connect(db_path: Path, new: bool = False) -> writer.LockedDatabase:
    # One connection, owned by the thread that opens it (sqlite3 refuses other threads).
    conn = sqlite3.connect(db_path, timeout=10)
    if (
        not new
        and int(conn.execute("PRAGMA application_id").fetchone()[0]) != schema.APPLICATION_ID
    ):
        # Someone else's SQLite file: refused before anything (WAL mode included) is written to it.
        conn.close()
        raise WorkspaceError(
            f"{db_path} is an SQLite database, but not pkiadmin's. Choose the right folder; "
            "nothing was written to it."
        )
    conn.execute("PRAGMA foreign_keys = ON")
    db = writer.LockedDatabase(conn, execute_plugins=False)
    db.lock_path = db_path.parent / writer.LOCK_NAME
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"cannot switch {db_path} to WAL mode")
    db.execute("PRAGMA synchronous = FULL")
    # Up to 128 MB of page cache: bulk imports touch many index pages (SQLite allocates on demand).
    db.execute("PRAGMA cache_size = -131072")
    return db


def _migrate_with_backup(path: Path, db: Database, version: int) -> None:
    backup = path / f"{DB_NAME}.schema-{version}.bak"
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if not backup.exists():
            shutil.copy2(path / DB_NAME, backup)
        schema.migrate(db, version)
        with db.atomic():
            if (
                upgrade_hooks.AFTER_UPGRADE
                and db.execute("SELECT 1 FROM meta WHERE key = 'refresh_fields'").fetchone()
            ):
                # Columns added by the upgrade are filled from each certificate's DER by the
                # domains that own them (registered in upgrade_hooks; the inventory does).
                for fill in upgrade_hooks.AFTER_UPGRADE:
                    fill(db)
                db.execute("DELETE FROM meta WHERE key = 'refresh_fields'")
            audit.append(
                db,
                "workspace.migrate",
                {"workspace": str(path)},
                details={"from": version, "to": schema.SCHEMA_VERSION},
            )
    except (OSError, sqlite3.Error) as exc:
        db.close()
        raise WorkspaceError(
            f"Upgrading the workspace database from schema {version} failed ({exc}). "
            f"A copy of the database from before the upgrade is at {backup}."
        ) from exc


def _remove_partial(path: Path) -> None:
    """Remove what create() made before it failed, and only that."""
    for name in (*PRIVATE_DIRS, *_PUBLIC_DIRS):
        folder = path / name
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path / f"{DB_NAME}{suffix}"
        if candidate.exists():
            candidate.unlink()
