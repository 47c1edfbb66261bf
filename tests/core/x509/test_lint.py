"""pkilint's validators are assembled once and reused: each certificate's findings are its own,
whatever was linted before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core.x509 import lint


def ca_certificate(with_ski: bool = True) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed CA certificate (with or without its SKI, which pkilint requires) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lint Test CA")])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    )
    if with_ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    return builder.sign(key, hashes.SHA256()), key


def test_findings_do_not_carry_over_between_certificates() -> None:
    good, bad = ca_certificate(True)[0], ca_certificate(False)[0]
    first = {f.code for f in lint.lint_certificate(good).blocking}
    missing = {f.code for f in lint.lint_certificate(bad).blocking}
    again = {f.code for f in lint.lint_certificate(good).blocking}
    assert first == again
    assert missing - first  # the certificate without an SKI has its own finding
    assert lint.lint_certificate(bad).blocking == lint.lint_certificate(bad).blocking
