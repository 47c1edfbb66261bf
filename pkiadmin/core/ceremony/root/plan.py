"""The ceremony plan: one reviewed TOML file per ceremony, parsed strictly (unknown keys are errors)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.base.resources import read_text
from pkiadmin.core.base.strict_toml import TomlShape
from pkiadmin.core.ceremony.people import Participant, PlanPeople, Role
from pkiadmin.core.ceremony.plan_check import PlanChecker, PlanError, load_toml, read_text_file
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys.shares import CustodianGroup, CustodianScheme
from pkiadmin.core.x509.keyid import SkiMethod
from pkiadmin.core.x509.names import SubjectSpec

MAX_SHARES_PER_GROUP = 16  # SLIP-39 limit
ROOT_KIND = "root-key"


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


def load(path: Path) -> CeremonyPlan:
    return parse(read_text_file(path), path.name)


def parse(text: str, file_name: str = "plan.toml") -> CeremonyPlan:
    data = load_toml(text, file_name)
    checker = RootPlanChecker(text, file_name)
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


ROOT_SHAPE = TomlShape(
    _TABLES, _SCHEMA, _REQUIRED, ("ceremony", "participants", "root", "custodians", "output")
)


class RootPlanChecker(PlanChecker):
    """The root plan's own sections: the root key, its token, the custodians."""

    def __init__(self, text: str, file_name: str) -> None:
        super().__init__(text, file_name, ROOT_SHAPE)

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
