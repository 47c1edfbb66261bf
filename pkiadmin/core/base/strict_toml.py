"""Strict checking of reviewed TOML files (ceremony plans, certificate profiles): unknown sections
and keys are errors, every value has its type, and each error names the line and the key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pkiadmin.core.base.errors import ValidationError


@dataclass(frozen=True)
class TomlShape:
    """Which sections and keys a kind of file has (unknown ones are errors).

    A schema table named "a.b" is the list of tables under the key b of section a.
    """

    tables: Mapping[str, type]
    schema: Mapping[str, Mapping[str, type | tuple[type, ...]]]
    required: Mapping[str, tuple[str, ...]]
    sections: tuple[str, ...]


def read_text_file(path: Path, what: str, error: type[ValidationError]) -> str:
    """A file's text, or `error` saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"Cannot read the {what} {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise error(f"The {what} {path} is not UTF-8 text.") from exc


def load_toml(text: str, file_name: str, error: type[ValidationError]) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{file_name}: not valid TOML ({exc}).") from exc


class TomlChecker:
    """Checks a file's TOML against a TomlShape; errors name the line and the key."""

    error_class: ClassVar[type[ValidationError]] = ValidationError
    what: ClassVar[str] = "file"  # "the plan has no [x] section"

    def __init__(self, text: str, file_name: str, shape: TomlShape) -> None:
        self.lines = text.splitlines()
        self.file_name = file_name
        self.shape = shape

    def line_of(self, table: str, key: str | None, index: int | None = None) -> int | None:
        """The 1-based line of `key` in `[table]` (or the index-th `[[table]]`), for messages."""
        seen = -1
        inside = False
        for number, line in enumerate(self.lines, start=1):
            header = re.match(r"\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?", line)
            if header:
                inside = header.group(1) == table
                if inside:
                    seen += 1
                    if key is None and (index is None or seen == index):
                        return number
                continue
            if (
                inside
                and (index is None or seen == index)
                and key is not None
                and re.match(rf"\s*{re.escape(key)}\s*=", line)
            ):
                return number
        return None

    def error(
        self, table: str, key: str | None, problem: str, index: int | None = None
    ) -> ValidationError:
        line = self.line_of(table, key, index)
        where = f"line {line}, " if line else ""
        name = f"[{table}] {key}" if key else f"[{table}]"
        return self.error_class(f"{self.file_name}: {where}{name} {problem}.")

    def check_table(self, table: str, value: Mapping[str, Any], index: int | None = None) -> None:
        schema = self.shape.schema[table]
        for key, item in value.items():
            if key not in schema:
                allowed = ", ".join(schema)
                raise self.error(table, key, f"is not a known key (allowed: {allowed})", index)
            expected = schema[key]
            if not isinstance(item, expected) or (expected is int and isinstance(item, bool)):
                kind = (
                    expected.__name__
                    if isinstance(expected, type)
                    else "/".join(t.__name__ for t in expected)
                )
                raise self.error(
                    table, key, f"must be a {_kind_name(kind)}, not {type(item).__name__}", index
                )
        for key in self.shape.required.get(table, ()):
            if key not in value or (isinstance(value[key], str) and not value[key].strip()):
                raise self.error(table, None, f"needs '{key}'", index)

    def check_shape(self, data: Mapping[str, Any]) -> None:
        for key, value in data.items():
            if key not in self.shape.tables:
                raise self.error_class(
                    f"{self.file_name}: line {self.line_of(key, None) or '?'}, [{key}] is not a known section "
                    f"(allowed: {', '.join(self.shape.tables)})."
                )
            if not isinstance(value, self.shape.tables[key]):
                raise self.error(
                    key, None, "has the wrong form (a table with [ ] or a list with [[ ]])"
                )
        for required in self.shape.sections:
            if required not in data:
                raise self.error_class(
                    f"{self.file_name}: the {self.what} has no [{required}] section."
                )
        for table, value in data.items():
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if not isinstance(item, dict):
                        raise self.error(table, None, "entries must be tables ([[...]])", i)
                    self.check_table(table, item, i)
            else:
                self.check_table(table, value)
        for nested in (t for t in self.shape.schema if "." in t):
            section, key = nested.split(".", 1)
            for i, entry in enumerate(data.get(section, {}).get(key, [])):
                if not isinstance(entry, dict):
                    raise self.error(nested, None, "entries must be tables", i)
                self.check_table(nested, entry, i)


def _kind_name(kind: str) -> str:
    return {"str": "string", "int": "whole number", "list": "list", "bool": "true or false"}.get(
        kind, kind
    )
