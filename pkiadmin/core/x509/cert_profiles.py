"""End-entity certificate profiles as data: what a TLS server, client, OCSP responder or code-signing
certificate may and must contain. A profile is a reviewed TOML file, checked strictly (unknown
keys are errors naming their line); pkiadmin ships the built-in ones in resources/profiles/."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from pkiadmin.core.base import strict_toml
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.base.resources import read_text, resource_root

EKUS: dict[str, ObjectIdentifier] = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "emailProtection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "OCSPSigning": ExtendedKeyUsageOID.OCSP_SIGNING,
}
KEY_USAGES = ("digitalSignature", "keyEncipherment", "keyAgreement", "contentCommitment")
SAN_TYPES = ("dns", "ip", "uri", "email")
KEY_ALGORITHMS = ("ec-p256", "ec-p384", "ec-p521", "rsa")
MAX_VALIDITY_DAYS = 3 * 366  # no end-entity profile may allow more
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class ProfileError(ValidationError):
    """A profile file is not acceptable; the message names the line and key."""


@dataclass(frozen=True)
class CertProfile:
    """One end-entity profile. Lists are what is allowed; empty suffix and range lists allow any."""

    name: str
    description: str
    ekus: tuple[str, ...]
    key_usage_rsa: tuple[str, ...]
    key_usage_ec: tuple[str, ...]
    validity_days: int
    max_validity_days: int
    compliance_max_days: int | None  # above it: a compliance finding, not a refusal
    ocsp_nocheck: bool
    key_algorithms: tuple[str, ...]
    min_rsa_bits: int
    san_types: tuple[str, ...]
    dns_suffixes: tuple[str, ...]
    ip_ranges: tuple[str, ...]
    uri_prefixes: tuple[str, ...]
    wildcards: bool
    require_san: bool
    cn_in_san: bool
    text: str  # the TOML it was read from, as reviewed
    builtin: bool = False
    cabf_lints: str = "off"  # off, report (recorded, never blocking) or block

    def allows_dns(self, name: str) -> bool:
        if name.startswith("*.") and not self.wildcards:
            return False
        bare = name[2:] if name.startswith("*.") else name
        return not self.dns_suffixes or any(
            bare == s or bare.endswith("." + s) for s in self.dns_suffixes
        )

    def allows_ip(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return not self.ip_ranges or any(
            address in ipaddress.ip_network(r, strict=False) for r in self.ip_ranges
        )

    def allows_uri(self, uri: str) -> bool:
        return not self.uri_prefixes or any(uri.startswith(p) for p in self.uri_prefixes)

    @property
    def sha256(self) -> str:
        """The SHA-256 of the profile's TOML: which exact profile a certificate was signed under."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def describe(self) -> str:
        return (
            f"{self.name}: {self.description} ({', '.join(self.ekus)}; {self.validity_days} days)"
        )


_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "profile": {
        "name": str,
        "description": str,
        "ekus": list,
        "key_usage_rsa": list,
        "key_usage_ec": list,
        "validity_days": int,
        "max_validity_days": int,
        "compliance_max_days": int,
        "ocsp_nocheck": bool,
        "cabf_lints": str,
    },
    "keys": {"algorithms": list, "min_rsa_bits": int},
    "names": {
        "san_types": list,
        "dns_suffixes": list,
        "ip_ranges": list,
        "uri_prefixes": list,
        "wildcards": bool,
        "require_san": bool,
        "cn_in_san": bool,
    },
}
SHAPE = strict_toml.TomlShape(
    tables={"profile": dict, "keys": dict, "names": dict},
    schema=_SCHEMA,
    required={"profile": ("name", "description", "ekus", "validity_days", "max_validity_days")},
    sections=("profile",),
)


class _Checker(strict_toml.TomlChecker):
    error_class = ProfileError
    what = "profile"

    def strings(
        self, table: str, key: str, raw: Mapping[str, Any], allowed: tuple[str, ...] | None = None
    ) -> tuple[str, ...]:
        values = raw.get(key, [])
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise self.error(table, key, "must be a list of non-empty strings")
        if allowed is not None:
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise self.error(
                    table, key, f"has {', '.join(unknown)} (allowed: {', '.join(allowed)})"
                )
        return tuple(v.strip() for v in values)


def parse(text: str, file_name: str = "profile.toml", builtin: bool = False) -> CertProfile:
    data = strict_toml.load_toml(text, file_name, ProfileError)
    checker = _Checker(text, file_name, SHAPE)
    checker.check_shape(data)
    p, k, n = data["profile"], data.get("keys", {}), data.get("names", {})
    name = p["name"].strip()
    if not _NAME.fullmatch(name):
        raise checker.error(
            "profile", "name", "must be lower-case letters, digits and '-' (at most 40)"
        )
    ekus = checker.strings("profile", "ekus", p, tuple(EKUS))
    if not ekus:
        raise checker.error("profile", "ekus", "must name at least one extended key usage")
    validity, cap = p["validity_days"], p["max_validity_days"]
    if not 1 <= cap <= MAX_VALIDITY_DAYS:
        raise checker.error(
            "profile", "max_validity_days", f"must be between 1 and {MAX_VALIDITY_DAYS} days"
        )
    if not 1 <= validity <= cap:
        raise checker.error("profile", "validity_days", f"must be between 1 and {cap} (the cap)")
    algorithms = checker.strings("keys", "algorithms", k, KEY_ALGORITHMS) or KEY_ALGORITHMS
    min_rsa = k.get("min_rsa_bits", 2048)
    if min_rsa < 2048:
        raise checker.error("keys", "min_rsa_bits", "must be at least 2048")
    san_types = checker.strings("names", "san_types", n, SAN_TYPES)
    ranges = checker.strings("names", "ip_ranges", n)
    for r in ranges:
        try:
            ipaddress.ip_network(r, strict=False)
        except ValueError:
            raise checker.error(
                "names", "ip_ranges", f"has '{r}', which is not an IP range"
            ) from None
    suffixes = tuple(s.lower().lstrip(".") for s in checker.strings("names", "dns_suffixes", n))
    cabf = p.get("cabf_lints", "off")
    if cabf not in ("off", "report", "block"):
        raise checker.error("profile", "cabf_lints", "must be off, report or block")
    if cabf != "off" and not {"serverAuth", "OCSPSigning"} & set(ekus):
        raise checker.error(
            "profile", "cabf_lints", "applies to TLS server and OCSP responder profiles only"
        )
    require_san = n.get("require_san", True)
    if require_san and not san_types:
        raise checker.error("names", "san_types", "must allow a name type when require_san is true")
    return CertProfile(
        name=name,
        description=p["description"].strip(),
        ekus=ekus,
        key_usage_rsa=checker.strings("profile", "key_usage_rsa", p, KEY_USAGES)
        or ("digitalSignature",),
        key_usage_ec=checker.strings("profile", "key_usage_ec", p, KEY_USAGES)
        or ("digitalSignature",),
        validity_days=validity,
        max_validity_days=cap,
        compliance_max_days=p.get("compliance_max_days"),
        ocsp_nocheck=p.get("ocsp_nocheck", False),
        key_algorithms=algorithms,
        min_rsa_bits=min_rsa,
        san_types=san_types,
        dns_suffixes=suffixes,
        ip_ranges=ranges,
        uri_prefixes=checker.strings("names", "uri_prefixes", n),
        wildcards=n.get("wildcards", False),
        require_san=require_san,
        cn_in_san=n.get("cn_in_san", True),
        text=text,
        builtin=builtin,
        cabf_lints=cabf,
    )


def builtin_profiles() -> dict[str, CertProfile]:
    """The profiles pkiadmin ships (resources/profiles/*.toml), by name."""
    folder = resource_root().joinpath("profiles")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            profile = parse(read_text(f"profiles/{entry.name}"), entry.name, builtin=True)
            found[profile.name] = profile
    return found
