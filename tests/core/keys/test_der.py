"""The small DER encoder agrees with known encodings."""

from __future__ import annotations

from pkiadmin.core.keys import der


def test_oid_encoding() -> None:
    # PBES2, from RFC 8018 / any asn1parse output.
    assert der.oid("1.2.840.113549.1.5.13").hex() == "06092a864886f70d01050d"


def test_integer_encoding_is_minimal_and_positive() -> None:
    assert der.integer(0) == bytes.fromhex("020100")
    assert der.integer(127) == bytes.fromhex("02017f")
    assert der.integer(128) == bytes.fromhex("02020080")
    assert der.integer(600_000) == bytes.fromhex("02030927c0")


def test_long_lengths() -> None:
    encoded = der.octet_string(b"x" * 300)
    assert encoded[:4] == bytes.fromhex("0482012c")
