"""Keys with the flaws BR 6.1.1.3 names, made here (no published key is needed): a ROCA key whose
primes have the structure of the Infineon library's, a Fermat key whose primes are close, and a
blocklist file in badkeys' format listing any key a test chooses."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from math import gcd
from pathlib import Path

import gmpy2
from cryptography.hazmat.primitives.asymmetric import rsa

from pkiadmin.core.keys import known_bad

# The product of small primes the ROCA fingerprint is taken over; primes of the form
# k * M + (65537^a mod M) are what the flawed library made.
ROCA_M = 0x924CBA6AE99DFA084537FACC54948DF0C23DA044D8CABE0EDD75BC6
E = 65537


def _private_key(p: int, q: int) -> rsa.RSAPrivateKey:
    n = p * q
    d = pow(E, -1, (p - 1) * (q - 1))
    return rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(E, n),
    ).private_key()


def _roca_prime(bits: int) -> int:
    # p between 3 * 2^(bits-2) and 2^bits, so that two of them make a modulus of 2 * bits.
    low, high = (3 << (bits - 2)) // ROCA_M + 1, (1 << bits) // ROCA_M - 1
    while True:
        k = low + secrets.randbelow(high - low)
        p = k * ROCA_M + pow(E, secrets.randbits(60), ROCA_M)
        if p.bit_length() == bits and gmpy2.is_prime(p) and gcd(E, p - 1) == 1:
            return p


def roca_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    while True:
        p, q = _roca_prime(bits // 2), _roca_prime(bits // 2)
        if (p * q).bit_length() == bits:
            return _private_key(p, q)


def fermat_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    while True:
        p = int(gmpy2.next_prime(secrets.randbits(bits // 2) | (3 << (bits // 2 - 2))))
        q = int(gmpy2.next_prime(p + secrets.randbits(40)))
        if gcd(E, p - 1) == 1 and gcd(E, q - 1) == 1 and (p * q).bit_length() == bits:
            return _private_key(p, q)


def write_blocklist(path: Path, keys: Sequence[object], others: int = 1000) -> Path:
    """A blocklist with these keys (list id 26, 'rfc') among random records, sorted."""
    records = [secrets.token_bytes(15) + bytes([3]) for _ in range(others)]
    for key in keys:
        value = known_bad.blocklist_value(key)
        assert value is not None
        records.append(hashlib.sha256(value).digest()[:15] + bytes([26]))
    path.write_bytes(b"".join(sorted(records)))
    return path


def write_metadata(path: Path, blocklist: Path, sha256: str | None = None) -> Path:
    digest = sha256 or hashlib.sha256(blocklist.read_bytes()).hexdigest()
    lists = [{"id": 3, "name": "debianssl"}, {"id": 26, "name": "rfc"}]
    path.write_text(json.dumps({"bkformat": 0, "blocklist_sha256": digest, "blocklists": lists}))
    return path
