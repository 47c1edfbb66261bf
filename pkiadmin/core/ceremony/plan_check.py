"""What every ceremony plan is checked for, over the strict TOML checker: the ceremony id, the
participants and their roles, the waivers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pkiadmin.core.base import strict_toml
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.ceremony.people import Participant, Role


class PlanError(ValidationError):
    """The plan file is not acceptable; the message names the line and key."""


def read_text_file(path: Path) -> str:
    """A plan's text, or a PlanError saying why it cannot be read."""
    return strict_toml.read_text_file(path, "plan", PlanError)


def load_toml(text: str, file_name: str) -> dict[str, Any]:
    return strict_toml.load_toml(text, file_name, PlanError)


class PlanChecker(strict_toml.TomlChecker):
    """A plan's TOML against its shape, and what every kind of plan has: an id, participants in
    their roles, waivers with reasons."""

    error_class = PlanError
    what = "plan"

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
