"""Subject validation: what an operator may type, and the message for what they may not."""

from __future__ import annotations

import re

import pytest
from cryptography.x509.oid import NameOID

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.x509.names import SubjectSpec


def test_builds_name_in_conventional_order() -> None:
    name = SubjectSpec("Root", "Example Ltd", "PKI", "DE", "Berlin", "Berlin").to_name()
    assert name.rfc4514_string() == "CN=Root,OU=PKI,O=Example Ltd,L=Berlin,ST=Berlin,C=DE"
    assert name.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "DE"


def test_empty_attributes_are_left_out() -> None:
    assert SubjectSpec("  Root  ").to_name().rfc4514_string() == "CN=Root"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (SubjectSpec(""), "common name (CN) is empty"),
        (SubjectSpec("   "), "common name (CN) is empty"),
        (SubjectSpec("x" * 65), "at most 64"),
        (SubjectSpec("Root", country="UK"), "United Kingdom's code is 'GB'"),
        (SubjectSpec("Root", country="de"), "two-letter upper-case"),
        (SubjectSpec("Root", country="DEU"), "two-letter upper-case"),
        (SubjectSpec("Root", country="XX"), "not an ISO 3166-1 alpha-2 code"),
        (SubjectSpec("Root\u200b"), "invisible or control character (U+200B)"),
        (SubjectSpec("Root", organization="Ex\nample"), "Organisation (O) contains an invisible"),
    ],
)
def test_invalid_subjects_are_refused_with_the_reason(spec: SubjectSpec, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        spec.to_name()
