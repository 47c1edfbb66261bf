"""Cross-certifying a partner's CA: our CA signs the partner's CA name and key, constrained to the
namespace we agreed to trust (RFC 5280 4.2.1.10 name constraints: DNS, IP ranges, e-mail and URI
hosts, permitted and excluded), so that our relying parties, trusting only our root, accept the
partner's certificates inside that namespace and nothing outside it. Only a partner CA certificate
trusted now (confirmed on a verification call of a verified partner) can be cross-certified: what
we sign is what the two officers read aloud."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiadmin.core.base.display import safe
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.exchange import trust_store
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import intermediate as signing
from pkiadmin.core.issuance.intermediate import Decision
from pkiadmin.core.lifecycle import ca_signing
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import profile

DEFAULT_DAYS = 3 * 365


def _dns(value: str) -> x509.GeneralName:
    return x509.DNSName(value.lower().lstrip("*"))


def _ip(value: str) -> x509.GeneralName:
    return x509.IPAddress(ipaddress.ip_network(value, strict=True))


_KINDS: dict[str, Callable[[str], x509.GeneralName]] = {
    "dns": _dns,
    "ip": _ip,
    "email": x509.RFC822Name,
    "uri": x509.UniformResourceIdentifier,
}


def subtree(text: str) -> x509.GeneralName:
    """'dns:example.com', 'ip:10.0.0.0/8', 'email:example.com', 'uri:.example.com'."""
    kind, _, value = text.partition(":")
    make = _KINDS.get(kind.strip().lower())
    if make is None or not value.strip():
        raise ValidationError(
            f"'{safe(text)}' is not a name constraint: write dns:NAME, ip:NETWORK/PREFIX, "
            "email:DOMAIN or uri:HOST."
        )
    try:
        return make(value.strip())
    except ValueError as exc:
        raise ValidationError(f"'{safe(text)}' is not a name constraint: {exc}.") from exc


@dataclass(frozen=True)
class CrossRequest:
    partner_cert_id: int
    permitted: tuple[str, ...]
    excluded: tuple[str, ...] = ()
    validity_days: int = DEFAULT_DAYS
    path_length: int | None = None  # default: the partner CA's own, or less if ours requires it
    policy_oids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrossPlan:
    issuer_ca_id: int
    partner: trust_store.PartnerCert
    path_length: int | None
    decisions: tuple[Decision, ...]
    notes: tuple[str, ...]
    builder: x509.CertificateBuilder


def _trusted(ws: Workspace, cert_id: int) -> trust_store.PartnerCert:
    for cert in trust_store.partner_certificates(ws.db):
        if cert.cert_id == cert_id:
            if not cert.trusted:
                raise ValidationError(
                    f"{safe(cert.subject)} from {safe(cert.partner)} is not trusted now: only a CA "
                    "certificate confirmed on a verification call of a verified partner can be "
                    "cross-certified."
                )
            return cert
    raise ValidationError(
        f"Certificate {cert_id} is not a partner CA certificate. Cross-certify a CA that came in "
        "a partner's trust package and was confirmed on a verification call (partner list)."
    )


def plan(ws: Workspace, issuer_ca_id: int, request: CrossRequest) -> CrossPlan:
    """The exact cross-certificate to be signed; stores nothing."""
    partner = _trusted(ws, request.partner_cert_id)
    issuer = authorities.get_authority(ws.db, issuer_ca_id)
    issuer.require_issuing()
    issuer_cert = inventory.load_certificate(ws.db, issuer.cert_id)
    theirs = inventory.load_certificate(ws.db, partner.cert_id)
    if not request.permitted:
        raise ValidationError(
            "Give the namespace to trust (--permitted dns:partner.example, ...): a cross-"
            "certificate without permitted names would trust everything the partner issues."
        )
    permitted = [subtree(t) for t in request.permitted]
    excluded = [subtree(t) for t in request.excluded]
    decisions = [Decision("nameConstraints", "added", "permitted " + ", ".join(request.permitted)
                          + ("; excluded " + ", ".join(request.excluded) if request.excluded else ""))]  # fmt: skip
    notes: list[str] = []
    ours = issuer_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    if ours.path_length == 0:
        raise ValidationError(
            f"'{issuer.name}' has path length 0: it cannot certify a CA. Cross-certify from the "
            "root or a policy CA."
        )
    try:
        their_bc = theirs.extensions.get_extension_for_class(x509.BasicConstraints).value
        their_path = their_bc.path_length
    except x509.ExtensionNotFound:
        their_path = None
    path_length = request.path_length if request.path_length is not None else their_path
    if ours.path_length is not None:
        allowed = ours.path_length - 1
        if path_length is None or path_length > allowed:
            if request.path_length is not None:
                raise ValidationError(
                    f"'{issuer.name}' has path length {ours.path_length}: a CA it certifies can "
                    f"have path length {allowed} at most."
                )
            notes.append(f"Path length {allowed}, the most '{issuer.name}' allows below it.")
            path_length = allowed
    public_key = theirs.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValidationError("The partner CA's key type cannot be certified.")
    now = datetime.now(UTC).replace(microsecond=0)
    if not 1 <= request.validity_days <= 30 * 366:
        raise ValidationError("Validity must be between 1 day and 30 years.")
    signing.check_issuer_time(issuer.name, issuer_cert, now)
    not_after = signing.valid_until(now, request.validity_days, issuer_cert, notes)
    if not_after > theirs.not_valid_after_utc:
        not_after = theirs.not_valid_after_utc
        notes.append(f"Validity ends with the partner CA's own, {not_after:%Y-%m-%d}.")
    try:
        their_ski = theirs.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        raise ValidationError(
            "The partner CA certificate has no subject key identifier; the certificates it "
            "issued could not be chained to a cross-certificate."
        ) from None
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        signing.builder_for(theirs.subject, issuer_cert, public_key, now, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(profile.CA_KEY_USAGE, critical=True)
        # The partner's own key identifier, so that what they issued (AKI) chains here.
        .add_extension(their_ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(issuer_ski.digest, None, None), critical=False)
        .add_extension(
            x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded or None),
            critical=True,  # RFC 5280 4.2.1.10
        )
    )
    if request.policy_oids:
        builder = builder.add_extension(
            x509.CertificatePolicies(
                [
                    x509.PolicyInformation(x509.ObjectIdentifier(o), None)
                    for o in request.policy_oids
                ]
            ),
            critical=False,
        )
        decisions.append(Decision("certificatePolicies", "added", ", ".join(request.policy_oids)))
    builder = signing.issuer_urls(builder, signing.ca_settings(ws.db, issuer_ca_id), decisions)
    return CrossPlan(issuer_ca_id, partner, path_length, tuple(decisions), tuple(notes), builder)


def describe(found: CrossPlan) -> str:
    lines = [
        f"Cross-certify {safe(found.partner.subject)} from {safe(found.partner.partner)}",
        f"  path length: {'none' if found.path_length is None else found.path_length}",
    ]
    lines += [f"  {d.item}: {d.action} ({d.reason})" for d in found.decisions]
    lines += [f"  note: {n}" for n in found.notes]
    return "\n".join(lines)


@dataclass(frozen=True)
class CrossCertificate:
    cert_id: int
    certificate: x509.Certificate
    audit_seq: int


def sign(
    ws: Workspace,
    found: CrossPlan,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
) -> CrossCertificate:
    """Lint-then-sign with our CA's key, check the chain, store and audit."""
    issuer = authorities.get_authority(ws.db, found.issuer_ca_id)
    signed, chain_lint = ca_signing.sign_ca_certificate(
        ws, found.issuer_ca_id, found.builder, found.path_length, "the cross-certificate",
        key_passphrase, share_words,
    )  # fmt: skip
    cert = signed.certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    with ws.db.atomic():
        cert_id = signing.insert_issued(ws, cert, issuer.cert_id, None)
        entry = audit.append(
            ws.db,
            "ca.cross-sign",
            {
                "issuer_ca_id": issuer.id,
                "cert_id": cert_id,
                "partner_cert_id": found.partner.cert_id,
                "partner": found.partner.partner,
                "subject": cert.subject.rfc4514_string(),
            },
            artefacts=(audit.Artefact("certificate", hashlib.sha256(der).hexdigest()),),
            details={
                "partner_sha256": found.partner.sha256,
                "decisions": [f"{d.item}: {d.action} ({d.reason})" for d in found.decisions],
                "notes": list(found.notes),
                "lint": [str(f) for r in (signed.lint_after, chain_lint) for f in r.findings],
            },
        )
    return CrossCertificate(cert_id, cert, entry.seq)
