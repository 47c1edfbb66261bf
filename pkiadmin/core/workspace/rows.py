"""The two calls a reader of the workspace's database makes, as a type: sqlite-utils' Database
(the writing connection) and reader.Reader (a read-only one) both have them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, Protocol


class Rows(Protocol):
    """What a reader of the inventory calls: sqlite-utils' Database has both, and so has Reader."""

    def execute(self, sql: str, parameters: Any = None, /) -> sqlite3.Cursor: ...

    def query(self, sql: str, params: Any = None, /) -> Iterator[dict[str, Any]]: ...
