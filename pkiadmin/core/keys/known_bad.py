"""Known-bad public keys, refused wherever a key is certified (CA/Browser Forum BR 6.1.1.3,
ballot SC073): keys whose private key can be computed from the public key (ROCA, Fermat-close
primes, small or published shared factors, a small private exponent, invalid parameters) and
keys whose private key is published (blocklists: Debian weak keys, RFC test keys, keys leaked in
firmware).

The arithmetic checks are the `badkeys` library's (offline, no data beyond the prime lists it
ships). A blocklist is a file in badkeys' format: sorted 16-byte records, each the first 15 bytes
of the SHA-256 of one number of the public key (RSA: the modulus; EC: the x coordinate; Ed25519 and
the like: the raw key) and one byte naming the list it came from. A check never returns anything
it found of a private key (badkeys reports the factors it recovered): only which check and why.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

RECORD = 16  # bytes: 15 of the truncated SHA-256, 1 naming the list
_HASH = 15

# What each arithmetic check means, said to the person who asked for the certificate.
REASONS: Mapping[str, str] = {
    "roca": "it was made by an Infineon chip with the ROCA flaw (CVE-2017-15361): its private key "
    "can be computed from the public key",
    "fermat": "its two primes are so close together that Fermat's method factors it",
    "sharedprimes": "it shares a prime with published weak keys, so it can be factored",
    "smallfactors": "its modulus has a small prime factor: it is corrupt and can be factored",
    "smalld": "its private exponent is small enough for Wiener's attack to find it",
    "rsapoly": "its modulus has a zero-byte pattern that lets it be factored",
    "rsainvalid": "its public exponent is invalid",
}
FULL = tuple(REASONS)
# For a bulk import of certificates (a finding, not a refusal): the checks that cost
# microseconds; sharedprimes and smallfactors take a third of a millisecond each.
QUICK = ("roca", "fermat", "smalld", "rsapoly", "rsainvalid")


@dataclass(frozen=True)
class KnownBad:
    check: str  # "roca", "fermat", … or "blocklist"
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass
class Blocklist:
    """One blocklist file, opened read-only (mapped, not read: the full list is hundreds of MB)."""

    path: Path
    names: Mapping[int, str] = field(default_factory=dict)  # list id -> name (badkeysdata.json)
    _data: mmap.mmap | None = None

    def open(self) -> mmap.mmap:
        if self._data is None:
            with self.path.open("rb") as f:
                self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return self._data

    def close(self) -> None:
        if self._data is not None:
            self._data.close()
            self._data = None

    @property
    def entries(self) -> int:
        return len(self.open()) // RECORD

    def lookup(self, value: bytes) -> str | None:
        """The name of the list that holds this key's number, or None."""
        data = self.open()
        wanted = hashlib.sha256(value).digest()[:_HASH]
        low, high = 0, len(data) // RECORD - 1
        while low <= high:
            middle = (low + high) // 2
            at = middle * RECORD
            found = data[at : at + _HASH]
            if found == wanted:
                list_id = data[at + _HASH]
                return self.names.get(list_id, f"list {list_id}")
            if found < wanted:
                low = middle + 1
            else:
                high = middle - 1
        return None


def check_format(data: bytes | mmap.mmap) -> str | None:
    """Why this is not a blocklist in badkeys' format, or None: whole records, sorted."""
    if not len(data) or len(data) % RECORD:
        return (
            f"it has {len(data)} bytes, which is not a whole number of {RECORD}-byte records; "
            "a badkeys blocklist.dat (unpacked) is expected"
        )
    previous = b""
    for at in range(0, len(data), RECORD):
        current = data[at : at + _HASH]
        if current < previous:
            return f"its records are not sorted (record {at // RECORD + 1} is out of order)"
        previous = current
    return None


def blocklist_value(public_key: object) -> bytes | None:
    """The number of the key that blocklists hash (badkeys' BKHASH), as big-endian bytes."""
    number: int
    if isinstance(public_key, rsa.RSAPublicKey):
        number = public_key.public_numbers().n
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        number = public_key.public_numbers().x
    elif isinstance(public_key, dsa.DSAPublicKey):
        number = public_key.public_numbers().y
    elif isinstance(
        public_key,
        ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
        | x25519.X25519PublicKey
        | x448.X448PublicKey,
    ):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        number = int.from_bytes(raw, "big")
    else:
        return None
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def check(
    public_key: object, blocklists: Sequence[Blocklist] = (), checks: Sequence[str] = FULL
) -> tuple[KnownBad, ...]:
    """Everything known to be wrong with this public key; empty when nothing is."""
    found: list[KnownBad] = []
    if isinstance(public_key, rsa.RSAPublicKey):
        from badkeys.checks import checkrsa  # imported when a key is checked (start-up time)

        numbers = public_key.public_numbers()
        results = checkrsa(numbers.n, e=numbers.e, checks=list(checks))
        found += [KnownBad(name, REASONS[name]) for name in checks if name in results]
    value = blocklist_value(public_key)
    if value is not None:
        for blocklist in blocklists:
            listed = blocklist.lookup(value)
            if listed is not None:
                found.append(
                    KnownBad(
                        "blocklist",
                        f"its private key is published (blocklist '{listed}' in "
                        f"{blocklist.path.name})",
                    )
                )
                break
    return tuple(found)


def sentence(found: Sequence[KnownBad], what: str = "The key") -> str:
    """One sentence for a refusal: what is wrong and what to do."""
    return (
        f"{what} is known to be compromised (CA/Browser Forum BR 6.1.1.3): "
        + "; ".join(str(f) for f in found)
        + ". It must never be certified: make a new key on a sound generator and a new request."
    )


def codes(found: Sequence[KnownBad]) -> str:
    """The checks that found something, space-separated (what the inventory stores)."""
    return " ".join(f.check for f in found)
