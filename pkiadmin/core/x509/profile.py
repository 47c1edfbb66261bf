"""The CA certificate profile (RFC 5280, CA/B Forum BR 7.1) and the serial number rule."""

from __future__ import annotations

import secrets

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)

SERIAL_RANDOM_BITS = 159  # 20 octets at most, top bit clear so the INTEGER stays positive
MIN_SERIAL_RANDOM_BITS = 64


def new_serial() -> int:
    """A positive serial from the CSPRNG with at least 64 random bits, at most 20 octets (RFC 5280 4.1.2.2)."""
    while True:
        serial = secrets.randbits(SERIAL_RANDOM_BITS)
        # Keep at least 64 significant bits so the serial cannot be short by chance.
        if serial.bit_length() > MIN_SERIAL_RANDOM_BITS:
            return serial


def check_ca_certificate(
    cert: x509.Certificate, path_length: int | None, root: bool = True
) -> list[str]:
    """What is wrong with a CA certificate against the profile; an empty list means it conforms.

    An intermediate may carry an EKU constraint; a root must not.
    """
    problems: list[str] = []
    exts = cert.extensions
    try:
        bc = exts.get_extension_for_class(x509.BasicConstraints)
        if not bc.critical or not bc.value.ca:
            problems.append("basicConstraints must be critical with CA:TRUE")
        if bc.value.path_length != path_length:
            problems.append(f"path length is {bc.value.path_length}, expected {path_length}")
    except x509.ExtensionNotFound:
        problems.append("basicConstraints is missing")
    try:
        ku = exts.get_extension_for_class(x509.KeyUsage)
        if not ku.critical or ku.value != CA_KEY_USAGE:
            problems.append("keyUsage must be critical with exactly keyCertSign and cRLSign")
    except x509.ExtensionNotFound:
        problems.append("keyUsage is missing")
    oids = {e.oid for e in exts}
    if ExtensionOID.SUBJECT_KEY_IDENTIFIER not in oids:
        problems.append("subjectKeyIdentifier is missing")
    if root and ExtensionOID.EXTENDED_KEY_USAGE in oids:
        problems.append("a root must not carry extendedKeyUsage")
    serial = cert.serial_number
    if serial <= 0 or serial.bit_length() > 159 or serial.bit_length() <= MIN_SERIAL_RANDOM_BITS:
        problems.append(
            "serial number must be positive, at most 20 octets and carry at least 64 random bits"
        )
    return problems
