"""pkilint, run in-process: the RFC 5280 certificate profile, with findings as frozen records."""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from cryptography.hazmat.primitives import serialization

from pkiadmin.core.x509 import lint_ahead

if TYPE_CHECKING:
    from cryptography import x509


class Severity(enum.IntEnum):
    """pkilint's severities; lower is worse. WARNING and worse block signing unless waived."""

    FATAL = 0
    ERROR = 1
    WARNING = 2
    NOTICE = 3
    INFO = 4
    DEBUG = 5


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    path: str
    waived_because: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity <= Severity.WARNING and self.waived_because is None

    def __str__(self) -> str:
        waived = f" (waived: {self.waived_because})" if self.waived_because else ""
        message = f": {self.message}" if self.message else ""
        return f"{self.severity.name} {self.code}{message} @ {self.path}{waived}"


@dataclass(frozen=True)
class LintReport:
    """What pkilint said about one certificate."""

    profile: str
    findings: tuple[Finding, ...]

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def ok(self) -> bool:
        return not self.blocking


P = ParamSpec("P")
R = TypeVar("R")
# The validators are built once and shared; pkilint does not say they may run in two threads at
# once (batch signing signs in worker threads), so one lint runs at a time. pkilint is pure
# Python and holds the interpreter lock anyway, so this costs no parallelism.
_ONE_AT_A_TIME = threading.Lock()


def _serialised(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with _ONE_AT_A_TIME:
            return fn(*args, **kwargs)

    return inner


@_serialised
def lint_certificate(
    cert: x509.Certificate, waivers: Mapping[str, str] | None = None
) -> LintReport:
    """Lint against the RFC 5280 profile; `waivers` maps a finding code to the plan's reason.
    Run by the lint helper when a command started one (lint_ahead), else here."""
    raw = _run("certificate", cert.public_bytes(serialization.Encoding.DER))
    return LintReport("pkilint RFC 5280 certificate", _waived(raw, waivers or {}))


def _run(kind: str, *parts: bytes) -> tuple[lint_ahead.RawFinding, ...]:
    """Lint `kind` of `parts` by the lint helper when a command started one, else here."""
    raw = lint_ahead.findings(kind, *parts)
    return RAW_LINTS[kind](*parts) if raw is None else raw


def prepared() -> lint_ahead.Lints:
    """Import pkilint, assemble the RFC 5280 certificate validator and one set of chain
    validators, and return the lints by kind: the lint helper's start, while its parent gets on
    with the command (`lint_ahead.start(lint.prepared)`)."""
    _rfc5280_validator()
    _READY_CHAIN.append(_chain_validators())
    return RAW_LINTS


def rfc5280_findings(der: bytes) -> tuple[lint_ahead.RawFinding, ...]:
    """pkilint's RFC 5280 certificate findings for one DER certificate, as plain values."""
    from pkilint import loader

    document = loader.RFC5280CertificateDocumentLoader().load_der_document(der, "certificate")
    return _raw(_rfc5280_validator().validate(document.root))


@functools.cache
def _rfc5280_validator() -> Any:
    """pkilint's RFC 5280 certificate validator, assembled once (validators keep no state
    between documents; assembling them costs more than running them)."""
    from pkilint.pkix import certificate, extension, name

    return certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(
            name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS
        ),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )


def _raw(results: Iterable[object]) -> tuple[lint_ahead.RawFinding, ...]:
    return tuple(
        (
            str(description.finding.code),
            int(description.finding.severity),
            str(description.message or ""),
            str(result.node.path),  # type: ignore[attr-defined]
        )
        for result in results
        for description in getattr(result, "finding_descriptions", ())
    )


def _waived(
    raw: Iterable[lint_ahead.RawFinding], waivers: Mapping[str, str]
) -> tuple[Finding, ...]:
    found = [
        Finding(code, Severity(severity), message, path, waived_because=waivers.get(code))
        for code, severity, message, path in raw
    ]
    return tuple(sorted(found, key=lambda f: (f.severity, f.code)))


def _findings(results: Iterable[object], waivers: Mapping[str, str]) -> tuple[Finding, ...]:
    return _waived(_raw(results), waivers)


@_serialised
def lint_chain(
    issuer: x509.Certificate, subject: x509.Certificate, waivers: Mapping[str, str] | None = None
) -> LintReport:
    """pkilint's RFC 5280 issuer/subject chain checks (names, key identifiers, policies, signature)."""
    der = serialization.Encoding.DER
    raw = _run("chain", issuer.public_bytes(der), subject.public_bytes(der))
    return LintReport("pkilint RFC 5280 issuer/subject chain", _waived(raw, waivers or {}))


def chain_findings(issuer_der: bytes, subject_der: bytes) -> tuple[lint_ahead.RawFinding, ...]:
    from pkilint import loader

    load = loader.RFC5280CertificateDocumentLoader().load_der_document
    collection: dict[str, object] = {}
    issuer_doc = load(issuer_der, "issuer", "issuer", collection)
    collection["issuer"] = issuer_doc
    subject_doc = load(subject_der, "subject", "subject", collection)
    collection["subject"] = subject_doc
    decoders, issuer_checks, subject_checks = (
        _READY_CHAIN.pop() if _READY_CHAIN else _chain_validators()
    )
    return _raw(
        decoders.validate(issuer_doc.root)
        + decoders.validate(subject_doc.root)
        + issuer_checks.validate(issuer_doc.root)
        + subject_checks.validate(subject_doc.root)
    )


# Chain validators assembled ahead by prepare(); each set serves one chain lint only (pkilint's
# chain validators are built per pair by its own command line, so they are never reused).
_READY_CHAIN: list[tuple[Any, Any, Any]] = []


def _chain_validators() -> tuple[Any, Any, Any]:
    from pkilint.bin import lint_pkix_signer_signee_cert_chain as chain

    return (
        chain.create_decoder_validation_container(),
        chain.create_issuer_validation_container(),
        chain.create_subject_validation_container(),
    )


@_serialised
def lint_crl(
    crl: x509.CertificateRevocationList, arl: bool, waivers: Mapping[str, str] | None = None
) -> LintReport:
    """pkilint's RFC 5280 (PKIX) CRL profile; `arl` names a CRL of CA certificates only."""
    from pkilint import loader, pkix
    from pkilint.pkix import crl as pkix_crl
    from pkilint.pkix import extension, name

    validator = pkix_crl.create_pkix_crl_validator_container(
        [
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [
            pkix_crl.create_issuer_validator_container([]),
            pkix_crl.create_validity_validator_container([]),
            pkix_crl.create_extensions_validator_container([]),
        ],
    )
    document = loader.RFC5280CertificateListDocumentLoader().load_der_document(
        crl.public_bytes(serialization.Encoding.DER), "crl"
    )
    kind = "ARL" if arl else "CRL"
    return LintReport(
        f"pkilint RFC 5280 {kind} (PKIX)",
        _findings(validator.validate(document.root), waivers or {}),
    )


@_serialised
def lint_ocsp_response(der: bytes) -> LintReport:
    """pkilint's RFC 6960 OCSP response lints (with the PKIX name and extension decoders)."""
    from pkilint import loader

    document = loader.RFC6960OCSPResponseDocumentLoader().load_der_document(der, "response")
    return LintReport(
        "pkilint RFC 6960 OCSP response", _findings(_ocsp_validator().validate(document.root), {})
    )


@functools.cache
def _ocsp_validator() -> Any:
    from pkilint import pkix
    from pkilint.pkix import extension, name, ocsp

    return ocsp.create_pkix_ocsp_response_validator_container(
        [
            ocsp.create_response_decoder(),
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [],
    )


SERVERAUTH_KINDS = ("ov", "dv", "ocsp-responder")


@_serialised
def lint_serverauth(cert: x509.Certificate, kind: str) -> LintReport:
    """pkilint's CA/Browser Forum TLS Baseline Requirements lints for a subscriber certificate
    (`kind` ov or dv) or a delegated OCSP responder, with the PKIX findings they supersede
    filtered out, as pkilint's own command line does."""
    raw = _run("serverauth", cert.public_bytes(serialization.Encoding.DER), kind.encode())
    return LintReport(f"pkilint CA/B Forum TLS BR ({kind})", _waived(raw, {}))


def serverauth_findings(der: bytes, kind: bytes) -> tuple[lint_ahead.RawFinding, ...]:
    from pkilint import finding_filter, loader

    validator, filters = _serverauth(kind.decode())
    document = loader.RFC5280CertificateDocumentLoader().load_der_document(der, "certificate")
    results, _ = finding_filter.filter_results(filters, validator.validate(document.root))
    return _raw(results)


@functools.cache
def _serverauth(kind: str) -> tuple[Any, Any]:
    """The validator and finding filters of a certificate type, built once: pkilint assembles
    hundreds of validators, which takes far longer than running them."""
    from pkilint.cabf import serverauth
    from pkilint.cabf.serverauth import serverauth_constants
    from pkilint.pkix import certificate

    certificate_type = {
        "ov": serverauth_constants.CertificateType.OV_FINAL_CERTIFICATE,
        "dv": serverauth_constants.CertificateType.DV_FINAL_CERTIFICATE,
        "ocsp-responder": serverauth_constants.CertificateType.OCSP_RESPONDER,
    }[kind]
    validator = certificate.create_pkix_certificate_validator_container(
        serverauth.create_decoding_validators(), serverauth.create_validators(certificate_type)
    )
    return validator, serverauth.create_serverauth_finding_filters(certificate_type)


# The lints the lint helper runs, by name: each takes bytes and returns plain findings.
RAW_LINTS: lint_ahead.Lints = {
    "certificate": rfc5280_findings,
    "chain": chain_findings,
    "serverauth": serverauth_findings,
}
