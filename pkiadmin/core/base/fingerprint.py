"""Fingerprints for people: grouped hex and PGP words, to be read aloud and compared."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from pkiadmin.core.base.resources import read_text

PGP_WORDLIST_SHA256 = "db6c75e54e86c5d0a8107d8c680375570c87e632964d5bf8bfe88027b4ee8185"


@dataclass(frozen=True)
class Fingerprint:
    """A digest and the ways a person reads it."""

    algorithm: str
    digest: bytes

    @property
    def hex(self) -> str:
        return self.digest.hex().upper()

    def grouped_hex(self, group: int = 4) -> str:
        """Upper-case hex in groups of `group` digits, e.g. 'E582 94F2 ...'."""
        return grouped_hex(self.digest, group)

    def pgp_words(self) -> tuple[str, ...]:
        return pgp_words(self.digest)


def fingerprint(data: bytes, algorithm: str = "sha256") -> Fingerprint:
    """The fingerprint of `data` (e.g. a certificate's DER) with a hashlib algorithm."""
    return Fingerprint(algorithm, hashlib.new(algorithm, data).digest())


def grouped_hex(digest: bytes, group: int = 4) -> str:
    text = digest.hex().upper()
    return " ".join(text[i : i + group] for i in range(0, len(text), group))


def colon_hex(digest: bytes) -> str:
    """The 'AB:CD:...' form openssl prints."""
    return ":".join(f"{b:02X}" for b in digest)


@functools.cache
def _wordlist() -> tuple[tuple[str, ...], tuple[str, ...]]:
    text = read_text("pgp-wordlist.txt")
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != PGP_WORDLIST_SHA256:
        # A altered word list would make two parties read different words for the same hash.
        raise RuntimeError("resources/pgp-wordlist.txt does not match its pinned SHA-256")
    even: list[str] = []
    odd: list[str] = []
    for i, line in enumerate(text.splitlines()):
        hex_byte, even_word, odd_word = line.split("||")
        if int(hex_byte, 16) != i:
            raise RuntimeError(f"pgp-wordlist.txt line {i + 1} is out of order")
        even.append(even_word)
        odd.append(odd_word)
    return tuple(even), tuple(odd)


def pgp_words(digest: bytes) -> tuple[str, ...]:
    """PGP words: byte i from the even list when i is even, from the odd list when i is odd."""
    even, odd = _wordlist()
    return tuple((even if i % 2 == 0 else odd)[b] for i, b in enumerate(digest))
