"""Strict checking of a ceremony plan's TOML: unknown keys are errors, and each error names its line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.ceremony.people import Participant, Role


class PlanError(ValidationError):
    """The plan file is not acceptable; the message names the line and key."""


def read_text_file(path: Path) -> str:
    """A plan's text, or a PlanError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"Cannot read the plan {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise PlanError(f"The plan {path} is not UTF-8 text.") from exc


def load_toml(text: str, file_name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{file_name}: not valid TOML ({exc}).") from exc


@dataclass(frozen=True)
class PlanShape:
    """Which sections and keys a kind of plan has (unknown ones are errors)."""

    tables: Mapping[str, type]
    schema: Mapping[str, Mapping[str, type | tuple[type, ...]]]
    required: Mapping[str, tuple[str, ...]]
    sections: tuple[str, ...]


class PlanChecker:
    """Checks a plan's TOML against a PlanShape; errors name the line and the key."""

    def __init__(self, text: str, file_name: str, shape: PlanShape) -> None:
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
    ) -> PlanError:
        line = self.line_of(table, key, index)
        where = f"line {line}, " if line else ""
        name = f"[{table}] {key}" if key else f"[{table}]"
        return PlanError(f"{self.file_name}: {where}{name} {problem}.")

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
                raise PlanError(
                    f"{self.file_name}: line {self.line_of(key, None) or '?'}, [{key}] is not a known section "
                    f"(allowed: {', '.join(self.shape.tables)})."
                )
            if not isinstance(value, self.shape.tables[key]):
                raise self.error(
                    key, None, "has the wrong form (a table with [ ] or a list with [[ ]])"
                )
        for required in self.shape.sections:
            if required not in data:
                raise PlanError(f"{self.file_name}: the plan has no [{required}] section.")
        for table, value in data.items():
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if not isinstance(item, dict):
                        raise self.error(table, None, "entries must be tables ([[...]])", i)
                    self.check_table(table, item, i)
            else:
                self.check_table(table, value)
        for i, group in enumerate(data.get("custodians", {}).get("groups", [])):
            if not isinstance(group, dict):
                raise self.error("custodians.groups", None, "entries must be tables", i)
            self.check_table("custodians.groups", group, i)

    def check_ceremony_id(self, value: str) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
            raise self.error(
                "ceremony", "id", "must be letters, digits, '.', '_' or '-' (at most 64)"
            )

    def waivers(self, raw: list[Mapping[str, str]]) -> dict[str, str]:
        """Lint finding code -> the plan's reason, which must say something."""
        for i, w in enumerate(raw):
            if not w["reason"].strip():
                raise self.error("waivers", "reason", "must say why the finding is acceptable", i)
        return {w["code"]: w["reason"] for w in raw}

    def participant(self, index: int, raw: Mapping[str, Any]) -> Participant:
        try:
            role = Role(raw["role"])
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise self.error(
                "participants",
                "role",
                f"'{raw['role']}' is not a role (use one of: {roles})",
                index,
            ) from None
        return Participant(raw["name"].strip(), role)

    def check_roles(
        self, participants: tuple[Participant, ...], further_roles: tuple[Role, ...] = ()
    ) -> None:
        """One administrator and an internal witness always; `further_roles` at least once each."""
        names = [p.name for p in participants]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise self.error(
                "participants", "name", f"lists {', '.join(duplicates)} more than once"
            )
        counts = {role: sum(1 for p in participants if p.role is role) for role in Role}
        if counts[Role.ADMINISTRATOR] != 1:
            raise self.error("participants", None, "needs exactly one administrator")
        if counts[Role.INTERNAL_WITNESS] < 1:
            raise self.error("participants", None, "needs an internal-witness")
        for role in further_roles:
            if counts[role] < 1:
                raise self.error("participants", None, f"needs at least one {role.value}")


def _kind_name(kind: str) -> str:
    return {"str": "string", "int": "whole number", "list": "list"}.get(kind, kind)
