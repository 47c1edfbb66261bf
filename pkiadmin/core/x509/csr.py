"""CSR intake: load PEM or DER, verify the signature, check the key, and describe what is asked for."""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.display import plain_error, safe
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import known_bad
from pkiadmin.core.x509 import describe as certinfo

MAX_CSR_BYTES = 256 * 1024  # a CSR is a few kB; anything near this is not one
_PEM = re.compile(
    rb"-----BEGIN (NEW )?CERTIFICATE REQUEST-----(.*?)-----END (NEW )?CERTIFICATE REQUEST-----",
    re.S,
)
_WEAK_HASHES = {"sha1", "md5"}
# cryptography raises more than ValueError for malformed requests, some only when a field is read.
_MALFORMED = (
    ValueError,
    TypeError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    UnsupportedAlgorithm,
)
_CURVES = {"secp256r1", "secp384r1", "secp521r1"}


@dataclass(frozen=True)
class CsrFinding:
    blocking: bool
    message: str


@dataclass(frozen=True)
class CsrInfo:
    subject: str
    public_key: str
    spki_sha256: str
    signature_algorithm: str
    requested_extensions: tuple[certinfo.ExtensionInfo, ...]
    findings: tuple[CsrFinding, ...]

    @property
    def acceptable(self) -> bool:
        return not any(f.blocking for f in self.findings)

    @property
    def spki_pgp_words(self) -> tuple[str, ...]:
        return fingerprint.pgp_words(bytes.fromhex(self.spki_sha256))


def load(data: bytes, source: str = "the CSR") -> x509.CertificateSigningRequest:
    """A CSR from PEM or DER bytes; anything else gives a message saying what it is not."""
    if len(data) > MAX_CSR_BYTES:
        raise ValidationError(
            f"{source} is {len(data):,} bytes; a CSR is a few kilobytes. Choose the right file."
        )
    if not data.strip():
        raise ValidationError(f"{source} is empty.")
    stripped = data.lstrip()
    if stripped.startswith(b"-----BEGIN"):
        match = _PEM.search(stripped)
        if match is None:
            if re.search(rb"-----BEGIN (NEW )?CERTIFICATE REQUEST-----", stripped):
                raise ValidationError(
                    f"{source} is truncated: its -----END CERTIFICATE REQUEST----- line is "
                    "missing. Ask for the whole file again."
                )
            if b"-----BEGIN CERTIFICATE-----" in stripped:
                raise ValidationError(
                    f"{source} is a certificate, not a certificate request. To keep it in the "
                    "inventory, import it with Import certificates (cert import); to have it "
                    "signed, ask its owner for the CSR."
                )
            raise ValidationError(
                f"{source} is PEM but not a certificate request (it needs BEGIN CERTIFICATE REQUEST)."
            )
        body = match.group(2)
        if not body.isascii():
            raise ValidationError(
                f"{source} has binary (DER) data inside a PEM header; save it as plain DER or as base64 PEM."
            )
        try:
            return x509.load_pem_x509_csr(match.group(0))
        except _MALFORMED as exc:
            raise ValidationError(
                f"{source} is not a valid PEM certificate request: {plain_error(exc)}."
            ) from exc
    try:
        return x509.load_der_x509_csr(data)
    except _MALFORMED as exc:
        if _is_der_certificate(data):
            raise ValidationError(
                f"{source} is a certificate (DER), not a certificate request. To keep it in the "
                "inventory, import it with Import certificates (cert import); to have it signed, "
                "ask its owner for the CSR."
            ) from exc
        raise ValidationError(
            f"{source} is neither a PEM nor a DER certificate request: {plain_error(exc)}."
        ) from exc


def _is_der_certificate(data: bytes) -> bool:
    # Only to name what the file is: cryptography's warnings about the certificate (a negative
    # serial, say) are not the operator's concern here.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x509.load_der_x509_certificate(data)
    except _MALFORMED:
        return False
    return True


def check(
    csr: x509.CertificateSigningRequest, blocklists: Sequence[known_bad.Blocklist] = ()
) -> CsrInfo:
    """Signature, key strength and algorithm checks, and the known-bad-key checks (against the
    workspace's blocklists); every field is read so malformed parts surface here."""
    findings: list[CsrFinding] = []
    try:
        hash_name = csr.signature_hash_algorithm.name if csr.signature_hash_algorithm else "none"
    except UnsupportedAlgorithm:
        hash_name = "unsupported"
    oid = csr.signature_algorithm_oid
    signature_name = getattr(oid, "_name", oid.dotted_string)
    if hash_name in _WEAK_HASHES:
        # cryptography reports SHA-1-signed CSRs as having an invalid signature; say what it really is.
        findings.append(
            CsrFinding(
                True,
                f"The CSR is signed with {hash_name.upper()}, which is refused. Ask for a new CSR signed with SHA-256 or better.",
            )
        )
    elif hash_name == "unsupported":
        findings.append(
            CsrFinding(True, f"The CSR's signature algorithm ({signature_name}) is not supported.")
        )
    else:
        try:
            valid = csr.is_signature_valid
        except _MALFORMED:
            valid = False
        if not valid:
            findings.append(
                CsrFinding(
                    True,
                    "The CSR's signature does not verify: it was altered or made with another key.",
                )
            )
    try:
        public_key = csr.public_key()
    except _MALFORMED as exc:
        raise ValidationError(f"The CSR's public key cannot be read: {plain_error(exc)}.") from exc
    key_text, key_findings = _check_key(public_key)
    findings += key_findings
    bad = known_bad.check(public_key, blocklists)
    if bad:
        findings.append(CsrFinding(True, known_bad.sentence(bad, "The CSR's key")))
    try:
        subject = safe(csr.subject.rfc4514_string())  # from the requester: shown escaped
        extensions = tuple(certinfo.describe_extension(ext) for ext in csr.extensions)
    except _MALFORMED as exc:
        raise ValidationError(
            f"The CSR's subject or extensions are malformed: {plain_error(exc)}."
        ) from exc
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return CsrInfo(
        subject=subject,
        public_key=key_text,
        spki_sha256=hashlib.sha256(spki).hexdigest(),
        signature_algorithm=signature_name,
        requested_extensions=extensions,
        findings=tuple(findings),
    )


def _check_key(public_key: object) -> tuple[str, list[CsrFinding]]:
    if isinstance(public_key, rsa.RSAPublicKey):
        size = public_key.key_size
        exponent = public_key.public_numbers().e
        found = []
        if size < 2048:
            found.append(
                CsrFinding(
                    True,
                    f"The RSA key has {size} bits; at least 2048 are required (3072 or more for a CA).",
                )
            )
        elif size < 3072:
            found.append(
                CsrFinding(
                    False, f"The RSA key has {size} bits; 3072 or more is recommended for a CA."
                )
            )
        if exponent != 65537:
            found.append(
                CsrFinding(True, f"The RSA public exponent is {exponent}; only 65537 is accepted.")
            )
        return f"RSA {size}", found
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        name = keys.describe(public_key)[0]
        if public_key.curve.name not in _CURVES:
            return name, [
                CsrFinding(
                    True,
                    f"The curve {public_key.curve.name} is refused; use P-256, P-384 or P-521.",
                )
            ]
        return name, []
    return type(public_key).__name__, [
        CsrFinding(True, "Only RSA and EC (P-256, P-384, P-521) keys are accepted.")
    ]


def sha256(csr: x509.CertificateSigningRequest) -> str:
    return hashlib.sha256(csr.public_bytes(serialization.Encoding.DER)).hexdigest()
