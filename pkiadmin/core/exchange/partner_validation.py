"""RFC 5280 §6 validation of a partner's CA hierarchy, one verdict per certificate.

Path validation itself is pyhanko-certvalidator's (chosen over cryptography's verifier by the
NIST PKITS results in the README: it processes CRLs with their scope, reasons and delta CRLs,
policies with mappings and constraints, and name constraints of every form). Each CA certificate
is validated with itself as the target, against the trust anchors, with revocation required at
every level from the CRLs given; nothing is fetched. pkiadmin's own rules sit on top: the target
is a CA that may still issue (basicConstraints, keyCertSign, every pathLenConstraint above it),
keys are strong enough, and trust anchors carry no critical extension that is not understood.

Every input is hostile until checked: no certificate, CRL or combination of them makes `validate`
raise; each problem becomes a finding that names the certificate."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtensionOID

from pkiadmin.core.base.display import plain_error, safe

# pyhanko-certvalidator logs every rejected candidate path with a traceback; its findings come
# back as exceptions, which are reported below.
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
# Critical extensions a trust anchor may carry (RFC 5280 §4.2 and what path processing uses).
_ANCHOR_CRITICAL = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.INHIBIT_ANY_POLICY,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.EXTENDED_KEY_USAGE,
    }
)


@dataclass(frozen=True)
class Parameters:
    """RFC 5280 §6.1.1 inputs and pkiadmin's own rules."""

    initial_policies: frozenset[str] = frozenset({"any_policy"})
    require_explicit_policy: bool = False
    inhibit_policy_mapping: bool = False
    inhibit_any_policy: bool = False
    require_ca: bool = True  # a partner's package holds CA certificates only
    require_revocation: bool = True  # every certificate's status must come from a CRL


@dataclass(frozen=True)
class Verdict:
    """One certificate: accepted, or every reason it was not."""

    label: str  # the file it came from (or its position)
    subject: str  # escaped for display
    sha256: str  # of the DER, '' when it could not be read
    anchor: bool
    accepted: bool
    findings: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    at: datetime
    verdicts: tuple[Verdict, ...]
    crl_findings: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return bool(self.verdicts) and all(v.accepted for v in self.verdicts)

    def findings(self) -> tuple[str, ...]:
        """Every finding, each naming its certificate or CRL."""
        out = [f"{v.subject}: {f}" for v in self.verdicts for f in v.findings]
        return tuple(out) + self.crl_findings


@dataclass
class _Cert:
    label: str
    der: bytes
    cert: x509.Certificate
    asn1: asn1_x509.Certificate
    subject: str
    findings: list[str] = field(default_factory=list)


def load_certificate(data: bytes) -> x509.Certificate:
    """PEM or DER; ValueError (with cryptography's reason) when it is neither."""
    if data.lstrip().startswith(b"-----"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    if data.lstrip().startswith(b"-----"):
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def describe_error(exc: BaseException) -> str:
    """A library's exception as one line of text for a finding (never a traceback)."""
    return plain_error(exc)


def _parse(label: str, data: bytes) -> _Cert | str:
    """The certificate with every extension decoded, or the sentence saying why it cannot be."""
    try:
        cert = load_certificate(data)
        # Decoding the extensions and the key now makes a malformed one a finding here, not a
        # crash later: duplicate extensions, broken GeneralNames or name constraints, bad keys.
        _ = list(cert.extensions)
        _ = cert.public_key()
        subject = safe(cert.subject.rfc4514_string())
        der = cert.public_bytes(serialization.Encoding.DER)
        asn1 = asn1_x509.Certificate.load(der)
        _ = asn1.native  # asn1crypto parses lazily; make it parse everything now
    except Exception as exc:  # noqa: BLE001 - hostile input: every failure is a finding
        return f"{safe(label)} cannot be read as a certificate ({describe_error(exc)})"
    return _Cert(label, der, cert, asn1, subject)


def _key_findings(cert: x509.Certificate) -> list[str]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            return [f"its RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are needed"]
        return []
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < MIN_EC_BITS:
            return [f"its EC key is on {key.curve.name}; at least {MIN_EC_BITS} bits are needed"]
        return []
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return []
    return [f"its key type ({type(key).__name__}) is not accepted (RSA, EC or EdDSA)"]


def _ca_findings(cert: x509.Certificate) -> list[str]:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return ["it is not a CA certificate (no basicConstraints with cA)"]
    if not bc.ca:
        return ["it is not a CA certificate (basicConstraints cA is false)"]
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return ["it has no keyUsage extension, so keyCertSign is not asserted"]
    return [] if ku.key_cert_sign else ["its keyUsage does not include keyCertSign"]


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _anchor_findings(c: _Cert, at: datetime, params: Parameters) -> list[str]:
    cert = c.cert
    findings = _key_findings(cert)
    if params.require_ca:
        findings += _ca_findings(cert)
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        findings.append(
            f"it is not valid at {at:%Y-%m-%d %H:%M} UTC (valid {cert.not_valid_before_utc:%Y-%m-%d}"
            f" to {cert.not_valid_after_utc:%Y-%m-%d})"
        )
    unknown = [
        e.oid.dotted_string for e in cert.extensions if e.critical and e.oid not in _ANCHOR_CRITICAL
    ]
    if unknown:
        findings.append(
            f"it carries critical extensions that are not understood ({', '.join(unknown)}); "
            "OpenSSL and nginx refuse such a trust anchor"
        )
    if cert.signature_hash_algorithm is not None and isinstance(
        cert.signature_hash_algorithm, (hashes.SHA1, hashes.MD5)
    ):
        findings.append(
            f"its self-signature uses {cert.signature_hash_algorithm.name}, which is not accepted"
        )
    return findings


def _path_length_findings(path: object) -> list[str]:
    """A CA target must be able to issue: every pathLenConstraint above it (the anchor's too)
    must leave room for it as one more non-self-issued intermediate."""
    chain: list[asn1_x509.Certificate] = list(path.iter_certs(include_root=True))  # type: ignore[attr-defined]
    findings: list[str] = []
    for i, issuer in enumerate(chain[:-1]):
        limit = issuer.max_path_length
        if limit is None:
            continue
        below = [c for c in chain[i + 1 :] if not c.self_issued]
        if len(below) > limit:
            findings.append(
                f"{safe(issuer.subject.human_friendly)} allows {limit} CA certificate(s) below it "
                f"(pathLenConstraint {limit}), so this certificate cannot act as a CA"
            )
    return findings


def validate(
    anchors: Sequence[tuple[str, bytes]],
    certificates: Sequence[tuple[str, bytes]],
    crls: Sequence[tuple[str, bytes]],
    at: datetime | None = None,
    params: Parameters | None = None,
    untrusted: Sequence[tuple[str, bytes]] = (),
) -> Report:
    """Validate every certificate in `certificates` (label, PEM or DER) against `anchors`, with
    `crls` as the only revocation information, at `at` (default: now). Anchors get a verdict too
    (self-signature, validity, key, extensions); `untrusted` certificates only help to build
    paths (like openssl's -untrusted) and get none. Never raises for anything in the inputs."""
    at = at or datetime.now(UTC)
    params = params or Parameters()
    verdicts: list[Verdict] = []
    parsed_anchors: list[_Cert] = []
    for label, data in anchors:
        c = _parse(label, data)
        if isinstance(c, str):
            verdicts.append(Verdict(label, safe(label), "", True, False, (c,)))
            continue
        findings = _anchor_findings(c, at, params)
        if not is_self_signed(c.cert):
            findings.append("it is not self-signed, so it cannot be a trust anchor")
        verdicts.append(
            Verdict(label, c.subject, _sha256(c.der), True, not findings, tuple(findings))
        )
        if not findings:
            parsed_anchors.append(c)
    targets: list[_Cert] = []
    for label, data in certificates:
        c = _parse(label, data)
        if isinstance(c, str):
            verdicts.append(Verdict(label, safe(label), "", False, False, (c,)))
        else:
            targets.append(c)
    helpers = [
        c.asn1 for c in (_parse(label, data) for label, data in untrusted) if not isinstance(c, str)
    ]
    crl_list, crl_findings = _parse_crls(crls)
    for target in targets:
        findings = _key_findings(target.cert)
        if params.require_ca:
            findings += _ca_findings(target.cert)
        if not parsed_anchors:
            findings.append("there is no usable trust anchor to validate it against")
        else:
            others = [t.asn1 for t in targets if t is not target] + helpers
            findings += _validate_path(
                target, [a.asn1 for a in parsed_anchors], others, crl_list, at, params
            )
        verdicts.append(
            Verdict(
                target.label,
                target.subject,
                _sha256(target.der),
                False,
                not findings,
                tuple(findings),
            )
        )
    return Report(at, tuple(verdicts), tuple(crl_findings))


def _sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _parse_crls(crls: Sequence[tuple[str, bytes]]) -> tuple[list[bytes], list[str]]:
    out: list[bytes] = []
    findings: list[str] = []
    for label, data in crls:
        try:
            crl = load_crl(data)
            _ = list(crl.extensions)
            for entry in crl:
                _ = list(entry.extensions)
            der = crl.public_bytes(serialization.Encoding.DER)
        except Exception as exc:  # noqa: BLE001 - hostile input: every failure is a finding
            findings.append(f"{safe(label)} cannot be read as a CRL ({describe_error(exc)})")
            continue
        out.append(der)
    return out, findings


def _validate_path(
    target: _Cert,
    anchors: list[asn1_x509.Certificate],
    others: list[asn1_x509.Certificate],
    crls: list[bytes],
    at: datetime,
    params: Parameters,
) -> list[str]:
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.policy_decl import (
        DisallowWeakAlgorithmsPolicy,
        PKIXValidationParams,
    )

    try:
        context = ValidationContext(
            trust_roots=anchors,
            other_certs=others,
            crls=crls,
            moment=at,
            allow_fetching=False,
            revocation_mode="require" if params.require_revocation else "hard-fail",
            algorithm_usage_policy=DisallowWeakAlgorithmsPolicy(  # type: ignore[no-untyped-call]
                weak_hash_algos={"md2", "md5", "sha1"}, dsa_key_size_threshold=2048
            ),
        )
        pkix = PKIXValidationParams(
            user_initial_policy_set=params.initial_policies,
            initial_explicit_policy=params.require_explicit_policy,
            initial_policy_mapping_inhibit=params.inhibit_policy_mapping,
            initial_any_policy_inhibit=params.inhibit_any_policy,
        )
        validator = CertificateValidator(target.asn1, validation_context=context, pkix_params=pkix)
        path = asyncio.run(validator.async_validate_path())
    except Exception as exc:  # noqa: BLE001 - the validator's verdict, or hostile input
        return [_explain(exc)]
    if params.require_ca and _is_ca(target.cert):
        return _path_length_findings(path)
    return []


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _explain(exc: BaseException) -> str:
    from pyhanko_certvalidator import errors

    text = describe_error(exc).replace("the end-entity certificate", "this certificate")
    if isinstance(exc, errors.RevokedError):
        return f"revoked: {text}"
    if isinstance(exc, errors.InsufficientRevinfoError):
        return f"its revocation status cannot be determined from the CRLs given: {text}"
    if isinstance(exc, errors.PathBuildingError):
        return f"it does not chain to a trust anchor: {text}"
    if isinstance(exc, errors.ValidationError):
        return text
    return f"it could not be validated ({text})"


def describe(report: Report, problems: Sequence[str], require_ca: bool = True) -> str:
    """Each certificate ACCEPTED or REJECTED with every reason, then every problem."""
    lines = []
    for v in report.verdicts:
        verdict = "ACCEPTED" if v.accepted else "REJECTED"
        role = "trust anchor" if v.anchor else "CA" if require_ca else "certificate"
        lines.append(f"{verdict} {role} {v.subject} ({v.label})")
        lines += [f"  - {finding}" for finding in v.findings]
    lines += [f"PROBLEM {problem}" for problem in problems]
    return "\n".join(lines)
