"""Subject key identifiers: RFC 7093 method 1 (SHA-256, truncated) or the RFC 5280 SHA-1 method."""

from __future__ import annotations

import enum
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.keys import files as keys


class SkiMethod(enum.Enum):
    RFC7093 = "rfc7093"  # leftmost 160 bits of SHA-256 of the subjectPublicKey BIT STRING value
    SHA1 = "sha1"  # RFC 5280 4.2.1.2 method (1): SHA-1 of the same bytes

    @property
    def label(self) -> str:
        return {
            SkiMethod.RFC7093: "RFC 7093 method 1 (SHA-256, 160 bits)",
            SkiMethod.SHA1: "RFC 5280 method 1 (SHA-1)",
        }[self]

    @classmethod
    def parse(cls, value: str) -> SkiMethod:
        try:
            return cls(value.lower())
        except ValueError:
            raise ValidationError(
                f"Unknown SKI method '{value}'. Choose rfc7093 or sha1."
            ) from None


def subject_public_key_bits(key: keys.PublicKey) -> bytes:
    """The contents of the subjectPublicKey BIT STRING (what both SKI methods hash)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def subject_key_identifier(key: keys.PublicKey, method: SkiMethod) -> x509.SubjectKeyIdentifier:
    bits = subject_public_key_bits(key)
    if method is SkiMethod.SHA1:
        return x509.SubjectKeyIdentifier(hashlib.sha1(bits, usedforsecurity=False).digest())
    return x509.SubjectKeyIdentifier(hashlib.sha256(bits).digest()[:20])
