"""The fingerprint verification call: values read aloud in groups of two PGP words (four hex
digits), compared group by group. Words come from the even or the odd list by position, so a
dropped or repeated word is audible and is named; a word not on either list is a typo, named at
once. A mismatch can never be turned into 'verified'."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pkiadmin.core.base import fingerprint

GROUP_BYTES = 2


@dataclass(frozen=True)
class Value:
    """One value compared on the call: its label and bytes."""

    label: str
    data: bytes

    @property
    def groups(self) -> int:
        return (len(self.data) + GROUP_BYTES - 1) // GROUP_BYTES

    def group_words(self, index: int) -> tuple[str, ...]:
        return fingerprint.pgp_words(self.data)[index * GROUP_BYTES : (index + 1) * GROUP_BYTES]

    def group_hex(self, index: int) -> str:
        return self.data[index * GROUP_BYTES : (index + 1) * GROUP_BYTES].hex().upper()

    def group_digits(self, index: int) -> str:
        """The numeric-blocks reading: the group's two bytes as a five-digit number."""
        return f"{int.from_bytes(self.data[index * GROUP_BYTES : (index + 1) * GROUP_BYTES], 'big'):05d}"


@dataclass(frozen=True)
class Comparison:
    label: str
    expected_hex: str
    ok: bool
    problems: tuple[str, ...]
    checked_groups: int


def _lookup() -> dict[str, tuple[int, int]]:
    """word (lower case) -> (byte value, parity 0 even / 1 odd)."""
    table: dict[str, tuple[int, int]] = {}
    for value in range(256):
        even = fingerprint.pgp_words(bytes([value]))[0]
        odd = fingerprint.pgp_words(bytes([0, value]))[1]
        table[even.lower()] = (value, 0)
        table[odd.lower()] = (value, 1)
    return table


def word_problem(word: str, position: int) -> str | None:
    """Why a single typed word cannot be right at this position (None when it can)."""
    found = _lookup().get(word.lower())
    if found is None:
        return f"'{word}' is not a PGP word; check the spelling"
    if found[1] != position % 2:
        wrong = "odd" if found[1] else "even"
        return (
            f"'{word}' is an {wrong}-position word but stands at position {position + 1}: "
            "a word was probably skipped or repeated before it"
        )
    return None


def compare_words(value: Value, heard: str) -> Comparison:
    """The listener typed what was read aloud; every difference is named."""
    words = heard.split()
    expected = fingerprint.pgp_words(value.data)
    problems: list[str] = []
    for i, word in enumerate(words):
        problem = word_problem(word, i)
        if problem:
            problems.append(f"word {i + 1}: {problem}")
    if not problems:
        got = bytes(_lookup()[w.lower()][0] for w in words)
        problems += _differences(value, got)
    return Comparison(
        value.label,
        value.data.hex(),
        not problems and len(words) == len(expected),
        tuple(problems),
        len(words) // GROUP_BYTES,
    )


def compare_hex(value: Value, heard: str) -> Comparison:
    text = re.sub(r"[\s:]", "", heard)
    if not re.fullmatch(r"[0-9A-Fa-f]*", text) or len(text) % 2:
        return Comparison(
            value.label, value.data.hex(), False, ("that is not hex digits in whole bytes",), 0
        )
    got = bytes.fromhex(text)
    problems = _differences(value, got)
    return Comparison(
        value.label, value.data.hex(), not problems, tuple(problems), len(got) // GROUP_BYTES
    )


def confirmed(value: Value, confirmations: list[bool]) -> Comparison:
    """'I read, you check': the other side confirmed each group as it was read."""
    problems = [f"group {i + 1} was not confirmed" for i, ok in enumerate(confirmations) if not ok]
    if len(confirmations) != value.groups:
        problems.append(f"{len(confirmations)} of {value.groups} groups were read and confirmed")
    return Comparison(
        value.label, value.data.hex(), not problems, tuple(problems), len(confirmations)
    )


def _groups(data: bytes) -> list[bytes]:
    return [data[i : i + GROUP_BYTES] for i in range(0, len(data), GROUP_BYTES)]


def _differences(value: Value, got: bytes) -> list[str]:
    want = value.data
    if got == want:
        return []
    wg, gg = _groups(want), _groups(got)
    if len(got) != len(want):
        missing = len(wg) - len(gg)
        what = f"{missing} group(s) missing" if missing > 0 else f"{-missing} group(s) too many"
        return [f"heard {len(gg)} groups, the value has {len(wg)}: {what}"]
    wrong = [i for i in range(len(wg)) if wg[i] != gg[i]]
    if (
        len(wrong) == 2
        and wrong[1] == wrong[0] + 1
        and wg[wrong[0]] == gg[wrong[1]]
        and wg[wrong[1]] == gg[wrong[0]]
    ):
        return [f"groups {wrong[0] + 1} and {wrong[1] + 1} are swapped"]
    return [
        f"group {i + 1}: heard {gg[i].hex().upper()} ({' '.join(fingerprint.pgp_words(gg[i]))}), "
        f"expected {wg[i].hex().upper()}"
        for i in wrong
    ]


def pair_code(fingerprint_a: str, fingerprint_b: str) -> str:
    """One code from both organisations' key fingerprints, the same on both sides (ordered), read
    once to confirm the whole exchange: 30 digits in six blocks, like Signal's safety numbers."""
    first, second = sorted(f.upper() for f in (fingerprint_a, fingerprint_b))
    digest = hashlib.sha512(bytes.fromhex(first) + bytes.fromhex(second)).digest()
    blocks = [int.from_bytes(digest[i * 5 : i * 5 + 5], "big") % 100000 for i in range(6)]
    return " ".join(f"{b:05d}" for b in blocks)
