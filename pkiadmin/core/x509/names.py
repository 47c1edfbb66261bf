"""Subject names: validate what the operator typed and build the X.509 Name from it."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.base.resources import read_text

# Upper bounds from RFC 5280 appendix A (ub-common-name etc.).
_MAX_LENGTH = {"CN": 64, "O": 64, "OU": 64, "L": 128, "ST": 128}
_LABELS = {
    "CN": "Common name (CN)",
    "O": "Organisation (O)",
    "OU": "Organisational unit (OU)",
    "C": "Country (C)",
    "ST": "State or province (ST)",
    "L": "Locality (L)",
}


@functools.cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (resources/iso3166-alpha2.txt)."""
    return frozenset(read_text("iso3166-alpha2.txt").split())


@dataclass(frozen=True)
class SubjectSpec:
    """The subject attributes an operator may set; empty strings mean 'absent' (except CN)."""

    common_name: str
    organization: str = ""
    organizational_unit: str = ""
    country: str = ""
    state: str = ""
    locality: str = ""

    def to_name(self) -> x509.Name:
        """Validate every attribute and build the Name (C, ST, L, O, OU, CN order)."""
        values = {
            "CN": self.common_name.strip(),
            "O": self.organization.strip(),
            "OU": self.organizational_unit.strip(),
            "C": self.country.strip(),
            "ST": self.state.strip(),
            "L": self.locality.strip(),
        }
        if not values["CN"]:
            raise ValidationError(
                "The common name (CN) is empty. Give the CA a name, e.g. 'Example Root CA 2026'."
            )
        for key, value in values.items():
            _check_text(key, value)
        country = values["C"]
        if country:
            _check_country(country)
        oids = [
            ("C", NameOID.COUNTRY_NAME),
            ("ST", NameOID.STATE_OR_PROVINCE_NAME),
            ("L", NameOID.LOCALITY_NAME),
            ("O", NameOID.ORGANIZATION_NAME),
            ("OU", NameOID.ORGANIZATIONAL_UNIT_NAME),
            ("CN", NameOID.COMMON_NAME),
        ]
        return x509.Name([x509.NameAttribute(oid, values[key]) for key, oid in oids if values[key]])


def _check_text(key: str, value: str) -> None:
    label = _LABELS[key]
    limit = _MAX_LENGTH.get(key)
    if limit is not None and len(value) > limit:
        raise ValidationError(
            f"{label} is {len(value)} characters long; RFC 5280 allows at most {limit}."
        )
    for ch in value:
        if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            raise ValidationError(
                f"{label} contains an invisible or control character (U+{ord(ch):04X}); remove it."
            )


def _check_country(country: str) -> None:
    if len(country) != 2 or not country.isascii() or not country.isalpha() or not country.isupper():
        raise ValidationError(
            f"Country (C) must be a two-letter upper-case ISO 3166 code such as 'DE' or 'GB', not '{country}'."
        )
    if country not in country_codes():
        hint = " (the United Kingdom's code is 'GB')" if country == "UK" else ""
        raise ValidationError(f"Country (C) '{country}' is not an ISO 3166-1 alpha-2 code{hint}.")
