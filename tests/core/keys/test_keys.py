"""Encrypted key files: PBES2 with a strong KDF, round trip, wrong passphrase, unencrypted refusal."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.base.errors import PassphraseError, ValidationError
from pkiadmin.core.keys import files as keys

PASS = "correct horse battery staple"


@pytest.fixture(scope="module")
def p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def test_round_trip(p256: ec.EllipticCurvePrivateKey) -> None:
    pem = keys.encrypt_pkcs8(p256, PASS, rounds=1000)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    loaded = keys.decrypt_pkcs8(pem, PASS)
    assert loaded.private_numbers() == p256.private_numbers()


def test_wrong_passphrase_gives_a_clear_error_without_key_material(
    p256: ec.EllipticCurvePrivateKey,
) -> None:
    pem = keys.encrypt_pkcs8(p256, PASS, rounds=1000)
    with pytest.raises(PassphraseError, match="passphrase is wrong") as info:
        keys.decrypt_pkcs8(pem, "not the passphrase at all")
    assert str(p256.private_numbers().private_value) not in str(info.value)
    assert info.value.__cause__ is None  # the library's message is not chained into ours


def test_unencrypted_key_files_are_refused(p256: ec.EllipticCurvePrivateKey) -> None:
    plain = p256.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(PassphraseError, match="not encrypted"):
        keys.decrypt_pkcs8(plain, PASS)


def test_default_rounds_are_strong() -> None:
    assert keys.KDF_ROUNDS >= 600_000


def test_algorithm_parse() -> None:
    assert keys.KeyAlgorithm.parse("EC-P384") is keys.KeyAlgorithm.EC_P384
    with pytest.raises(ValidationError, match="Unknown key algorithm 'dsa'"):
        keys.KeyAlgorithm.parse("dsa")


def test_signature_hash_follows_key_size(p256: ec.EllipticCurvePrivateKey) -> None:
    assert keys.signature_hash(p256.public_key()).name == "sha256"
    assert (
        keys.signature_hash(ec.generate_private_key(ec.SECP384R1()).public_key()).name == "sha384"
    )
