"""The ceremony plan: one reviewed TOML file per ceremony, parsed strictly (unknown keys are errors)."""

from __future__ import annotations

import enum
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pkiadmin.core import fingerprint, keys, rootca
from pkiadmin.core.errors import PkiError, ValidationError
from pkiadmin.core.keyid import SkiMethod
from pkiadmin.core.names import SubjectSpec
from pkiadmin.core.resources import read_text

MAX_SHARES_PER_GROUP = 16  # SLIP-39 limit
ROOT_KIND = "root-key"


class Role(enum.Enum):
    ADMINISTRATOR = "administrator"
    INTERNAL_WITNESS = "internal-witness"
    WITNESS = "witness"
    CUSTODIAN = "custodian"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Participant:
    name: str
    role: Role


@dataclass(frozen=True)
class CustodianGroup:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class CustodianScheme:
    """SLIP-39: `group_threshold` of the groups, each with its own member threshold."""

    group_threshold: int
    groups: tuple[CustodianGroup, ...]

    def describe(self) -> str:
        if len(self.groups) == 1:
            g = self.groups[0]
            return f"{g.threshold} of {len(g.members)} custodians"
        parts = ", ".join(f"{g.name}: {g.threshold} of {len(g.members)}" for g in self.groups)
        return f"{self.group_threshold} of {len(self.groups)} groups ({parts})"


class PlanPeople:
    """What every plan answers: its hash, and who is in the room in which role."""

    participants: tuple[Participant, ...]
    text: str

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.text.encode("utf-8")).digest()

    def by_role(self, role: Role) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if p.role is role)

    @property
    def administrator(self) -> Participant:
        return self.by_role(Role.ADMINISTRATOR)[0]

    @property
    def internal_witness(self) -> Participant:
        return self.by_role(Role.INTERNAL_WITNESS)[0]

    def participant(self, name: str) -> Participant:
        for p in self.participants:
            if p.name == name:
                return p
        raise ValidationError(f"'{name}' is not a participant in the plan.")


@dataclass(frozen=True)
class TokenKeySpec:
    """The plan names the token and the key's label; the PIN is given at the ceremony, never here."""

    token: str
    key_label: str
    module: str | None = None


@dataclass(frozen=True)
class CeremonyPlan(PlanPeople):
    ceremony_id: str
    purpose: str
    cps_reference: str
    location: str
    participants: tuple[Participant, ...]
    root: rootca.RootCaRequest
    custodians: CustodianScheme
    output_name: str
    waivers: Mapping[str, str]
    text: str
    file_name: str
    token: TokenKeySpec | None = None  # the root key on a PKCS#11 token instead of a key file

    def summary_lines(self) -> list[str]:
        digest = self.sha256
        where = (
            f"on token '{self.token.token}' as '{self.token.key_label}' (PKCS#11)"
            if self.token
            else "encrypted key file, passphrase split among the custodians"
        )
        return [
            f"Ceremony:      {self.ceremony_id}",
            f"Purpose:       {self.purpose}",
            f"CP/CPS:        {self.cps_reference}",
            f"Root subject:  {self.root.validated_name().rfc4514_string()}",
            f"Key:           {self.root.algorithm.label}, {self.root.validity_days} days, {where}",
            f"Custodians:    {self.custodians.describe()}",
            "Participants:  " + ", ".join(f"{p.name} ({p.role.value})" for p in self.participants),
            f"Plan SHA-256:  {fingerprint.grouped_hex(digest)}",
            f"PGP words:     {' '.join(fingerprint.pgp_words(digest))}",
        ]


class PlanError(ValidationError):
    """The plan file is not acceptable; the message names the line and key."""


_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "ceremony": {"id": str, "purpose": str, "cps_reference": str, "location": str, "kind": str},
    "participants": {"name": str, "role": str},
    "root": {
        "common_name": str,
        "organization": str,
        "organizational_unit": str,
        "country": str,
        "state": str,
        "locality": str,
        "algorithm": str,
        "validity_days": int,
        "path_length": int,
        "ski_method": str,
        "backend": str,
        "token": str,
        "key_label": str,
        "module": str,
    },
    "custodians": {"threshold": int, "group_threshold": int, "groups": list},
    "custodians.groups": {"name": str, "threshold": int, "members": list},
    "output": {"name": str},
    "waivers": {"code": str, "reason": str},
}
_REQUIRED = {
    "ceremony": ("id", "purpose", "cps_reference"),
    "participants": ("name", "role"),
    "root": ("common_name",),
    "custodians.groups": ("name", "threshold", "members"),
    "output": ("name",),
    "waivers": ("code", "reason"),
}
_TABLES = {
    "ceremony": dict,
    "participants": list,
    "root": dict,
    "custodians": dict,
    "output": dict,
    "waivers": list,
}


def template() -> str:
    """A commented plan to copy and edit (resources/ceremony-plan-template.toml)."""
    return read_text("ceremony-plan-template.toml")


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


def load(path: Path) -> CeremonyPlan:
    return parse(read_text_file(path), path.name)


def parse(text: str, file_name: str = "plan.toml") -> CeremonyPlan:
    data = load_toml(text, file_name)
    checker = PlanChecker(text, file_name)
    checker.check_shape(data)
    ceremony = data["ceremony"]
    participants = tuple(checker.participant(i, p) for i, p in enumerate(data["participants"]))
    checker.check_roles(participants, (Role.WITNESS, Role.CUSTODIAN))
    if ceremony.get("kind", ROOT_KIND) != ROOT_KIND:
        raise checker.error(
            "ceremony", "kind", f"must be '{ROOT_KIND}' in a root key ceremony plan"
        )
    root = checker.root(data["root"])
    token = checker.token(data["root"])
    custodians = checker.custodians(data.get("custodians", {}), participants)
    output = data["output"]["name"]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", output):
        raise checker.error("output", "name", "must be a simple file name (letters, digits, . _ -)")
    checker.check_ceremony_id(ceremony["id"])
    waivers = checker.waivers(data.get("waivers", []))
    return CeremonyPlan(
        ceremony_id=ceremony["id"],
        purpose=ceremony["purpose"],
        cps_reference=ceremony["cps_reference"],
        location=ceremony.get("location", ""),
        participants=participants,
        root=root,
        custodians=custodians,
        output_name=output,
        waivers=waivers,
        text=text,
        file_name=file_name,
        token=token,
    )


@dataclass(frozen=True)
class PlanShape:
    """Which sections and keys a kind of plan has (unknown ones are errors)."""

    tables: Mapping[str, type]
    schema: Mapping[str, Mapping[str, type | tuple[type, ...]]]
    required: Mapping[str, tuple[str, ...]]
    sections: tuple[str, ...]


ROOT_SHAPE = PlanShape(
    _TABLES, _SCHEMA, _REQUIRED, ("ceremony", "participants", "root", "custodians", "output")
)


class PlanChecker:
    def __init__(self, text: str, file_name: str, shape: PlanShape = ROOT_SHAPE) -> None:
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

    def root(self, raw: Mapping[str, Any]) -> rootca.RootCaRequest:
        try:
            request = rootca.RootCaRequest(
                subject=SubjectSpec(
                    raw["common_name"],
                    raw.get("organization", ""),
                    raw.get("organizational_unit", ""),
                    raw.get("country", ""),
                    raw.get("state", ""),
                    raw.get("locality", ""),
                ),
                algorithm=keys.KeyAlgorithm.parse(raw.get("algorithm", "ec-p384")),
                validity_days=raw.get("validity_days", rootca.DEFAULT_VALIDITY_DAYS),
                path_length=raw.get("path_length"),
                ski_method=SkiMethod.parse(raw.get("ski_method", "rfc7093")),
            )
            request.validated_name()
        except PkiError as exc:
            raise PlanError(f"{self.file_name}: [root] {exc}") from exc
        return request

    def token(self, raw: Mapping[str, Any]) -> TokenKeySpec | None:
        backend = raw.get("backend", "file")
        if backend == "file":
            for key in ("token", "key_label", "module"):
                if key in raw:
                    raise self.error("root", key, 'needs backend = "pkcs11"')
            return None
        if backend != "pkcs11":
            raise self.error(
                "root", "backend", "must be 'file' (encrypted key file) or 'pkcs11' (a token)"
            )
        for key in ("token", "key_label"):
            if not str(raw.get(key, "")).strip():
                raise self.error("root", None, f"needs '{key}' when backend is 'pkcs11'")
        return TokenKeySpec(raw["token"].strip(), raw["key_label"].strip(), raw.get("module"))

    def custodians(
        self, raw: Mapping[str, Any], participants: tuple[Participant, ...]
    ) -> CustodianScheme:
        custodian_names = [p.name for p in participants if p.role is Role.CUSTODIAN]
        groups_raw = raw.get("groups")
        if groups_raw:
            if "threshold" in raw:
                raise self.error(
                    "custodians",
                    "threshold",
                    "cannot be used with groups (give each group a threshold)",
                )
            groups = tuple(
                CustodianGroup(g["name"], g["threshold"], tuple(str(m) for m in g["members"]))
                for g in groups_raw
            )
            group_threshold = raw.get("group_threshold")
            if group_threshold is None:
                raise self.error(
                    "custodians", None, "needs 'group_threshold' when groups are given"
                )
            listed = [m for g in groups for m in g.members]
            for i, group in enumerate(groups):
                for member in group.members:
                    if member not in custodian_names:
                        raise self.error(
                            "custodians.groups",
                            "members",
                            f"names '{member}', who is not a custodian",
                            i,
                        )
            if sorted(listed) != sorted(custodian_names):
                raise self.error(
                    "custodians", None, "groups must list every custodian exactly once"
                )
        else:
            if "threshold" not in raw:
                raise self.error("custodians", None, "needs 'threshold' (M of the N custodians)")
            groups = (CustodianGroup("custodians", raw["threshold"], tuple(custodian_names)),)
            group_threshold = 1
        if not 1 <= group_threshold <= len(groups):
            raise self.error(
                "custodians", "group_threshold", f"must be between 1 and {len(groups)}"
            )
        for i, group in enumerate(groups):
            table, index = ("custodians.groups", i) if groups_raw else ("custodians", None)
            n = len(group.members)
            if n > MAX_SHARES_PER_GROUP:
                raise self.error(
                    table,
                    "members",
                    f"has {n} custodians; SLIP-39 allows at most 16 per group",
                    index,
                )
            if not 1 <= group.threshold <= n:
                raise self.error(
                    table,
                    "threshold",
                    f"is {group.threshold}, but M must be between 1 and N = {n}",
                    index,
                )
            if group.threshold == 1 and n > 1:
                raise self.error(
                    table,
                    "threshold",
                    "of 1 with several custodians gives each one the whole secret; use 2 or more",
                    index,
                )
        return CustodianScheme(group_threshold, groups)


def _kind_name(kind: str) -> str:
    return {"str": "string", "int": "whole number", "list": "list"}.get(kind, kind)


@dataclass(frozen=True)
class PlanDraft:
    """What the 'new plan' form collects; render() turns it into plan TOML."""

    ceremony_id: str
    purpose: str
    cps_reference: str
    location: str
    participants: tuple[tuple[str, str], ...]  # (name, role)
    subject: SubjectSpec
    algorithm: str
    validity_days: int
    path_length: int | None
    threshold: int
    output_name: str


def render(draft: PlanDraft) -> str:
    """Plan TOML from a draft (strings are JSON-escaped, which TOML basic strings accept)."""

    def q(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [
        "# pkiadmin ceremony plan, written by the 'New plan' form. Review it before the ceremony.",
        "",
        "[ceremony]",
        f"id = {q(draft.ceremony_id)}",
        f"purpose = {q(draft.purpose)}",
        f"cps_reference = {q(draft.cps_reference)}",
    ]
    if draft.location:
        lines.append(f"location = {q(draft.location)}")
    for name, role in draft.participants:
        lines += ["", "[[participants]]", f"name = {q(name)}", f"role = {q(role)}"]
    s = draft.subject
    lines += ["", "[root]", f"common_name = {q(s.common_name)}"]
    for key, value in (
        ("organization", s.organization),
        ("organizational_unit", s.organizational_unit),
        ("country", s.country),
        ("state", s.state),
        ("locality", s.locality),
    ):
        if value:
            lines.append(f"{key} = {q(value)}")
    lines += [f"algorithm = {q(draft.algorithm)}", f"validity_days = {draft.validity_days}"]
    if draft.path_length is not None:
        lines.append(f"path_length = {draft.path_length}")
    lines += [
        "",
        "[custodians]",
        f"threshold = {draft.threshold}",
        "",
        "[output]",
        f"name = {q(draft.output_name)}",
        "",
    ]
    return "\n".join(lines)
