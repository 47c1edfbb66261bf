"""Plans for short key-use ceremonies: signing an intermediate CA or an end-entity certificate
from a CSR, or re-signing CRLs.

The same strict TOML as the root key ceremony plan (unknown keys are errors, messages name the
line), with the task in [signing] or [crl] instead of [root] and [custodians]."""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.base.resources import read_text
from pkiadmin.core.base.strict_toml import TomlShape
from pkiadmin.core.ceremony.people import Participant, PlanPeople
from pkiadmin.core.ceremony.plan_check import PlanChecker, PlanError, load_toml, read_text_file
from pkiadmin.core.issuance.intermediate import (
    DEFAULT_VALIDITY_DAYS,
    CaProfile,
    IntermediateRequest,
)
from pkiadmin.core.issuance.root import DEFAULT_VALIDITY_DAYS as DEFAULT_ROOT_DAYS
from pkiadmin.core.keys.files import KeyAlgorithm
from pkiadmin.core.x509.names import SubjectSpec


class KeyUseKind(enum.Enum):
    SIGN_INTERMEDIATE = "sign-intermediate"
    SIGN_END_ENTITY = "sign-end-entity"
    CRL = "crl"
    ROOT_ROLLOVER = "root-rollover"


@dataclass(frozen=True)
class SigningSpec:
    issuer: str  # the CA's name, as `ca list` shows it
    csr_sha256: str  # pins the exact request reviewed before the ceremony
    request: IntermediateRequest


@dataclass(frozen=True)
class EndEntitySpec:
    """A service certificate signed under ceremony: an issuing CA, the pinned CSR, and one of
    the workspace's end-entity profiles (which says everything else)."""

    issuer: str
    csr_sha256: str
    profile: str  # an end-entity profile's name, as `profile list` shows it
    validity_days: int | None  # None: the profile's default


@dataclass(frozen=True)
class RolloverSpec:
    """A root rolled over to a new key under ceremony: the old root (whose key signs the link to
    the new one), and the new root's name and key."""

    old_root: str  # the old root's name, as `ca list` shows it
    subject: SubjectSpec
    algorithm: KeyAlgorithm
    validity_days: int
    path_length: int | None


@dataclass(frozen=True)
class CrlSpec:
    authorities: tuple[str, ...]  # empty: every CA whose key this workspace holds


@dataclass(frozen=True)
class KeyUsePlan(PlanPeople):
    ceremony_id: str
    purpose: str
    cps_reference: str
    location: str
    kind: KeyUseKind
    participants: tuple[Participant, ...]
    signing: SigningSpec | None
    crl: CrlSpec | None
    waivers: Mapping[str, str]
    text: str
    file_name: str
    end_entity: EndEntitySpec | None = None
    rollover: RolloverSpec | None = None

    def summary_lines(self) -> list[str]:
        digest = self.sha256
        lines = [
            f"Ceremony:      {self.ceremony_id} ({self.kind.value})",
            f"Purpose:       {self.purpose}",
            f"CP/CPS:        {self.cps_reference}",
        ]
        if self.signing:
            r = self.signing.request
            lines += [
                f"Issuer:        {self.signing.issuer}",
                f"CSR SHA-256:   {fingerprint.grouped_hex(bytes.fromhex(self.signing.csr_sha256))}",
                f"Profile:       {r.profile.value} CA, {r.validity_days} days",
            ]
        if self.end_entity:
            ee = self.end_entity
            days = f"{ee.validity_days} days" if ee.validity_days else "the profile's validity"
            lines += [
                f"Issuer:        {ee.issuer}",
                f"CSR SHA-256:   {fingerprint.grouped_hex(bytes.fromhex(ee.csr_sha256))}",
                f"Profile:       {ee.profile} (end entity), {days}",
            ]
        if self.rollover:
            ro = self.rollover
            lines += [
                f"Old root:      {ro.old_root}",
                f"New root:      {ro.subject.common_name} ({ro.algorithm.label}, "
                f"{ro.validity_days} days)",
            ]
        if self.crl:
            lines.append(
                "CRLs of:       " + (", ".join(self.crl.authorities) or "every CA held here")
            )
        lines += [
            "Participants:  " + ", ".join(f"{p.name} ({p.role.value})" for p in self.participants),
            f"Plan SHA-256:  {fingerprint.grouped_hex(digest)}",
            f"PGP words:     {' '.join(fingerprint.pgp_words(digest))}",
        ]
        return lines


_STR_LIST = list
SHAPE = TomlShape(
    tables={
        "ceremony": dict,
        "participants": list,
        "signing": dict,
        "crl": dict,
        "rollover": dict,
        "waivers": list,
    },
    schema={
        "ceremony": {
            "id": str,
            "purpose": str,
            "cps_reference": str,
            "location": str,
            "kind": str,
        },
        "participants": {"name": str, "role": str},
        "signing": {
            "issuer": str,
            "csr_sha256": str,
            "profile": str,
            "validity_days": int,
            "permitted_dns": _STR_LIST,
            "excluded_dns": _STR_LIST,
            "eku": _STR_LIST,
            "policy_oids": _STR_LIST,
            "cps_uri": str,
        },
        "crl": {"authorities": _STR_LIST},
        "rollover": {
            "old_root": str,
            "common_name": str,
            "organization": str,
            "organizational_unit": str,
            "country": str,
            "algorithm": str,
            "validity_days": int,
            "path_length": int,
        },
        "waivers": {"code": str, "reason": str},
    },
    required={
        "ceremony": ("id", "purpose", "cps_reference", "kind"),
        "participants": ("name", "role"),
        "signing": ("issuer", "csr_sha256"),
        "rollover": ("old_root", "common_name"),
        "waivers": ("code", "reason"),
    },
    sections=("ceremony", "participants"),
)


def template(kind: KeyUseKind) -> str:
    return read_text(f"{kind.value}-plan-template.toml")


def kind_of(text: str) -> str | None:
    """The [ceremony] kind of a plan's text, or None when it cannot be read (the parser says why)."""
    try:
        ceremony = tomllib.loads(text).get("ceremony", {})
    except tomllib.TOMLDecodeError:
        return None
    kind = ceremony.get("kind") if isinstance(ceremony, dict) else None
    return kind if isinstance(kind, str) else None


def load(path: Path) -> KeyUsePlan:
    return parse(read_text_file(path), path.name)


def parse(text: str, file_name: str = "plan.toml") -> KeyUsePlan:
    data = load_toml(text, file_name)
    checker = PlanChecker(text, file_name, SHAPE)
    checker.check_shape(data)
    ceremony = data["ceremony"]
    try:
        kind = KeyUseKind(ceremony["kind"])
    except ValueError:
        kinds = ", ".join(k.value for k in KeyUseKind)
        raise checker.error(
            "ceremony", "kind", f"'{ceremony['kind']}' is not a key-use ceremony (use {kinds})"
        ) from None
    checker.check_ceremony_id(ceremony["id"])
    participants = tuple(checker.participant(i, p) for i, p in enumerate(data["participants"]))
    checker.check_roles(participants)
    signing = crl = end_entity = rollover = None
    if kind is KeyUseKind.ROOT_ROLLOVER:
        for other in ("signing", "crl"):
            if other in data:
                raise checker.error(other, None, "does not belong in a root-rollover plan")
        if "rollover" not in data:
            raise PlanError(f"{file_name}: a root-rollover plan needs a [rollover] section.")
        rollover = _rollover(checker, data["rollover"])
    elif "rollover" in data:
        raise checker.error("rollover", None, f"does not belong in a {kind.value} plan")
    elif kind is KeyUseKind.CRL:
        if "signing" in data:
            raise checker.error("signing", None, "does not belong in a CRL plan")
        crl = CrlSpec(_strings(checker, "crl", "authorities", data.get("crl", {})))
    else:
        if "signing" not in data:
            raise PlanError(f"{file_name}: a {kind.value} plan needs a [signing] section.")
        if "crl" in data:
            raise checker.error("crl", None, f"does not belong in a {kind.value} plan")
        if kind is KeyUseKind.SIGN_INTERMEDIATE:
            signing = _signing(checker, data["signing"])
        else:
            end_entity = _end_entity(checker, data["signing"])
    waivers = checker.waivers(data.get("waivers", []))
    return KeyUsePlan(
        ceremony_id=ceremony["id"],
        purpose=ceremony["purpose"],
        cps_reference=ceremony["cps_reference"],
        location=ceremony.get("location", ""),
        kind=kind,
        participants=participants,
        signing=signing,
        crl=crl,
        waivers=waivers,
        text=text,
        file_name=file_name,
        end_entity=end_entity,
        rollover=rollover,
    )


def _rollover(checker: PlanChecker, raw: Mapping[str, Any]) -> RolloverSpec:
    try:
        algorithm = KeyAlgorithm.parse(raw.get("algorithm", KeyAlgorithm.EC_P384.value))
    except ValidationError as exc:
        raise checker.error("rollover", "algorithm", str(exc).rstrip(".")) from None
    validity = raw.get("validity_days", DEFAULT_ROOT_DAYS)
    if not 365 <= validity <= 30 * 366:
        raise checker.error("rollover", "validity_days", "must be between 1 and 30 years")
    path_length = raw.get("path_length")
    if path_length is not None and path_length < 0:
        raise checker.error("rollover", "path_length", "must be 0 or more")
    subject = SubjectSpec(
        raw["common_name"].strip(),
        raw.get("organization", "").strip(),
        raw.get("organizational_unit", "").strip(),
        raw.get("country", "").strip(),
    )
    try:
        subject.to_name()
    except ValidationError as exc:
        raise checker.error("rollover", "common_name", str(exc).rstrip(".")) from None
    return RolloverSpec(raw["old_root"].strip(), subject, algorithm, validity, path_length)


def _strings(checker: PlanChecker, table: str, key: str, raw: Mapping[str, Any]) -> tuple[str, ...]:
    values = raw.get(key, [])
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise checker.error(table, key, "must be a list of non-empty strings")
    return tuple(v.strip() for v in values)


def _csr_digest(checker: PlanChecker, raw: Mapping[str, Any]) -> str:
    digest = str(raw["csr_sha256"]).replace(":", "").replace(" ", "").lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise checker.error(
            "signing", "csr_sha256", "must be the CSR's SHA-256 (64 hex digits, as csr list shows)"
        )
    return digest


# A CA's settings that an end-entity plan cannot carry: its profile says what the certificate is.
_CA_ONLY = ("permitted_dns", "excluded_dns", "eku", "policy_oids", "cps_uri")


def _end_entity(checker: PlanChecker, raw: Mapping[str, Any]) -> EndEntitySpec:
    digest = _csr_digest(checker, raw)
    for key in _CA_ONLY:
        if key in raw:
            raise checker.error(
                "signing",
                key,
                "does not belong in a sign-end-entity plan (the end-entity profile says what the "
                "certificate carries)",
            )
    profile = str(raw.get("profile", "")).strip()
    if not profile or profile in {p.value for p in CaProfile}:
        raise checker.error(
            "signing",
            "profile",
            "must name an end-entity profile (tls-server, tls-client, mtls, ocsp-responder, "
            "code-signing, or one of the workspace's own; see pkiadmin-cli profile list)",
        )
    validity = raw.get("validity_days")
    if validity is not None and not 1 <= validity <= 30 * 366:
        raise checker.error("signing", "validity_days", "must be between 1 day and 30 years")
    return EndEntitySpec(raw["issuer"].strip(), digest, profile, validity)


def _signing(checker: PlanChecker, raw: Mapping[str, Any]) -> SigningSpec:
    digest = _csr_digest(checker, raw)
    try:
        profile = CaProfile(raw.get("profile", CaProfile.ISSUING.value))
    except ValueError:
        raise checker.error(
            "signing", "profile", "must be 'issuing' (path length 0) or 'policy' (path length 1)"
        ) from None
    validity = raw.get("validity_days", DEFAULT_VALIDITY_DAYS)
    if not 1 <= validity <= 30 * 366:
        raise checker.error("signing", "validity_days", "must be between 1 day and 30 years")
    request = IntermediateRequest(
        profile=profile,
        validity_days=validity,
        permitted_dns=_strings(checker, "signing", "permitted_dns", raw),
        excluded_dns=_strings(checker, "signing", "excluded_dns", raw),
        eku=_strings(checker, "signing", "eku", raw),
        policy_oids=_strings(checker, "signing", "policy_oids", raw),
        cps_uri=raw.get("cps_uri", ""),
    )
    return SigningSpec(raw["issuer"].strip(), digest, request)
