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


def _without_words(exc: Exception) -> str:
    """The library quotes a share's first words in its messages; those never reach a message or log."""
    return re.sub(r'"[^"]*"', "(share)", str(exc)).rstrip(".")


def read_share_lines(lines: Sequence[str]) -> list[str]:
    """Shares from text: one share a line; blank lines and '#' comments are ignored."""
    shares = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not shares:
        raise ValidationError("The shares file holds no shares (one share's words per line).")
    return shares
