"""The public keys in a file a person wants checked for known weaknesses (`keys check`):
certificates, CSRs and public keys, PEM (any number of blocks) or DER."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.display import plain_error, safe
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.keys import known_bad

MAX_FILE = 16 << 20
_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s.*?-----END \1-----", re.DOTALL)
_MALFORMED = (ValueError, TypeError, UnsupportedAlgorithm)


@dataclass(frozen=True)
class KeyVerdict:
    label: str  # "certificate CN=…", "CSR CN=…", "public key"
    found: tuple[known_bad.KnownBad, ...]


def _load(kind: bytes, block: bytes, der: bool) -> tuple[str, object]:
    if kind == b"CERTIFICATE":
        cert = (
            x509.load_der_x509_certificate(block) if der else x509.load_pem_x509_certificate(block)
        )
        return f"certificate {safe(cert.subject.rfc4514_string())}", cert.public_key()
    if kind in (b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"):
        csr = x509.load_der_x509_csr(block) if der else x509.load_pem_x509_csr(block)
        return f"CSR {safe(csr.subject.rfc4514_string())}", csr.public_key()
    if kind in (b"PUBLIC KEY", b"RSA PUBLIC KEY"):
        key = (
            serialization.load_der_public_key(block)
            if der
            else serialization.load_pem_public_key(block)
        )
        return "public key", key
    raise ValueError(f"a PEM block of type {kind.decode(errors='replace')} holds no public key")


def keys_of(data: bytes, source: str) -> list[tuple[str, object]]:
    """(label, public key) of every certificate, CSR and public key in the file."""
    if len(data) > MAX_FILE:
        raise ValidationError(f"{source} is far larger than a file of keys or certificates.")
    found: list[tuple[str, object]] = []
    blocks = list(_PEM.finditer(data))
    try:
        if blocks:
            for match in blocks:
                if b"PRIVATE KEY" in match.group(1):
                    raise ValidationError(
                        f"{source} holds a private key. Check its public key or certificate "
                        "instead: a private key is never read by this check."
                    )
                found.append(_load(match.group(1), match.group(0), der=False))
            return found
        for kind in (b"CERTIFICATE", b"CERTIFICATE REQUEST", b"PUBLIC KEY"):
            try:
                return [_load(kind, data, der=True)]
            except _MALFORMED:
                continue
    except _MALFORMED as exc:
        raise ValidationError(f"{source} cannot be read: {plain_error(exc)}.") from exc
    raise ValidationError(
        f"{source} holds no certificate, CSR or public key (PEM or DER) that could be read."
    )


def check_file(
    data: bytes, source: str, blocklists: Sequence[known_bad.Blocklist] = ()
) -> list[KeyVerdict]:
    return [
        KeyVerdict(label, known_bad.check(key, blocklists)) for label, key in keys_of(data, source)
    ]
