"""A read-only view of a workspace's database for commands that only read (`cert list`), opened
with the standard library's sqlite3 alone.

Opening the workspace for writing brings sqlite-utils (and with it click's core, dateutil and
pluggy: a third of a listing's start-up). A reader needs two calls, `execute` and `query`, with
sqlite-utils' meaning (a cursor; rows as dicts), which `rows.Rows` names and both connections
have.

`open_read_only` makes the checks opening a workspace makes (a pkiadmin database, private
folders, a schema this version knows) and returns None when opening it for writing has work to
do first: a schema to upgrade, or leftovers of an interrupted operation to deal with. The
command then opens it for writing as before, so nothing a full open does is skipped."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pkiadmin.core.base.errors import SchemaTooNewError, WorkspaceError
from pkiadmin.core.workspace import checks, leftovers, schema


class Reader:
    """A read-only connection (query_only: a write is refused by SQLite itself)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = None, /) -> sqlite3.Cursor:
        return self.conn.execute(sql) if parameters is None else self.conn.execute(sql, parameters)

    def query(self, sql: str, params: Any = None, /) -> Iterator[dict[str, Any]]:
        cursor = self.execute(sql, params)
        keys = [d[0] for d in cursor.description or ()]
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_read_only(path: Path) -> Reader | None:
    """A Reader on the workspace at `path`, or None when it must be opened for writing first
    (see the module's text). Raises the errors opening it would raise."""
    path = path.expanduser().absolute()
    db_path = checks.database_path(path)
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
        conn.execute("PRAGMA query_only = ON")
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError:
        return None  # opening it for writing says what is wrong, in its words
    if app_id != schema.APPLICATION_ID:
        conn.close()
        raise WorkspaceError(
            f"{db_path} is an SQLite database, but not pkiadmin's. Choose the right folder; "
            "nothing was written to it."
        )
    if version > schema.SCHEMA_VERSION:
        conn.close()
        raise SchemaTooNewError(schema.too_new(version))
    reader = Reader(conn)
    try:
        pending = version < schema.SCHEMA_VERSION or any(leftovers.found(path, reader))
    except sqlite3.Error:
        pending = True
    if pending:
        reader.close()
        return None
    return reader
