"""Comparing what was read aloud on the verification call: every kind of mishearing is named."""

from __future__ import annotations

from pkiadmin.core.base import fingerprint
from pkiadmin.core.exchange.call import (
    Value,
    compare_hex,
    compare_words,
    confirmed,
    pair_code,
    word_problem,
)

VECTOR = bytes.fromhex("E58294F2E9A227486E8B061B31CC528FD7FA3F19")


def words(data: bytes) -> list[str]:
    return list(fingerprint.pgp_words(data))


def test_the_reference_vector_read_back_matches() -> None:
    value = Value("key", VECTOR)
    assert " ".join(words(VECTOR)).startswith("topmost Istanbul Pluto vagabond")
    assert value.group_words(0) == ("topmost", "Istanbul") and value.group_hex(0) == "E582"
    result = compare_words(value, " ".join(words(VECTOR)).lower())
    assert result.ok and result.problems == ()
    assert compare_hex(value, "E582 94F2 E9A2 2748 6E8B 061B 31CC 528F D7FA 3F19").ok


def test_one_wrong_word_is_named_with_its_group() -> None:
    heard = words(VECTOR)
    heard[4] = fingerprint.pgp_words(bytes([0x00]))[0]  # another even word in position 5
    result = compare_words(Value("key", VECTOR), " ".join(heard))
    assert not result.ok
    assert result.problems[0].startswith("group 3: heard 00A2")


def test_swapped_missing_typo_and_skipped_words() -> None:
    value = Value("key", VECTOR)
    heard = words(VECTOR)
    swapped = heard[:4] + heard[6:8] + heard[4:6] + heard[8:]
    assert compare_words(value, " ".join(swapped)).problems == ("groups 3 and 4 are swapped",)
    missing = heard[:6] + heard[8:]
    assert compare_words(value, " ".join(missing)).problems == (
        "heard 9 groups, the value has 10: 1 group(s) missing",
    )
    typo = [*heard[:2], "Plutoo", *heard[3:]]
    assert compare_words(value, " ".join(typo)).problems == (
        "word 3: 'Plutoo' is not a PGP word; check the spelling",
    )
    skipped = heard[:2] + heard[3:]
    assert (
        compare_words(value, " ".join(skipped))
        .problems[0]
        .startswith("word 3: 'vagabond' is an odd-position word but stands at position 3")
    )
    assert word_problem("Istanbul", 1) is None and word_problem("zzz", 0) is not None


def test_a_value_for_another_partner_and_unconfirmed_groups() -> None:
    other = bytes.fromhex("EA5B81C564988C73EE90DEE9BAF1E07233CDE511")
    result = compare_words(Value("key", VECTOR), " ".join(words(other)))
    assert not result.ok and len(result.problems) == 10
    assert not confirmed(Value("key", VECTOR), [True] * 9).ok
    assert confirmed(Value("key", VECTOR), [True] * 10).ok
    assert not compare_hex(Value("key", VECTOR), "E582 94F2 zz").ok


def test_the_pair_code_is_the_same_on_both_sides() -> None:
    a, b = "A" * 40, "0123456789ABCDEF0123456789ABCDEF01234567"
    assert pair_code(a, b) == pair_code(b, a)
    assert len(pair_code(a, b).split()) == 6 and pair_code(a, b) != pair_code(a, "B" * 40)
