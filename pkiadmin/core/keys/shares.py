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
    """The secret from a quorum of shares; every failure is a PassphraseError saying what to do."""
    cleaned = [normalise(m) for m in mnemonics if m.strip()]
    if not cleaned:
        raise PassphraseError("No shares were given. Each custodian types their share's words.")
    for number, mnemonic in enumerate(cleaned, start=1):
        try:
            Share.from_mnemonic(mnemonic)
        except shamir_mnemonic.MnemonicError as exc:
            raise PassphraseError(
                f"Share {number} is not valid ({_without_words(exc)}). "
                "Check each word against the custodian's copy."
            ) from None
    try:
        return bytes(shamir_mnemonic.combine_mnemonics(cleaned, b""))
    except shamir_mnemonic.MnemonicError as exc:
        text = str(exc)
        needed = re.search(r"Expected (\d+) mnemonics", text)
        if needed:
            raise PassphraseError(
                f"Not enough shares: {needed.group(1)} are needed from this group, {len(cleaned)} were given."
            ) from None
        if "identifier" in text or "parameters don't match" in text:
            raise PassphraseError(
                "These shares do not belong together: they come from different ceremonies or "
                "different splits. Use shares from the same set."
            ) from None
        raise PassphraseError(f"The shares do not combine: {_without_words(exc)}.") from None


def _without_words(exc: Exception) -> str:
    """The library quotes a share's first words in its messages; those never reach a message or log."""
    return re.sub(r'"[^"]*"', "(share)", str(exc)).rstrip(".")


def read_share_lines(lines: Sequence[str]) -> list[str]:
    """Shares from text: one share a line; blank lines and '#' comments are ignored."""
    shares = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not shares:
        raise ValidationError("The shares file holds no shares (one share's words per line).")
    return shares
