"""The Signer interface: what signs certificates and CRLs, whether a key file or (later) an HSM."""

from __future__ import annotations

from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pkiadmin.core.keys import files as keys


class Signer(Protocol):
    """Something that holds a CA private key and signs with it.

    Callers only build and hand over builders; they never touch the key. A PKCS#11 signer
    implements the same methods with a key object whose sign() calls the token.
    """

    @property
    def description(self) -> str:
        """Where the key lives, for the audit log and reports (never secret)."""
        ...

    def public_key(self) -> keys.PublicKey: ...

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate: ...

    def sign_crl(
        self, builder: x509.CertificateRevocationListBuilder
    ) -> x509.CertificateRevocationList: ...

    def sign_bytes(self, data: bytes) -> bytes:
        """A detached signature of `data` (keys.sign_bytes)."""
        ...


class FileSigner:
    """A signer over a decrypted in-memory key that came from an encrypted key file."""

    def __init__(self, key: keys.PrivateKey, description: str) -> None:
        self._key = key
        self._description = description

    def __repr__(self) -> str:  # never show key material, even in a debugger or a traceback
        return f"FileSigner({self._description!r})"

    @property
    def description(self) -> str:
        return self._description

    def public_key(self) -> keys.PublicKey:
        return self._key.public_key()

    def hash_algorithm(self) -> hashes.SHA256 | hashes.SHA384:
        return keys.signature_hash(self.public_key())

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        return builder.sign(self._key, self.hash_algorithm())

    def sign_crl(
        self, builder: x509.CertificateRevocationListBuilder
    ) -> x509.CertificateRevocationList:
        return builder.sign(self._key, self.hash_algorithm())

    def sign_bytes(self, data: bytes) -> bytes:
        return keys.sign_bytes(self._key, data)
