"""Human-readable descriptions of a certificate: every field and every extension, for views and `cert show`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.display import safe
from pkiadmin.core.keys import files as keys


@dataclass(frozen=True)
class ExtensionInfo:
    name: str
    oid: str
    critical: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class CertDetails:
    """What a person checks about a certificate, already formatted."""

    subject: str
    issuer: str
    serial_hex: str
    not_before: str
    not_after: str
    public_key: str
    signature_algorithm: str
    sha256_grouped: str
    sha1_grouped: str
    sha256_pgp_words: tuple[str, ...]
    spki_sha256_grouped: str
    extensions: tuple[ExtensionInfo, ...]


def describe(cert: x509.Certificate) -> CertDetails:
    der = cert.public_bytes(serialization.Encoding.DER)
    sha256 = cert.fingerprint(hashes.SHA256())
    public_key = cert.public_key()
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if isinstance(public_key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        name, size = keys.describe(public_key)
        key_text = f"{name} ({size} bits)" if name == "RSA" else name
    else:
        key_text = type(public_key).__name__
    oid = cert.signature_algorithm_oid
    serial = f"{cert.serial_number:X}"
    return CertDetails(
        subject=safe(cert.subject.rfc4514_string()),
        issuer=safe(cert.issuer.rfc4514_string()),
        serial_hex=fingerprint.colon_hex(
            bytes.fromhex(serial if len(serial) % 2 == 0 else "0" + serial)
        ),
        not_before=cert.not_valid_before_utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        not_after=cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        public_key=key_text,
        signature_algorithm=getattr(oid, "_name", oid.dotted_string),
        sha256_grouped=fingerprint.grouped_hex(sha256),
        sha1_grouped=fingerprint.grouped_hex(fingerprint.fingerprint(der, "sha1").digest),
        sha256_pgp_words=fingerprint.pgp_words(sha256),
        spki_sha256_grouped=fingerprint.fingerprint(spki).grouped_hex(),
        extensions=tuple(describe_extension(ext) for ext in cert.extensions),
    )


def describe_extension(ext: x509.Extension[x509.ExtensionType]) -> ExtensionInfo:
    value = ext.value
    name = getattr(ext.oid, "_name", ext.oid.dotted_string)
    formatter = _FORMATTERS.get(type(value))
    lines = formatter(value) if formatter else (repr(value),)
    return ExtensionInfo(
        name=name, oid=ext.oid.dotted_string, critical=ext.critical, lines=tuple(lines)
    )


def _basic_constraints(v: Any) -> list[str]:
    text = f"CA: {'TRUE' if v.ca else 'FALSE'}"
    if v.ca:
        text += ", path length: " + ("unlimited" if v.path_length is None else str(v.path_length))
    return [text]


def _key_usage(v: Any) -> list[str]:
    names = [
        ("digital_signature", "Digital Signature"),
        ("content_commitment", "Non Repudiation"),
        ("key_encipherment", "Key Encipherment"),
        ("data_encipherment", "Data Encipherment"),
        ("key_agreement", "Key Agreement"),
        ("key_cert_sign", "Certificate Sign"),
        ("crl_sign", "CRL Sign"),
    ]
    return [", ".join(label for attr, label in names if getattr(v, attr))]


def _ski(v: Any) -> list[str]:
    return [fingerprint.colon_hex(v.digest)]


def _aki(v: Any) -> list[str]:
    lines = []
    if v.key_identifier:
        lines.append("keyid " + fingerprint.colon_hex(v.key_identifier))
    if v.authority_cert_issuer:
        lines.append("issuer " + ", ".join(str(n.value) for n in v.authority_cert_issuer))
    if v.authority_cert_serial_number is not None:
        lines.append(f"serial {v.authority_cert_serial_number:X}")
    return lines


def _eku(v: Any) -> list[str]:
    return [getattr(o, "_name", o.dotted_string) for o in v]


def _general_names(v: Any) -> list[str]:
    return [f"{type(n).__name__}: {n.value}" for n in v]


def _crl_dps(v: Any) -> list[str]:
    return [f"URI: {name.value}" for dp in v for name in (dp.full_name or [])]


def _aia(v: Any) -> list[str]:
    return [
        f"{getattr(d.access_method, '_name', d.access_method.dotted_string)}: {d.access_location.value}"
        for d in v
    ]


def _policies(v: Any) -> list[str]:
    lines = []
    for policy in v:
        lines.append(f"Policy: {policy.policy_identifier.dotted_string}")
        lines += [f"  CPS: {q}" for q in policy.policy_qualifiers or [] if isinstance(q, str)]
    return lines


def _name_constraints(v: Any) -> list[str]:
    return [f"Permitted: {n.value}" for n in v.permitted_subtrees or []] + [
        f"Excluded: {n.value}" for n in v.excluded_subtrees or []
    ]


_FORMATTERS: dict[type[Any], Callable[[Any], list[str]]] = {
    x509.CRLDistributionPoints: _crl_dps,
    x509.AuthorityInformationAccess: _aia,
    x509.CertificatePolicies: _policies,
    x509.NameConstraints: _name_constraints,
    x509.BasicConstraints: _basic_constraints,
    x509.KeyUsage: _key_usage,
    x509.SubjectKeyIdentifier: _ski,
    x509.AuthorityKeyIdentifier: _aki,
    x509.ExtendedKeyUsage: _eku,
    x509.SubjectAlternativeName: _general_names,
    x509.IssuerAlternativeName: _general_names,
}
