"""End-entity certificates from CSRs under a profile (TLS server, client, mutual TLS, OCSP
responder, code signing, or the operator's own): every requested name and extension is accepted,
replaced or refused with the reason, then lint-then-sign with the issuing CA's key."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, intermediate, profiles, requests
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.issuance.intermediate import Decision, NamePolicy
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import known_bad
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace import audit, blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import lint
from pkiadmin.core.x509.cert_profiles import EKUS, CertProfile
from pkiadmin.core.x509.fields import CertFields, NameCache, read_fields
from pkiadmin.core.x509.keyid import SkiMethod, subject_key_identifier
from pkiadmin.core.x509.lint import LintReport

# The subject of an end-entity certificate: the organisation's own C and O (as the issuer's),
# the rest as the requester gave it; the CN is optional when the names are SANs.
NAME_POLICY = NamePolicy(match=("C", "O"), optional=("OU", "ST", "L", "CN"), supplied=())
_CURVES = {"secp256r1": "ec-p256", "secp384r1": "ec-p384", "secp521r1": "ec-p521"}
# An absolute URI with an authority (RFC 3986 3: scheme "://" authority path-abempty, and the
# characters it allows), as SPIFFE IDs and service URIs are.
_RFC3986 = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~%!$&'()*+,;=:@-]+(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?"
)
# pkilint checks URIs as web URLs (the validators package) and reports other schemes, SPIFFE IDs
# among them, as invalid syntax; pkiadmin checks a non-web URI SAN against RFC 3986 itself.
_URI_WAIVER = {
    "pkix.invalid_uri_syntax": "a non-web URI SAN (e.g. spiffe://), checked against RFC 3986 by pkiadmin"
}


@dataclass(frozen=True)
class Issuer:
    """The issuing CA as read once for a plan (a batch reads it once for all its plans)."""

    authority: authorities.Authority
    certificate: x509.Certificate
    settings: Mapping[str, list[str]]  # CRL and AIA URLs
    known_bad_lists: tuple[known_bad.Blocklist, ...] = ()  # the workspace's, checked when read

    @classmethod
    def read(cls, ws: Workspace, ca_id: int) -> Issuer:
        authority = authorities.get_authority(ws.db, ca_id)
        authority.require_issuing()
        return cls(
            authority,
            inventory.load_certificate(ws.db, authority.cert_id),
            intermediate.ca_settings(ws.db, ca_id),
            blocklists.installed(ws),
        )


@dataclass(frozen=True)
class EndEntityPlan:
    issuer_ca_id: int
    profile: CertProfile
    subject: x509.Name
    sans: tuple[x509.GeneralName, ...]
    not_before: datetime
    not_after: datetime
    decisions: tuple[Decision, ...]
    notes: tuple[str, ...]
    builder: x509.CertificateBuilder
    issuer: Issuer
    renews: int | None = None  # the certificate this one succeeds


@dataclass(frozen=True)
class SignedEndEntity:
    certificate: x509.Certificate
    signed: issuance.SignedCertificate
    chain_lint: lint.LintReport
    cabf_lint: lint.LintReport | None  # the profile's CA/B Forum lints, when it has them
    fields: CertFields  # what the inventory stores of it, read where it was signed


@dataclass(frozen=True)
class IssuedCertificate:
    cert_id: int
    certificate: x509.Certificate
    lint: tuple[LintReport, ...]
    audit_seq: int
    cabf_lint: LintReport | None = None


def prepare(
    ws: Workspace,
    issuer_ca_id: int,
    csr: x509.CertificateSigningRequest,
    cert_profile: CertProfile,
    validity_days: int | None = None,
    renewing: tuple[int, x509.Certificate] | None = None,
    issuer_read: Issuer | None = None,
) -> EndEntityPlan:
    """The exact certificate to be signed, or a ValidationError naming what breaks the profile.

    `renewing` (id, certificate): a successor keeps that certificate's subject and SANs; the CSR
    brings only the (new) key."""
    known = issuer_read or Issuer.read(ws, issuer_ca_id)
    issuer, issuer_cert = known.authority, known.certificate
    check_issuer(issuer.name, issuer_cert)
    decisions: list[Decision] = []
    notes: list[str] = []
    public_key = _check_key(csr.public_key(), cert_profile)
    if renewing is None:
        subject = intermediate.subject_for(csr.subject, issuer_cert.subject, NAME_POLICY, decisions)
        requested = _requested_sans(csr)
    else:
        old_id, old = renewing
        subject, requested = old.subject, _certificate_sans(old)
        decisions.append(
            Decision("subject and SANs", "replaced", f"kept from certificate {old_id}, renewed")
        )
    for ext in csr.extensions:
        decision = _decide(ext, cert_profile)
        if decision is not None:
            decisions.append(decision)
    sans = _sans(subject, requested, cert_profile, decisions)
    renews = renewing[0] if renewing else None
    now = datetime.now(UTC).replace(microsecond=0)
    days = cert_profile.validity_days if validity_days is None else validity_days
    if not 1 <= days <= cert_profile.max_validity_days:
        raise ValidationError(
            f"{days} days is more than the profile '{cert_profile.name}' allows "
            f"(at most {cert_profile.max_validity_days}); nothing was signed."
            if days > 0
            else "The validity must be at least one day."
        )
    if cert_profile.compliance_max_days and days > cert_profile.compliance_max_days:
        notes.append(
            f"Compliance: {days} days is above {cert_profile.compliance_max_days}, the CA/Browser "
            "Forum's cap for publicly trusted TLS server certificates (from March 2026)."
        )
    intermediate.check_issuer_time(issuer.name, issuer_cert, now)
    not_after = intermediate.valid_until(now, days, issuer_cert, notes)
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        intermediate.builder_for(subject, issuer_cert, public_key, now, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(public_key, cert_profile), critical=True)
        .add_extension(x509.ExtendedKeyUsage([EKUS[e] for e in cert_profile.ekus]), critical=False)
        .add_extension(
            subject_key_identifier(public_key, SkiMethod(issuer.ski_method)), critical=False
        )
        .add_extension(x509.AuthorityKeyIdentifier(issuer_ski.digest, None, None), critical=False)
    )
    if sans:
        # RFC 5280 4.2.1.6: critical when the subject is empty.
        builder = builder.add_extension(
            x509.SubjectAlternativeName(list(sans)), critical=len(subject) == 0
        )
    if cert_profile.ocsp_nocheck:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
        decisions.append(Decision("ocspNoCheck", "added", "the profile's responder rule"))
    builder = intermediate.issuer_urls(builder, known.settings, decisions)
    return EndEntityPlan(
        issuer_ca_id,
        cert_profile,
        subject,
        sans,
        now,
        not_after,
        tuple(decisions),
        tuple(notes),
        builder,
        known,
        renews,
    )


def check_issuer(name: str, issuer_cert: x509.Certificate) -> None:
    """Only an issuing CA (path length 0, not a root) signs end-entity certificates."""
    bc = issuer_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    if issuer_cert.issuer == issuer_cert.subject:
        raise ValidationError(
            f"'{name}' is a root CA: a root signs CAs only. Sign end-entity certificates with an "
            "issuing CA (path length 0) below it."
        )
    if bc.path_length != 0:
        raise ValidationError(
            f"'{name}' is a policy CA (path length {bc.path_length}): it signs issuing CAs. "
            "End-entity certificates are signed by an issuing CA (path length 0)."
        )


def _check_key(
    key: object, cert_profile: CertProfile
) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    if isinstance(key, rsa.RSAPublicKey):
        if "rsa" not in cert_profile.key_algorithms:
            raise ValidationError(f"The profile '{cert_profile.name}' does not accept RSA keys.")
        if key.key_size < cert_profile.min_rsa_bits:
            raise ValidationError(
                f"The CSR's RSA key has {key.key_size} bits; the profile '{cert_profile.name}' "
                f"needs at least {cert_profile.min_rsa_bits}. Nothing was signed."
            )
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = _CURVES.get(key.curve.name)
        if algorithm not in cert_profile.key_algorithms:
            raise ValidationError(
                f"The CSR's EC key on {key.curve.name} is not one the profile '{cert_profile.name}' "
                f"accepts ({', '.join(cert_profile.key_algorithms)})."
            )
        return key
    raise ValidationError("The CSR's key type cannot be certified (RSA or EC only).")


def _key_usage(key: object, cert_profile: CertProfile) -> x509.KeyUsage:
    usages = set(
        cert_profile.key_usage_rsa
        if isinstance(key, rsa.RSAPublicKey)
        else cert_profile.key_usage_ec
    )
    return x509.KeyUsage(
        digital_signature="digitalSignature" in usages,
        content_commitment="contentCommitment" in usages,
        key_encipherment="keyEncipherment" in usages,
        data_encipherment=False,
        key_agreement="keyAgreement" in usages,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate_sans(cert: x509.Certificate) -> list[x509.GeneralName]:
    try:
        return list(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return []


def _requested_sans(csr: x509.CertificateSigningRequest) -> list[x509.GeneralName]:
    try:
        return list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return []


def _decide(ext: x509.Extension[x509.ExtensionType], cert_profile: CertProfile) -> Decision | None:
    name = getattr(ext.oid, "_name", ext.oid.dotted_string)
    value = ext.value
    if isinstance(value, x509.BasicConstraints):
        if value.ca:
            raise ValidationError(
                f"The CSR asks for CA:TRUE; the end-entity profile '{cert_profile.name}' issues "
                "no CA certificates. Sign it as a CA (--profile policy or issuing) from a CA above."
            )
        return Decision(name, "replaced", "set by the profile: CA:FALSE")
    if ext.oid == ExtensionOID.SUBJECT_ALTERNATIVE_NAME:
        return None  # each name is decided on its own
    if isinstance(
        value,
        (
            x509.KeyUsage,
            x509.ExtendedKeyUsage,
            x509.SubjectKeyIdentifier,
            x509.AuthorityKeyIdentifier,
        ),
    ):
        return Decision(name, "replaced", f"set by the profile '{cert_profile.name}'")
    if ext.critical:
        raise ValidationError(
            f"The CSR asks for the critical extension {name}, which the profile does not allow."
        )
    return Decision(
        name, "refused", "not part of the profile; requested extensions are never copied"
    )


def _sans(
    subject: x509.Name,
    requested: Sequence[x509.GeneralName],
    cert_profile: CertProfile,
    decisions: list[Decision],
) -> tuple[x509.GeneralName, ...]:
    accepted: list[x509.GeneralName] = []
    for san in requested:
        accepted.append(_check_san(san, cert_profile))
        decisions.append(Decision(f"SAN {_show(san)}", "accepted", "allowed by the profile"))
    cns = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if cert_profile.cn_in_san:
        for cn in cns:
            dns = [str(s.value).lower() for s in accepted if isinstance(s, x509.DNSName)]
            ips = [str(s.value) for s in accepted if isinstance(s, x509.IPAddress)]
            if cn.lower() in dns or cn in ips:
                continue
            as_name = _as_general_name(cn)
            accepted.append(_check_san(as_name, cert_profile, from_cn=True))
            decisions.append(
                Decision(f"SAN {_show(as_name)}", "added", "the CN must also be a SAN")
            )
    if cert_profile.require_san and not accepted:
        raise ValidationError(
            f"The CSR names no subject alternative name; the profile '{cert_profile.name}' needs "
            f"at least one ({', '.join(cert_profile.san_types)})."
        )
    if not accepted and not cns:
        raise ValidationError(
            "The CSR has neither a CN nor a SAN: the certificate would name no one."
        )
    return tuple(accepted)


def _as_general_name(cn: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(cn))
    except ValueError:
        return x509.DNSName(cn)


def _check_san(
    san: x509.GeneralName, cert_profile: CertProfile, from_cn: bool = False
) -> x509.GeneralName:
    kind = {
        x509.DNSName: "dns",
        x509.IPAddress: "ip",
        x509.UniformResourceIdentifier: "uri",
        x509.RFC822Name: "email",
    }.get(type(san))
    where = " (the CSR's CN)" if from_cn else ""
    if kind is None or kind not in cert_profile.san_types:
        raise ValidationError(
            f"The SAN {_show(san)}{where} is a name type the profile '{cert_profile.name}' does not "
            f"allow (it allows: {', '.join(cert_profile.san_types) or 'none'}). Nothing was signed."
        )
    if isinstance(san, x509.DNSName) and not _is_dns_name(str(san.value)):
        raise ValidationError(
            f"The SAN {_show(san)}{where} is not a DNS name (letters, digits and '-' in labels "
            "separated by dots). Name the service by its DNS name, or use a profile whose "
            "certificates need no CN in the SANs. Nothing was signed."
        )
    if isinstance(san, x509.DNSName) and not cert_profile.allows_dns(str(san.value).lower()):
        allowed = ", ".join(cert_profile.dns_suffixes) or "any name"
        raise ValidationError(
            f"The SAN {_show(san)}{where} is outside what the profile '{cert_profile.name}' allows "
            f"({allowed}{'' if cert_profile.wildcards else ', no wildcards'}). Nothing was signed."
        )
    if isinstance(san, x509.IPAddress):
        address = san.value
        if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
            raise ValidationError(f"The SAN {_show(san)} is a network, not an address.")
        if not cert_profile.allows_ip(address):
            raise ValidationError(
                f"The SAN {_show(san)}{where} is outside the profile's IP ranges "
                f"({', '.join(cert_profile.ip_ranges)}). Nothing was signed."
            )
    if isinstance(san, x509.UniformResourceIdentifier) and not _RFC3986.fullmatch(str(san.value)):
        raise ValidationError(f"The SAN {_show(san)} is not a URI (RFC 3986 syntax).")
    if isinstance(san, x509.UniformResourceIdentifier) and not cert_profile.allows_uri(
        str(san.value)
    ):
        raise ValidationError(
            f"The SAN {_show(san)} does not start with one of the profile's URI prefixes "
            f"({', '.join(cert_profile.uri_prefixes)}). Nothing was signed."
        )
    return san


_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _is_dns_name(name: str) -> bool:
    """A preferred-syntax DNS name (RFC 1034 3.5, RFC 5280 4.2.1.6) of at least two labels; a
    wildcard only as the whole first label."""
    labels = name.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    return len(name) <= 253 and len(labels) >= 2 and all(_LABEL.fullmatch(lbl) for lbl in labels)


def _non_web_uri(san: x509.GeneralName) -> bool:
    return isinstance(san, x509.UniformResourceIdentifier) and not str(
        san.value
    ).lower().startswith(("http://", "https://"))


def _show(san: x509.GeneralName) -> str:
    kind = {
        x509.DNSName: "DNS",
        x509.IPAddress: "IP",
        x509.UniformResourceIdentifier: "URI",
        x509.RFC822Name: "email",
    }.get(type(san), type(san).__name__)
    return f"{kind}:{san.value}"


def sign_certificate(
    ws: Workspace,
    plan: EndEntityPlan,
    key: keys.PrivateKey,
    names: NameCache | None = None,
    waivers: Mapping[str, str] | None = None,
) -> SignedEndEntity:
    """Lint-then-sign with the unlocked issuing CA key, then the chain and the profile; stores
    nothing. `names`: the issuer names already printed (a batch prints its CA's once);
    `waivers`: a ceremony plan's lint waivers, each with its reason."""
    issuer, issuer_cert = plan.issuer.authority, plan.issuer.certificate
    if any(_non_web_uri(s) for s in plan.sans):
        waivers = {**_URI_WAIVER, **(waivers or {})}
    signed = issuance.sign_linted(
        plan.builder,
        FileSigner(key, f"key of {issuer.name}"),
        issuer=issuer_cert,
        waivers=waivers,
        known_bad_lists=plan.issuer.known_bad_lists,
    )
    cert = signed.certificate
    chain_lint = lint.lint_chain(issuer_cert, cert, waivers)
    if not chain_lint.ok:
        raise CheckFailedError(
            "pkilint's chain check failed, so nothing was stored: "
            + "; ".join(str(f) for f in chain_lint.blocking)
        )
    problems = check_end_entity(cert, plan.profile)
    if problems:
        raise CheckFailedError(
            f"The signed certificate does not meet the profile '{plan.profile.name}': "
            + "; ".join(problems)
        )
    cabf = _cabf_lint(cert, plan)
    if cabf is not None and plan.profile.cabf_lints == "block" and not cabf.ok:
        raise CheckFailedError(
            f"The profile '{plan.profile.name}' requires the CA/B Forum lints to pass, and they "
            "found: " + "; ".join(str(f) for f in cabf.blocking) + ". Nothing was stored."
        )
    return SignedEndEntity(cert, signed, chain_lint, cabf, read_fields(cert, names))


def _cabf_lint(cert: x509.Certificate, plan: EndEntityPlan) -> lint.LintReport | None:
    if plan.profile.cabf_lints == "off":
        return None
    if "OCSPSigning" in plan.profile.ekus:
        return lint.lint_serverauth(cert, "ocsp-responder")
    has_org = bool(cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
    return lint.lint_serverauth(cert, "ov" if has_org else "dv")


def check_end_entity(cert: x509.Certificate, cert_profile: CertProfile) -> list[str]:
    """What is wrong with an issued certificate against its profile; [] when it conforms."""
    problems = []
    exts = cert.extensions
    bc = exts.get_extension_for_class(x509.BasicConstraints)
    if bc.value.ca or not bc.critical:
        problems.append("basicConstraints must be critical with CA:FALSE")
    eku = exts.get_extension_for_class(x509.ExtendedKeyUsage).value
    if list(eku) != [EKUS[e] for e in cert_profile.ekus]:
        problems.append("the extended key usages are not the profile's")
    if exts.get_extension_for_class(x509.KeyUsage).value.key_cert_sign:
        problems.append("an end-entity certificate must not have keyCertSign")
    if cert_profile.ocsp_nocheck and ExtensionOID.OCSP_NO_CHECK not in {e.oid for e in exts}:
        problems.append("the OCSP responder certificate lacks id-pkix-ocsp-nocheck")
    return problems


def store_signed(
    ws: Workspace,
    plan: EndEntityPlan,
    result: SignedEndEntity,
    csr_id: int | None,
    ceremony_id: int | None = None,
) -> tuple[int, int]:
    """The certificate row (with its profile), the CSR's status and the audit entry, in the
    caller's transaction; `ceremony_id` when witnessed in a key-use ceremony. Returns
    (certificate id, audit sequence number)."""
    return store_signed_many(ws, [(plan, result, csr_id)], ceremony_id)[0]


def store_signed_many(
    ws: Workspace,
    signed: Sequence[tuple[EndEntityPlan, SignedEndEntity, int | None]],
    ceremony_id: int | None = None,
) -> list[tuple[int, int]]:
    """store_signed for several certificates (a batch), all or none, in one set of statements:
    each certificate still its own row and its own audit entry. signed: (plan, result, CSR id)."""
    cert_ids = intermediate.insert_issued_many(
        ws,
        [
            intermediate.Issued(r.certificate, p.issuer.authority.cert_id, c, r.fields)
            for p, r, c in signed
        ],
    )
    ws.db.conn.executemany(
        "UPDATE certificates SET profile = ?, renews = ? WHERE id = ?",
        [
            (p.profile.name, p.renews, cert_id)
            for (p, _, _), cert_id in zip(signed, cert_ids, strict=True)
        ],
    )
    entries = audit.append_many(
        ws.db,
        [
            _audit_entry(p, r, c, cert_id, ceremony_id)
            for (p, r, c), cert_id in zip(signed, cert_ids, strict=True)
        ],
    )
    return [(cert_id, e.seq) for cert_id, e in zip(cert_ids, entries, strict=True)]


def _audit_entry(
    plan: EndEntityPlan,
    result: SignedEndEntity,
    csr_id: int | None,
    cert_id: int,
    ceremony_id: int | None,
) -> audit.NewEntry:
    objects: dict[str, Any] = {
        "issuer_ca_id": plan.issuer.authority.id,
        "cert_id": cert_id,
        "csr_id": csr_id,
        "subject": result.fields.subject,  # as the inventory prints it
        "profile": plan.profile.name,
    }
    if plan.renews is not None:
        objects["renews"] = plan.renews
    if ceremony_id is not None:
        objects["ceremony_id"] = ceremony_id
    return audit.NewEntry(
        "ca.sign-end-entity",
        objects,
        artefacts=(audit.Artefact("certificate", result.fields.sha256),),
        details={
            # Quick mode has no witnesses; a ceremony's entry names it (objects.ceremony_id).
            "mode": "quick" if ceremony_id is None else "ceremony",
            "witnessed": ceremony_id is not None,
            "profile_sha256": plan.profile.sha256,
            "decisions": [f"{d.item}: {d.action} ({d.reason})" for d in plan.decisions],
            "notes": list(plan.notes),
            "lint": [
                str(f) for r in (result.signed.lint_after, result.chain_lint) for f in r.findings
            ],
            "cabf_lint": [str(f) for f in result.cabf_lint.findings] if result.cabf_lint else None,
        },
    )


def sign(
    ws: Workspace,
    plan: EndEntityPlan,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
    csr_id: int | None = None,
) -> IssuedCertificate:
    """Reserve the CSR, unlock the issuing CA's key, lint-then-sign, store, audit."""
    result, cert_id, seq = intermediate.with_issuer_key(
        ws,
        plan.issuer_ca_id,
        csr_id,
        key_passphrase,
        share_words,
        lambda key: sign_certificate(ws, plan, key),
        lambda signed: store_signed(ws, plan, signed, csr_id),
    )
    reports = (result.signed.lint_before, result.signed.lint_after, result.chain_lint)
    return IssuedCertificate(cert_id, result.certificate, reports, seq, result.cabf_lint)


def renewal(ws: Workspace, cert_id: int) -> tuple[int, CertProfile, x509.Certificate]:
    """(issuing CA id, profile, certificate) of an issued end-entity certificate to renew."""
    row = ws.db.execute(
        "SELECT profile, issuer_cert_id FROM certificates WHERE id = ?", (cert_id,)
    ).fetchone()
    if row is None:
        raise ValidationError(f"There is no certificate {cert_id}.")
    if row[0] is None:
        raise ValidationError(
            f"Certificate {cert_id} was not issued here under an end-entity profile; sign a new "
            "CSR with ca sign-csr --profile instead."
        )
    issuer = next((a for a in authorities.list_authorities(ws.db) if a.cert_id == row[1]), None)
    if issuer is None:
        raise ValidationError(f"The CA that issued certificate {cert_id} is not held here.")
    return issuer.id, profiles.get(ws.db, str(row[0])), inventory.load_certificate(ws.db, cert_id)


def plan_renewal(
    ws: Workspace, cert_id: int, csr_data: bytes, source: str, validity_days: int | None = None
) -> EndEntityPlan:
    """The successor of certificate `cert_id` from the CSR in `csr_data` (its new key): the same
    subject, SANs, profile and issuing CA; stores nothing."""
    issuer_id, cert_profile, old = renewal(ws, cert_id)
    request, _info = requests.acceptable(csr_data, source, blocklists.installed(ws))
    return prepare(ws, issuer_id, request, cert_profile, validity_days, renewing=(cert_id, old))


def sign_renewal(
    ws: Workspace,
    plan: EndEntityPlan,
    csr_data: bytes,
    source: str,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
) -> IssuedCertificate:
    """Import the successor's CSR (audited) and sign the planned successor, linked to the
    certificate it renews."""
    record, _ = requests.import_csr(ws, csr_data, source)
    return sign(ws, plan, key_passphrase, share_words, csr_id=record.id)


def preview(plan: EndEntityPlan) -> str:
    """What will be signed, every decision with its reason, for the operator to confirm."""
    lines = [
        f"Profile:    {plan.profile.describe()}",
        f"Subject:    {plan.subject.rfc4514_string() or '(empty; the names are SANs)'}",
        f"SANs:       {', '.join(_show(s) for s in plan.sans) or '-'}",
        f"Validity:   {plan.not_before:%Y-%m-%d %H:%M} to {plan.not_after:%Y-%m-%d %H:%M} UTC",
        "Decisions:",
        *(f"  {d.item}: {d.action} ({d.reason})" for d in plan.decisions),
    ]
    lines += [f"Note: {n}" for n in plan.notes]
    return "\n".join(lines)


def requested_profile(profiles: Mapping[str, CertProfile], name: str) -> CertProfile | None:
    """The end-entity profile of that name, or None for the CA profiles (policy, issuing)."""
    return None if name in {p.value for p in intermediate.CaProfile} else profiles.get(name)
