"""Private keys: generation, and encrypted PKCS#8 files (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)."""

from __future__ import annotations

import base64
import enum
import os
from pathlib import Path
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from pkiadmin.core.base.errors import PassphraseError, ValidationError
from pkiadmin.core.keys import der

# OWASP's 2023 figure for PBKDF2-HMAC-SHA256. cryptography's own PKCS#8 encryption uses 2048
# iterations, far too few for a root key that may be copied and attacked offline for years, so
# pkiadmin writes the PBES2 structure itself; openssl and cryptography read it as usual.
KDF_ROUNDS = 600_000
_OID_PBES2 = "1.2.840.113549.1.5.13"
_OID_PBKDF2 = "1.2.840.113549.1.5.12"
_OID_HMAC_SHA256 = "1.2.840.113549.2.9"
_OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class KeyAlgorithm(enum.Enum):
    """The key types pkiadmin generates for CAs."""

    EC_P384 = "ec-p384"
    EC_P256 = "ec-p256"
    RSA_3072 = "rsa-3072"
    RSA_4096 = "rsa-4096"

    @property
    def label(self) -> str:
        return {
            KeyAlgorithm.EC_P384: "EC P-384 (recommended)",
            KeyAlgorithm.EC_P256: "EC P-256",
            KeyAlgorithm.RSA_3072: "RSA 3072",
            KeyAlgorithm.RSA_4096: "RSA 4096",
        }[self]

    @classmethod
    def parse(cls, value: str) -> KeyAlgorithm:
        try:
            return cls(value.lower())
        except ValueError:
            choices = ", ".join(a.value for a in cls)
            raise ValidationError(
                f"Unknown key algorithm '{value}'. Choose one of: {choices}."
            ) from None


def generate(algorithm: KeyAlgorithm) -> PrivateKey:
    """A new private key, from the operating system's CSPRNG (through OpenSSL)."""
    match algorithm:
        case KeyAlgorithm.EC_P384:
            return ec.generate_private_key(ec.SECP384R1())
        case KeyAlgorithm.EC_P256:
            return ec.generate_private_key(ec.SECP256R1())
        case KeyAlgorithm.RSA_3072:
            return rsa.generate_private_key(public_exponent=65537, key_size=3072)
        case KeyAlgorithm.RSA_4096:
            return rsa.generate_private_key(public_exponent=65537, key_size=4096)


def signature_hash(key: PublicKey) -> hashes.SHA256 | hashes.SHA384:
    """The hash a CA signs with: SHA-384 for P-384, SHA-256 otherwise (CA/B Forum BR 7.1.3.2)."""
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def sign_bytes(key: PrivateKey, data: bytes) -> bytes:
    """A detached signature: `openssl dgst -sha384|-sha256 -verify pub.pem -signature F.sig F`."""
    algorithm = signature_hash(key.public_key())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm))
    return key.sign(data, rsa_padding.PKCS1v15(), algorithm)


def signature_ok(public_key: object, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is the CA key's detached signature of `data` (as sign_bytes makes)."""
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(signature_hash(public_key)))
            return True
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, rsa_padding.PKCS1v15(), signature_hash(public_key))
            return True
    except InvalidSignature:
        return False
    return False


def encrypt_pkcs8(key: PrivateKey, passphrase: str, rounds: int = KDF_ROUNDS) -> bytes:
    """PEM 'ENCRYPTED PRIVATE KEY' (RFC 5958 / PKCS#5 v2.1 PBES2). The plaintext never leaves memory."""
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt = os.urandom(16)
    iv = os.urandom(16)
    kek = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=rounds).derive(
        passphrase.encode("utf-8")
    )
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES256(kek), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    pbkdf2_params = der.sequence(
        der.octet_string(salt),
        der.integer(rounds),
        der.sequence(der.oid(_OID_HMAC_SHA256), der.null()),
    )
    pbes2_params = der.sequence(
        der.sequence(der.oid(_OID_PBKDF2), pbkdf2_params),
        der.sequence(der.oid(_OID_AES256_CBC), der.octet_string(iv)),
    )
    info = der.sequence(
        der.sequence(der.oid(_OID_PBES2), pbes2_params),
        der.octet_string(ciphertext),
    )
    body = base64.encodebytes(info).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + "\n".join(lines)
        + "\n-----END ENCRYPTED PRIVATE KEY-----\n"
    ).encode("ascii")


def decrypt_pkcs8(pem: bytes, passphrase: str) -> PrivateKey:
    """Load an encrypted key file; a wrong passphrase raises PassphraseError, never a key."""
    if b"ENCRYPTED PRIVATE KEY" not in pem:
        # Refuse to use an unencrypted key even if one was put in the keys folder by hand.
        raise PassphraseError("The key file is not encrypted; pkiadmin only uses encrypted keys.")
    try:
        key = serialization.load_pem_private_key(pem, passphrase.encode("utf-8"))
    except ValueError:
        raise PassphraseError(
            "The passphrase is wrong (the key file could not be decrypted). Try again."
        ) from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise ValidationError("The key file holds a key type pkiadmin does not use for CAs.")
    return key


def load_encrypted(path: Path, passphrase: str) -> PrivateKey:
    return decrypt_pkcs8(path.read_bytes(), passphrase)


def describe(key: PublicKey) -> tuple[str, int]:
    """('EC P-384', 384) or ('RSA', 3072): algorithm name and size in bits."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        names = {"secp256r1": "EC P-256", "secp384r1": "EC P-384", "secp521r1": "EC P-521"}
        return names.get(key.curve.name, f"EC {key.curve.name}"), key.curve.key_size
    return "RSA", key.key_size
