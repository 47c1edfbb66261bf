"""Lint-then-sign: lint a throw-away-key copy, sign exactly the linted TBS, verify, lint again."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiadmin.core.base.errors import CheckFailedError
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import known_bad
from pkiadmin.core.keys.signer import Signer
from pkiadmin.core.x509 import lint


@dataclass(frozen=True)
class SignedCertificate:
    certificate: x509.Certificate
    lint_before: lint.LintReport
    lint_after: lint.LintReport


def throwaway_like(public_key: keys.PublicKey) -> keys.PrivateKey:
    """A key whose signatures carry the same signature algorithm as the real key's, so that a
    copy it signs has the very TBS the real key will sign. The AlgorithmIdentifier names only the
    algorithm and the hash (ecdsa-with-SHA384 whatever the curve; sha256WithRSAEncryption whatever
    the size): P-256 and RSA-2048, the fastest of each kind, stand in for every size."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return _throwaway_ec()
    return _throwaway_rsa()


# One throw-away key per kind and process: it signs only the copies pkilint reads (never stored,
# never valid anywhere), so a fresh key each time would cost a key generation per certificate
# and protect nothing. sign_linted checks that the real TBS equals the linted one.
@functools.cache
def _throwaway_ec() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def _throwaway_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def linted_copy(builder: x509.CertificateBuilder, public_key: keys.PublicKey) -> x509.Certificate:
    """The certificate as it will be, signed by a throw-away key of the same type: what pkilint
    reads before anything is signed with the real key."""
    return builder.sign(throwaway_like(public_key), keys.signature_hash(public_key))


def sign_linted(
    builder: x509.CertificateBuilder,
    signer: Signer,
    issuer: x509.Certificate | None = None,
    waivers: Mapping[str, str] | None = None,
    known_bad_lists: Sequence[known_bad.Blocklist] = (),
) -> SignedCertificate:
    """Nothing is signed that failed lint or certifies a known-bad key; nothing is returned that
    failed a post-sign check.

    `issuer` is None for a self-signed root (the new certificate verifies itself).
    """
    lint_copy = linted_copy(builder, signer.public_key())
    bad = known_bad.check(lint_copy.public_key(), known_bad_lists)
    if bad:
        raise CheckFailedError(
            known_bad.sentence(bad, "The key to be certified") + " Nothing was signed."
        )
    before = lint.lint_certificate(lint_copy, waivers)
    if not before.ok:
        raise CheckFailedError(
            "pkilint found problems at WARNING or above, so nothing was signed: "
            + "; ".join(str(f) for f in before.blocking)
            + ". Fix the request, or waive a finding with a reason in the ceremony plan."
        )
    cert = signer.sign_certificate(builder)
    if cert.tbs_certificate_bytes != lint_copy.tbs_certificate_bytes:
        raise CheckFailedError(
            "The signed certificate differs from the one that was linted; it was not stored."
        )
    try:
        cert.verify_directly_issued_by(issuer if issuer is not None else cert)
    except Exception as exc:
        raise CheckFailedError(
            f"The new certificate's signature does not verify ({exc}); it was not stored."
        ) from exc
    after = lint.lint_certificate(cert, waivers)
    if not after.ok:
        raise CheckFailedError(
            "pkilint found problems in the signed certificate, so it was not stored: "
            + "; ".join(str(f) for f in after.blocking)
        )
    return SignedCertificate(cert, before, after)
