"""Every field the inventory stores about a certificate, read in one pass over the certificate.

Reading a field is where cryptography reports many malformed certificates (some only when an
extension is first read), so building the fields is also the import's full well-formedness check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from pkiadmin.core.base.display import safe
from pkiadmin.core.keys import known_bad as known_bad_keys
from pkiadmin.core.x509 import dn, tbs

_KEY_USAGE = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)
_SAN_KINDS = (
    ("dns", x509.DNSName),
    ("ip", x509.IPAddress),
    ("uri", x509.UniformResourceIdentifier),
    ("email", x509.RFC822Name),
)


class CertFields(NamedTuple):
    """What the inventory stores, as the text written to its columns (lists space-separated).
    The first COLUMNS fields are, in order, columns of the certificates table."""

    sha256: str
    sha1: str
    serial_hex: str
    issuer_hash: str
    subject: str
    issuer: str
    common_name: str
    not_before: str
    not_after: str
    key_algorithm: str
    key_size: int
    signature_algorithm: str
    ski: str | None
    aki: str | None
    is_ca: bool
    path_length: int | None
    sans: str
    key_usage: str
    eku: str
    policies: str
    crl_urls: str
    ocsp_urls: str
    ca_issuers_urls: str
    known_bad: str  # the known-bad-key checks that found something, space-separated
    self_issued: bool
    der: bytes


COLUMNS = CertFields._fields.index("self_issued")  # sha256 … known_bad


def serial_hex(serial: int) -> str:
    text = f"{serial:X}"
    return text if len(text) % 2 == 0 else "0" + text


def common_name(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name.rfc4514_string()


# Signature algorithms cryptography has no name for, named so that compliance can recognise them.
_WEAK_SIGNATURES = {
    "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
    "1.2.840.113549.1.1.3": "md4WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.3.14.3.2.29": "sha1WithRSASignature",
    "1.2.840.10040.4.3": "dsa-with-sha1",
    # Bare digest OIDs that old certificates put where the signature algorithm belongs.
    "1.2.840.113549.2.2": "md2",
    "1.2.840.113549.2.5": "md5",
    "1.3.14.3.2.26": "sha1",
}


def _oid_name(oid: x509.ObjectIdentifier) -> str:
    name = getattr(oid, "_name", None)
    if not name or name == "Unknown OID":
        return _WEAK_SIGNATURES.get(oid.dotted_string, oid.dotted_string)
    return str(name)


def describe_key(key: object) -> tuple[str, int]:
    """('EC P-256', 256), ('RSA', 3072), ('Ed25519', 256)…: algorithm name and size in bits."""
    kind = _KEY_KINDS.get(type(key))
    if kind is None:
        kind = _KEY_KINDS[type(key)] = _key_kind(key)
    if kind == "ec":
        return _CURVES.get(key.curve.name, f"EC {key.curve.name}"), key.curve.key_size  # type: ignore[attr-defined]
    if kind in ("rsa", "dsa"):
        return kind.upper(), int(key.key_size)  # type: ignore[attr-defined]
    return kind, {"Ed25519": 256, "Ed448": 456}.get(kind, 0)


_KEY_KINDS: dict[type, str] = {}
_CURVES = {"secp256r1": "EC P-256", "secp384r1": "EC P-384", "secp521r1": "EC P-521"}


def _key_kind(key: object) -> str:
    """'ec', 'rsa', 'dsa', or the display name of another algorithm (once per key type)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec"
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(key, dsa.DSAPublicKey):
        return "dsa"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    return type(key).__name__.removesuffix("PublicKey") or "unknown"


class NameCache:
    """RFC 4514 text and hash of each distinct issuer name, keyed by its encoding: certificates
    under one CA build and print its name once."""

    def __init__(self) -> None:
        self._names: dict[bytes, tuple[str, str]] = {}

    def issuer(self, cert: x509.Certificate, encoded: bytes | None) -> tuple[str, str]:
        """encoded: the issuer Name's DER, when known."""
        found = self._names.get(encoded) if encoded is not None else None
        if found is None:
            name = cert.issuer
            found = (safe(name.rfc4514_string()), hashlib.sha256(name.public_bytes()).hexdigest())
            if encoded is not None and len(self._names) < 10_000:
                self._names[encoded] = found
        return found


def read_fields(
    cert: x509.Certificate,
    names: NameCache | None = None,
    cert_der: bytes | None = None,
    known_bad_lists: Sequence[known_bad_keys.Blocklist] = (),
) -> CertFields:
    """Read every field once. Raises what cryptography raises for a malformed certificate.
    cert_der: the certificate's DER, when the caller has it; known_bad_lists: the blocklists its
    key is looked up in (the quick known-bad-key checks run on every RSA key)."""
    names = names or NameCache()
    if cert_der is None:
        cert_der = cert.public_bytes(serialization.Encoding.DER)
    # The serial, validity, issuer, subject and key from the DER where cryptography's accessors
    # would build objects only to print them; anything unusual is read through cryptography
    # (see tbs.py and dn.py).
    raw = tbs.parts(cert_der)
    issuer_text, issuer_hash = names.issuer(cert, raw.issuer if raw else None)
    key = tbs.describe_spki(raw.spki) if raw else None
    algorithm, size = key or describe_key(cert.public_key())
    serial = tbs.serial_hex(raw.serial) if raw else None
    not_before = tbs.iso_time(raw.not_before) if raw else None
    not_after = tbs.iso_time(raw.not_after) if raw else None
    subject = dn.printed(raw.subject) if raw else None
    if subject is None:
        subject = dn.PrintedName(
            safe(cert.subject.rfc4514_string()), safe(common_name(cert.subject))
        )
    # Keyed by exact type: isinstance() against cryptography's abstract classes is slow in bulk.
    found: dict[type[x509.ExtensionType], Any] = {
        type(ext.value): ext.value for ext in cert.extensions
    }
    basic = found.get(x509.BasicConstraints)
    ski = found.get(x509.SubjectKeyIdentifier)
    aki = found.get(x509.AuthorityKeyIdentifier)
    san = found.get(x509.SubjectAlternativeName)
    usage = found.get(x509.KeyUsage)
    eku = found.get(x509.ExtendedKeyUsage)
    policies = found.get(x509.CertificatePolicies)
    cdp = found.get(x509.CRLDistributionPoints)
    aia = found.get(x509.AuthorityInformationAccess)
    return CertFields(
        hashlib.sha256(cert_der).hexdigest(),
        hashlib.sha1(cert_der, usedforsecurity=False).hexdigest(),
        serial or serial_hex(cert.serial_number),
        issuer_hash,
        subject.text,
        issuer_text,
        subject.common_name,
        not_before or cert.not_valid_before_utc.isoformat(),
        not_after or cert.not_valid_after_utc.isoformat(),
        algorithm,
        size,
        _oid_name(cert.signature_algorithm_oid),
        ski.digest.hex() if ski is not None else None,
        aki.key_identifier.hex() if aki is not None and aki.key_identifier else None,
        bool(basic is not None and basic.ca),
        basic.path_length if basic is not None else None,
        _sans(san) if san is not None else "",
        _key_usage(usage) if usage is not None else "",
        " ".join(_oid_name(o) for o in eku) if eku is not None else "",
        " ".join(p.policy_identifier.dotted_string for p in policies)
        if policies is not None
        else "",
        " ".join(str(n.value) for dp in cdp for n in (dp.full_name or ()) if _is_uri(n))
        if cdp is not None
        else "",
        _access(aia, AuthorityInformationAccessOID.OCSP),
        _access(aia, AuthorityInformationAccessOID.CA_ISSUERS),
        _known_bad(cert, algorithm, known_bad_lists),
        self_issued=issuer_text == subject.text,
        der=cert_der,
    )


def _known_bad(
    cert: x509.Certificate, algorithm: str, lists: Sequence[known_bad_keys.Blocklist]
) -> str:
    if algorithm != "RSA" and not lists:
        return ""  # the arithmetic checks are RSA's; other keys can only be blocklisted
    try:
        key = cert.public_key()
    except (ValueError, TypeError, NotImplementedError):
        return ""  # a key cryptography cannot load (an unusual curve): nothing to check
    return known_bad_keys.codes(known_bad_keys.check(key, lists, known_bad_keys.QUICK))


def _sans(san: x509.SubjectAlternativeName) -> str:
    return " ".join(
        f"{prefix}:{value}"
        for prefix, kind in _SAN_KINDS
        for value in san.get_values_for_type(kind)
    )


def _is_uri(name: x509.GeneralName) -> bool:
    return type(name) is x509.UniformResourceIdentifier


def _key_usage(usage: x509.KeyUsage) -> str:
    flags = [label for attr, label in _KEY_USAGE if getattr(usage, attr)]
    if usage.key_agreement:
        flags += [
            label
            for attr, label in (
                ("encipher_only", "encipherOnly"),
                ("decipher_only", "decipherOnly"),
            )
            if getattr(usage, attr)
        ]
    return " ".join(flags)


def _access(aia: x509.AuthorityInformationAccess | None, method: x509.ObjectIdentifier) -> str:
    if aia is None:
        return ""
    return " ".join(
        str(d.access_location.value)
        for d in aia
        if d.access_method == method and _is_uri(d.access_location)
    )
