"""SLIP-39 custodian shares of the key passphrase (never of the key itself).

shamir-mnemonic is SLIP-39's reference implementation; its README warns it has no side-channel
hardening. pkiadmin accepts that on an air-gapped, single-purpose ceremony machine, and uses it to
split a random passphrase, so a quorum gets a passphrase for an encrypted key, not a bare key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import shamir_mnemonic
from shamir_mnemonic.share import Share
from shamir_mnemonic.wordlist import WORD_INDEX_MAP

from pkiadmin.core.base.errors import PassphraseError, ValidationError

SECRET_BYTES = (
    16  # 128 bits: SLIP-39's minimum, 20 words a share; the PBKDF2 on the key file adds work
)


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


@dataclass(frozen=True)
class CustodianShare:
    custodian: str
    group: str
    mnemonic: str
    share_id: str  # identifier/group/member, safe to record; the words never are

    def words(self) -> tuple[str, ...]:
        return tuple(self.mnemonic.split())


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def passphrase_for(secret: bytes) -> str:
    """The key-file passphrase made from the shared secret (hex, 32 characters for 128 bits)."""
    return secret.hex()


def share_id(mnemonic: str) -> str:
    share = Share.from_mnemonic(mnemonic)
    return f"id {share.identifier:05d} / group {share.group_index + 1} / member {share.index + 1}"


def split(secret: bytes, scheme: CustodianScheme) -> tuple[CustodianShare, ...]:
    groups = shamir_mnemonic.generate_mnemonics(
        scheme.group_threshold,
        [(g.threshold, len(g.members)) for g in scheme.groups],
        secret,
        b"",
        True,
        1,
    )
    result = []
    for group, mnemonics in zip(scheme.groups, groups, strict=True):
        for member, mnemonic in zip(group.members, mnemonics, strict=True):
            result.append(CustodianShare(member, group.name, mnemonic, share_id(mnemonic)))
    return tuple(result)


def normalise(mnemonic: str) -> str:
    return " ".join(mnemonic.lower().split())


def combine(mnemonics: Iterable[str]) -> bytes:
    """The secret from a quorum of shares; every failure is a PassphraseError saying what to do.

    More shares than the quorum are fine (a quorum of them is used); a share given twice counts
    once and is named; a share of another split is named."""
    cleaned = [normalise(m) for m in mnemonics if m.strip()]
    if not cleaned:
        raise PassphraseError("No shares were given. Each custodian types their share's words.")
    parsed: list[Share] = []
    for number, mnemonic in enumerate(cleaned, start=1):
        try:
            parsed.append(Share.from_mnemonic(mnemonic))
        except shamir_mnemonic.MnemonicError as exc:
            raise PassphraseError(
                f"Share {number} is not valid ({_without_words(exc)}). "
                "Check each word against the custodian's copy."
            ) from None
    first = parsed[0]
    for number, share in enumerate(parsed[1:], start=2):
        if share.identifier != first.identifier or (
            share.group_threshold,
            share.group_count,
            share.iteration_exponent,
        ) != (first.group_threshold, first.group_count, first.iteration_exponent):
            raise PassphraseError(
                f"Share {number} comes from another split (id {share.identifier:05d}, not "
                f"{first.identifier:05d}): these shares do not belong together. Use shares from "
                "the same set, of this ceremony's split."
            )
    chosen, repeats = _quorum(parsed)
    if chosen is None:
        groups: dict[int, set[int]] = {}
        for share in parsed:
            groups.setdefault(share.group_index, set()).add(share.index)
        needed = max(s.member_threshold for s in parsed)
        distinct = max(len(members) for members in groups.values())
        note = f" ({'; '.join(repeats)}: each custodian's share counts once)" if repeats else ""
        raise PassphraseError(
            f"Not enough shares: {needed} are needed from this group, {distinct} different "
            f"share(s) were given{note}."
        )
    try:
        return bytes(shamir_mnemonic.combine_mnemonics([cleaned[i] for i in chosen], b""))
    except shamir_mnemonic.MnemonicError as exc:
        text = str(exc)
        if "identifier" in text or "parameters don't match" in text:
            raise PassphraseError(
                "These shares do not belong together: they come from different ceremonies or "
                "different splits. Use shares from the same set."
            ) from None
        raise PassphraseError(f"The shares do not combine: {_without_words(exc)}.") from None


def _quorum(parsed: Sequence[Share]) -> tuple[list[int] | None, list[str]]:
    """Indexes (into `parsed`) of a quorum: the first member_threshold different shares of the
    first group_threshold groups that have enough; and each repeated share, named."""
    by_group: dict[int, list[int]] = {}
    seen: dict[tuple[int, int], int] = {}
    repeats: list[str] = []
    for i, share in enumerate(parsed):
        key = (share.group_index, share.index)
        if key in seen:
            repeats.append(f"share {i + 1} repeats share {seen[key] + 1}")
            continue
        seen[key] = i
        by_group.setdefault(share.group_index, []).append(i)
    complete = [
        members[: parsed[members[0]].member_threshold]
        for members in by_group.values()
        if len(members) >= parsed[members[0]].member_threshold
    ]
    if len(complete) < parsed[0].group_threshold:
        return None, repeats
    return [i for members in complete[: parsed[0].group_threshold] for i in members], repeats


SHARE_LENGTHS = (20, 33)  # words in a SLIP-39 share of a 128-bit (or 256-bit) secret


@dataclass(frozen=True)
class WordCheck:
    """What a share typed so far looks like, word by word, without its words: for the input
    next to each custodian's name."""

    words: int
    unknown: tuple[int, ...]  # 1-based positions of words not in the SLIP-39 list
    complete: bool  # as many words as a share has, each a SLIP-39 word, and the checksum holds
    message: str


def check_words(text: str) -> WordCheck:
    """Check a share as it is typed: each word against the SLIP-39 word list (a prefix of one
    while it is being typed), then the share's checksum once it has all its words."""
    words = normalise(text).split()
    last_typed = bool(text) and not text[-1].isspace()
    unknown = tuple(
        n
        for n, word in enumerate(words, start=1)
        if word not in WORD_INDEX_MAP and not (n == len(words) and last_typed and _is_prefix(word))
    )
    if not words:
        return WordCheck(0, (), False, "")
    if unknown:
        where = ", ".join(str(n) for n in unknown[:5])
        return WordCheck(
            len(words),
            unknown,
            False,
            f"word {where} {'is' if len(unknown) == 1 else 'are'} not in the SLIP-39 word list",
        )
    partial = last_typed and words[-1] not in WORD_INDEX_MAP  # the last word is being typed
    if partial or len(words) not in SHARE_LENGTHS:
        more = next((n for n in SHARE_LENGTHS if n > len(words) - partial), None)
        return WordCheck(
            len(words),
            (),
            False,
            f"{len(words)} word(s)" + (f" of {more}" if more else ": too many for a share"),
        )
    try:
        Share.from_mnemonic(" ".join(words))
    except shamir_mnemonic.MnemonicError:
        return WordCheck(
            len(words),
            (),
            False,
            f"{len(words)} words, but the checksum fails: a word is wrong or two are swapped"
            + (" (or the share has 33 words)" if len(words) == SHARE_LENGTHS[0] else ""),
        )
    return WordCheck(len(words), (), True, f"✔ {len(words)} words, checksum correct")


def _is_prefix(word: str) -> bool:
    return any(w.startswith(word) for w in WORD_INDEX_MAP)


def _without_words(exc: Exception) -> str:
    """The library quotes a share's first words in its messages; those never reach a message or log."""
    return re.sub(r'"[^"]*"', "(share)", str(exc)).rstrip(".")


def read_share_lines(lines: Sequence[str]) -> list[str]:
    """Shares from text: one share a line; blank lines and '#' comments are ignored."""
    shares = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not shares:
        raise ValidationError("The shares file holds no shares (one share's words per line).")
    return shares
