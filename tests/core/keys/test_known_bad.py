"""Known-bad keys (BR 6.1.1.3) are recognised, offline: ROCA and Fermat keys by arithmetic, and
published keys by a blocklist in badkeys' format; nothing found is ever a factor of the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiadmin.core.keys import known_bad
from tests.known_bad_keys import fermat_key, roca_key, write_blocklist


def test_a_roca_key_is_recognised_and_a_sound_key_is_not() -> None:
    found = known_bad.check(roca_key().public_key())
    assert [f.check for f in found] == ["roca"]
    assert "ROCA" in str(found[0]) and "CVE-2017-15361" in str(found[0])
    assert known_bad.check(rsa.generate_private_key(65537, 2048).public_key()) == ()


def test_a_fermat_key_is_recognised() -> None:
    found = known_bad.check(fermat_key().public_key())
    assert "fermat" in [f.check for f in found]
    assert "Fermat" in known_bad.sentence(found)


def test_the_refusal_never_carries_the_factors() -> None:
    key = fermat_key()
    numbers = key.private_numbers()
    said = known_bad.sentence(known_bad.check(key.public_key()))
    assert str(numbers.p) not in said and str(numbers.q) not in said
    assert f"{numbers.p:x}" not in said


def test_a_blocklisted_key_is_found_by_its_number(tmp_path: Path) -> None:
    listed = ec.generate_private_key(ec.SECP256R1()).public_key()
    listed_rsa = rsa.generate_private_key(65537, 2048).public_key()
    path = write_blocklist(tmp_path / "blocklist.dat", [listed, listed_rsa])
    blocklist = known_bad.Blocklist(path, {26: "rfc"})
    assert known_bad.check_format(path.read_bytes()) is None
    for key in (listed, listed_rsa):
        found = known_bad.check(key, [blocklist])
        assert [f.check for f in found] == ["blocklist"]
        assert "'rfc'" in str(found[0])
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert known_bad.check(other, [blocklist]) == ()
    blocklist.close()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "not a whole number"),
        (b"x" * 17, "not a whole number"),
        (b"\xff" * 16 + b"\x00" * 16, "not sorted"),
    ],
)
def test_a_file_that_is_not_a_blocklist_is_named(data: bytes, why: str) -> None:
    problem = known_bad.check_format(data)
    assert problem is not None and why in problem
