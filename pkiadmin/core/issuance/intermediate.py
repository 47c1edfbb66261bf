"""Sign intermediate (policy or issuing) CA certificates from CSRs under a profile and name policy."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkiadmin.core.base import processes
from pkiadmin.core.base.errors import CheckFailedError, PkiError, ValidationError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace import audit, blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import lint, profile
from pkiadmin.core.x509.fields import CertFields
from pkiadmin.core.x509.keyid import SkiMethod, subject_key_identifier

DEFAULT_VALIDITY_DAYS = 3652  # 10 years
_ATTRS = {
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
}
_EKUS = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "emailProtection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "OCSPSigning": ExtendedKeyUsageOID.OCSP_SIGNING,
}


class CaProfile(enum.Enum):
    POLICY = "policy"  # signs issuing CAs: path length 1
    ISSUING = "issuing"  # signs end entities only: path length 0

    @property
    def path_length(self) -> int:
        return 1 if self is CaProfile.POLICY else 0


@dataclass(frozen=True)
class NamePolicy:
    """Like OpenSSL's policy_strict: which subject attributes must match the issuer, may be given, must be given."""

    match: tuple[str, ...] = ("C", "O")
    optional: tuple[str, ...] = ("OU", "ST", "L")
    supplied: tuple[str, ...] = ("CN",)


@dataclass(frozen=True)
class IntermediateRequest:
    profile: CaProfile = CaProfile.ISSUING
    validity_days: int = DEFAULT_VALIDITY_DAYS
    permitted_dns: tuple[str, ...] = ()
    excluded_dns: tuple[str, ...] = ()
    eku: tuple[str, ...] = ()
    policy_oids: tuple[str, ...] = ()
    cps_uri: str = ""
    name_policy: NamePolicy = field(default_factory=NamePolicy)


@dataclass(frozen=True)
class Decision:
    """What happened to one requested extension or subject attribute, shown to the operator."""

    item: str
    action: str  # accepted, replaced, refused, added, dropped
    reason: str


@dataclass(frozen=True)
class SigningPlan:
    issuer_ca_id: int
    subject: x509.Name
    not_before: datetime
    not_after: datetime
    path_length: int
    decisions: tuple[Decision, ...]
    notes: tuple[str, ...]
    builder: x509.CertificateBuilder


@dataclass(frozen=True)
class IssuedCa:
    cert_id: int
    certificate: x509.Certificate
    lint: tuple[lint.LintReport, ...]
    audit_seq: int


def ca_settings(db: Any, ca_id: int) -> dict[str, list[str]]:
    row = db.execute("SELECT settings FROM authorities WHERE id = ?", (ca_id,)).fetchone()
    return json.loads(row[0]) if row else {}


def set_ca_settings(ws: Workspace, ca_id: int, settings: Mapping[str, Sequence[str]]) -> None:
    authorities.get_authority(ws.db, ca_id)
    clean = {
        k: [str(u) for u in v]
        for k, v in settings.items()
        if k in {"crl_urls", "ca_issuers_urls", "ocsp_urls", "renew_at"}
    }
    renew_at = clean.pop("renew_at", [])
    for value in renew_at:
        try:
            fraction = float(value)
        except ValueError:
            fraction = -1.0
        if not 0 < fraction < 1:
            raise ValidationError(
                f"'{value}' is not a fraction between 0 and 1 (a renewal is due when this share "
                "of the certificate's validity is left; 0.33 by default)."
            )
    for urls in clean.values():
        for url in urls:
            if not url.startswith(("http://", "ldap://")):
                raise ValidationError(
                    f"'{url}' is not an http:// or ldap:// URL (relying parties fetch these without TLS)."
                )
    if renew_at:
        clean["renew_at"] = renew_at[:1]
    with ws.db.atomic():
        ws.db.execute(
            "UPDATE authorities SET settings = ? WHERE id = ?",
            (json.dumps(clean, sort_keys=True), ca_id),
        )
        audit.append(ws.db, "ca.settings", {"ca_id": ca_id}, details=clean)


def prepare(
    ws: Workspace,
    issuer_ca_id: int,
    csr: x509.CertificateSigningRequest,
    request: IntermediateRequest,
) -> SigningPlan:
    """Build the exact certificate to be signed, deciding on every requested attribute and extension."""
    issuer = authorities.get_authority(ws.db, issuer_ca_id)
    issuer.require_issuing()
    issuer_cert = inventory.load_certificate(ws.db, issuer.cert_id)
    decisions: list[Decision] = []
    notes: list[str] = []
    subject = subject_for(csr.subject, issuer_cert.subject, request.name_policy, decisions)
    issuer_bc = issuer_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    path_length = request.profile.path_length
    if issuer_bc.path_length == 0:
        raise ValidationError(
            f"'{issuer.name}' is an issuing CA (path length 0): it signs service certificates, "
            "not CAs. Sign this CA with the policy CA or the root above it; to sign a service "
            "certificate here, choose an end-entity profile (e.g. --profile tls-server)."
        )
    if issuer_bc.path_length is not None and path_length >= issuer_bc.path_length:
        article = "an" if request.profile.value[0] in "aeiou" else "a"
        raise ValidationError(
            f"'{issuer.name}' has path length {issuer_bc.path_length}, so it can only sign CAs with a path length "
            f"below it; {article} {request.profile.value} CA needs {path_length}. Sign it from a CA higher up, or choose an issuing CA."
        )
    for ext in csr.extensions:
        decisions.append(_decide(ext, path_length))
    now = datetime.now(UTC).replace(microsecond=0)
    if not 1 <= request.validity_days <= 30 * 366:
        raise ValidationError("Validity must be between 1 day and 30 years.")
    check_issuer_time(issuer.name, issuer_cert, now)
    not_after = valid_until(now, request.validity_days, issuer_cert, notes)
    public_key = csr.public_key()
    if not isinstance(public_key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise ValidationError("The CSR's key type cannot be certified.")
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        builder_for(subject, issuer_cert, public_key, now, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(profile.CA_KEY_USAGE, critical=True)
        .add_extension(
            subject_key_identifier(public_key, SkiMethod(issuer.ski_method)), critical=False
        )
        .add_extension(x509.AuthorityKeyIdentifier(issuer_ski.digest, None, None), critical=False)
    )
    builder = _optional_extensions(builder, request, ca_settings(ws.db, issuer_ca_id), decisions)
    return SigningPlan(
        issuer_ca_id, subject, now, not_after, path_length, tuple(decisions), tuple(notes), builder
    )


def valid_until(
    now: datetime, days: int, issuer_cert: x509.Certificate, notes: list[str]
) -> datetime:
    """`days` from now, clamped to the issuer's notAfter (said in `notes`)."""
    not_after = now + timedelta(days=days)
    if not_after > issuer_cert.not_valid_after_utc:
        not_after = issuer_cert.not_valid_after_utc
        notes.append(
            f"Validity clamped to the issuer's notAfter, {not_after:%Y-%m-%d %H:%M:%S} UTC."
        )
    return not_after


def builder_for(
    subject: x509.Name,
    issuer_cert: x509.Certificate,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    """The certificate's names, key, a fresh serial and its validity; the extensions follow."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(profile.new_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )


def check_issuer_time(name: str, issuer_cert: x509.Certificate, now: datetime) -> None:
    """An issuer signs only while it is valid, and nothing that would start before it."""
    if now < issuer_cert.not_valid_before_utc:
        raise ValidationError(
            f"The clock ({now:%Y-%m-%d %H:%M} UTC) is before '{name}' became valid "
            f"({issuer_cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC): the certificate would start "
            "before its issuer. Set the clock right; nothing was signed."
        )
    if now >= issuer_cert.not_valid_after_utc:
        raise ValidationError(
            f"'{name}' expired on {issuer_cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC (or the "
            "clock is wrong); an expired CA signs nothing. Nothing was signed."
        )


def subject_for(
    requested: x509.Name, issuer: x509.Name, policy: NamePolicy, decisions: list[Decision]
) -> x509.Name:
    attrs: list[x509.NameAttribute[str]] = []
    for key, oid in _ATTRS.items():
        values = [str(a.value) for a in requested.get_attributes_for_oid(oid)]
        issuer_values = [str(a.value) for a in issuer.get_attributes_for_oid(oid)]
        if key in policy.match and issuer_values:
            if values and values != issuer_values:
                raise ValidationError(
                    f"The CSR's {key} is '{values[0]}', but the name policy requires the issuer's '{issuer_values[0]}'."
                )
            attrs += [x509.NameAttribute(oid, v) for v in issuer_values]
            decisions.append(
                Decision(
                    f"subject {key}", "accepted" if values else "added", "must match the issuer"
                )
            )
        elif key in policy.supplied:
            if not values:
                raise ValidationError(f"The CSR has no {key}; the name policy requires one.")
            attrs += [x509.NameAttribute(oid, v) for v in values]
            decisions.append(Decision(f"subject {key}", "accepted", "supplied by the requester"))
        elif key in policy.optional and values:
            attrs += [x509.NameAttribute(oid, v) for v in values]
            decisions.append(Decision(f"subject {key}", "accepted", "optional"))
    known = set(_ATTRS.values())
    for attribute in requested:
        if attribute.oid not in known:
            decisions.append(
                Decision(
                    f"subject {attribute.oid._name}", "dropped", "not allowed by the name policy"
                )
            )
    return x509.Name(attrs)


def _decide(ext: x509.Extension[x509.ExtensionType], path_length: int) -> Decision:
    name = getattr(ext.oid, "_name", ext.oid.dotted_string)
    value = ext.value
    if isinstance(value, x509.BasicConstraints):
        if not value.ca:
            raise ValidationError(
                "The CSR asks for CA:FALSE; an intermediate CA certificate needs CA:TRUE."
            )
        if value.path_length is not None and value.path_length > path_length:
            raise ValidationError(
                f"The CSR asks for path length {value.path_length}; this profile allows at most {path_length}."
            )
        return Decision(name, "replaced", f"set by the profile: CA:TRUE, path length {path_length}")
    if isinstance(value, (x509.KeyUsage, x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier)):
        return Decision(name, "replaced", "set by the profile")
    if ext.critical:
        raise ValidationError(
            f"The CSR asks for the critical extension {name}, which this profile does not allow."
        )
    return Decision(
        name, "refused", "not part of the CA profile; requested extensions are never copied"
    )


def _optional_extensions(
    builder: x509.CertificateBuilder,
    request: IntermediateRequest,
    settings: Mapping[str, list[str]],
    decisions: list[Decision],
) -> x509.CertificateBuilder:
    if request.permitted_dns or request.excluded_dns:
        builder = builder.add_extension(
            x509.NameConstraints(
                permitted_subtrees=[x509.DNSName(d) for d in request.permitted_dns] or None,
                excluded_subtrees=[x509.DNSName(d) for d in request.excluded_dns] or None,
            ),
            critical=True,  # RFC 5280 4.2.1.10: conforming CAs MUST mark it critical
        )
        decisions.append(Decision("nameConstraints", "added", "from the signing request"))
    if request.eku:
        unknown = [e for e in request.eku if e not in _EKUS]
        if unknown:
            raise ValidationError(
                f"Unknown extended key usage {', '.join(unknown)}; use one of {', '.join(_EKUS)}."
            )
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([_EKUS[e] for e in request.eku]), critical=False
        )
        decisions.append(Decision("extendedKeyUsage", "added", "constrains what the CA may issue"))
    if request.policy_oids:
        qualifiers = [request.cps_uri] if request.cps_uri else None
        builder = builder.add_extension(
            x509.CertificatePolicies(
                [
                    x509.PolicyInformation(x509.ObjectIdentifier(oid), qualifiers)
                    for oid in request.policy_oids
                ]
            ),
            critical=False,
        )
        decisions.append(Decision("certificatePolicies", "added", "from the signing request"))
    return issuer_urls(builder, settings, decisions)


def issuer_urls(
    builder: x509.CertificateBuilder, settings: Mapping[str, list[str]], decisions: list[Decision]
) -> x509.CertificateBuilder:
    """The CRL distribution point and the AIA (CA issuers, OCSP) from the issuing CA's settings."""
    if settings.get("crl_urls"):
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(u) for u in settings["crl_urls"]],
                        None,
                        None,
                        None,
                    )
                ]
            ),
            critical=False,
        )
        decisions.append(
            Decision("cRLDistributionPoints", "added", "from the issuing CA's settings")
        )
    access = [
        x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(u)
        )
        for u in settings.get("ca_issuers_urls", [])
    ]
    access += [
        x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(u)
        )
        for u in settings.get("ocsp_urls", [])
    ]
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
        decisions.append(Decision("authorityInfoAccess", "added", "from the issuing CA's settings"))
    return builder


def unlock_issuer_key(
    ws: Workspace,
    issuer_ca_id: int,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
) -> keys.PrivateKey:
    """The issuer's key, unlocked and checked against its certificate (in memory, or on its token)."""
    return authorities.unlock_key(
        ws, authorities.get_authority(ws.db, issuer_ca_id), key_passphrase, share_words
    )


def release_key(key: keys.PrivateKey) -> None:
    """Done with a key: a token key's session is logged out (a file key is simply dropped)."""
    from pkiadmin.core.keys import pkcs11 as hsm

    hsm.release(key)


@dataclass(frozen=True)
class SignedIntermediate:
    certificate: x509.Certificate
    signed: issuance.SignedCertificate
    chain_lint: lint.LintReport

    @property
    def lint_reports(self) -> tuple[lint.LintReport, ...]:
        return (self.signed.lint_before, self.signed.lint_after, self.chain_lint)


def sign_certificate(
    ws: Workspace,
    plan: SigningPlan,
    key: keys.PrivateKey,
    waivers: Mapping[str, str] | None = None,
) -> SignedIntermediate:
    """Lint-then-sign with an unlocked issuer key, then check the chain and the profile; stores nothing."""
    issuer = authorities.get_authority(ws.db, plan.issuer_ca_id)
    issuer_cert = inventory.load_certificate(ws.db, issuer.cert_id)
    signed = issuance.sign_linted(
        plan.builder,
        FileSigner(key, f"key of {issuer.name}"),
        issuer=issuer_cert,
        waivers=waivers,
        known_bad_lists=blocklists.installed(ws),
    )
    cert = signed.certificate
    chain_lint = lint.lint_chain(issuer_cert, cert, waivers)
    if not chain_lint.ok:
        raise CheckFailedError(
            "pkilint's chain check failed, so nothing was stored: "
            + "; ".join(str(f) for f in chain_lint.blocking)
        )
    problems = profile.check_ca_certificate(cert, plan.path_length, root=False)
    if problems:
        raise CheckFailedError(
            "The signed certificate does not meet the CA profile: " + "; ".join(problems)
        )
    return SignedIntermediate(cert, signed, chain_lint)


def store_signed(
    ws: Workspace,
    plan: SigningPlan,
    result: SignedIntermediate,
    csr_id: int | None = None,
    mode: str = "quick",
    ceremony_id: int | None = None,
) -> tuple[int, int]:
    """The certificate row, the CSR's status and the audit entry, in the caller's transaction.

    Returns (certificate id, audit sequence number).
    """
    issuer = authorities.get_authority(ws.db, plan.issuer_ca_id)
    cert = result.certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    cert_id = insert_issued(ws, cert, issuer.cert_id, csr_id)
    objects: dict[str, Any] = {
        "issuer_ca_id": issuer.id,
        "cert_id": cert_id,
        "csr_id": csr_id,
        "subject": cert.subject.rfc4514_string(),
    }
    if ceremony_id is not None:
        objects["ceremony_id"] = ceremony_id
    entry = audit.append(
        ws.db,
        "ca.sign-intermediate",
        objects,
        artefacts=(audit.Artefact("certificate", hashlib.sha256(der).hexdigest()),),
        details={
            # Quick mode has no witnesses: allowed for test hierarchies, and said so here.
            "mode": mode,
            "witnessed": mode != "quick",
            "decisions": [f"{d.item}: {d.action} ({d.reason})" for d in plan.decisions],
            "notes": list(plan.notes),
            "lint": [
                str(f) for r in (result.signed.lint_after, result.chain_lint) for f in r.findings
            ],
        },
    )
    return cert_id, entry.seq


def insert_issued(
    ws: Workspace,
    cert: x509.Certificate,
    issuer_cert_id: int,
    csr_id: int | None,
    fields: CertFields | None = None,
) -> int:
    """In the caller's write transaction: the issued certificate's row, and its CSR marked signed.
    A CSR is signed at most once, even by two signings at once: if another signing stored one
    meanwhile, this raises and the transaction stores nothing."""
    return insert_issued_many(ws, [Issued(cert, issuer_cert_id, csr_id, fields)])[0]


@dataclass(frozen=True)
class Issued:
    """A certificate signed here, to be stored: its issuer's certificate, its CSR (if any) and
    its fields when they were read already (where it was signed)."""

    certificate: x509.Certificate
    issuer_cert_id: int
    csr_id: int | None
    fields: CertFields | None = None


def insert_issued_many(ws: Workspace, issued: Sequence[Issued]) -> list[int]:
    """insert_issued for several certificates, all or none, in one set of statements."""
    csr_ids = [i.csr_id for i in issued if i.csr_id is not None]
    for start in range(0, len(csr_ids), 500):
        chunk = csr_ids[start : start + 500]
        status = {
            r[0]: (r[1], r[2])
            for r in ws.db.execute(
                f"SELECT id, status, cert_id FROM csrs WHERE id IN ({', '.join('?' * len(chunk))})",  # noqa: S608 - placeholders only
                chunk,
            )
        }
        for csr_id in chunk:
            found = status.get(csr_id)
            if found is None or found[0] != "pending":
                raise CheckFailedError(
                    f"CSR {csr_id} was signed meanwhile (certificate "
                    f"{found[1] if found else '?'}), by another signing; this certificate was "
                    "not stored and is not valid anywhere."
                )
    try:
        cert_ids = inventory.insert_certificates(
            ws.db,
            [(i.certificate, i.issuer_cert_id, i.fields) for i in issued],
            certrecord.Source.ISSUED,
        )
    except sqlite3.IntegrityError as exc:
        if "serial_hex" not in str(exc):
            raise
        serials = ", ".join(f"{i.certificate.serial_number:X}" for i in issued)
        raise CheckFailedError(
            f"The new certificate's serial number {serials} is already used by a "
            "certificate of the same issuer (one it issued before, or one an adopted CA's "
            "index.txt lists), so it was not stored and is valid nowhere. Sign again: each "
            "signing draws a new serial."
        ) from exc
    ws.db.conn.executemany(
        "UPDATE csrs SET status = 'signed', cert_id = ?, signing = NULL"
        " WHERE id = ? AND status = 'pending'",
        [(c, i.csr_id) for c, i in zip(cert_ids, issued, strict=True) if i.csr_id is not None],
    )
    return cert_ids


def sign(
    ws: Workspace,
    plan: SigningPlan,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
    waivers: Mapping[str, str] | None = None,
    csr_id: int | None = None,
) -> IssuedCa:
    """Quick mode (no witnesses, for test hierarchies): reserve the CSR, unlock, lint-then-sign,
    store, audit."""
    result, cert_id, seq = with_issuer_key(
        ws,
        plan.issuer_ca_id,
        csr_id,
        key_passphrase,
        share_words,
        lambda key: sign_certificate(ws, plan, key, waivers),
        lambda signed: store_signed(ws, plan, signed, csr_id),
    )
    return IssuedCa(cert_id, result.certificate, result.lint_reports, seq)


S = TypeVar("S")


def with_issuer_key(
    ws: Workspace,
    issuer_ca_id: int,
    csr_id: int | None,
    key_passphrase: str | None,
    share_words: Sequence[str] | None,
    sign: Callable[[keys.PrivateKey], S],
    store: Callable[[S], tuple[int, int]],
) -> tuple[S, int, int]:
    """Reserve the CSR, unlock the issuer's key, sign (nothing is stored if that fails), release
    the key, then store in one transaction. The CSR is released again on any failure.

    Returns what `sign` made, and the certificate id and audit sequence number `store` gave."""
    if csr_id is not None:
        reserve_csr(ws, csr_id)
    try:
        key = unlock_issuer_key(ws, issuer_ca_id, key_passphrase, share_words)
        try:
            result = sign(key)
        finally:
            release_key(key)
        with ws.db.atomic():
            cert_id, seq = store(result)
    except BaseException:
        if csr_id is not None:
            release_csr(ws, csr_id)
        raise
    return result, cert_id, seq


def reserve_csr(ws: Workspace, csr_id: int) -> None:
    """Mark the CSR as being signed by this process, in a committed transaction, before anything
    is signed: a second signing of the same CSR (another process, another window) stops here. A
    reservation left by a process that no longer runs is taken over."""
    reserve_csrs(ws, [csr_id])


def reserve_csrs(ws: Workspace, csr_ids: Sequence[int]) -> None:
    """reserve_csr for several CSRs at once (a batch): all or none, with one audit entry."""
    note = {"pid": os.getpid(), "since": datetime.now(UTC).isoformat(timespec="seconds")}
    text = json.dumps(note)
    with ws.db.atomic():
        for csr_id in csr_ids:
            _check_reservable(ws, csr_id)
            ws.db.execute("UPDATE csrs SET signing = ? WHERE id = ?", (text, csr_id))
        objects: dict[str, Any] = (
            {"csr_id": csr_ids[0]} if len(csr_ids) == 1 else {"csr_ids": list(csr_ids)}
        )
        audit.append(ws.db, "csr.reserve", objects, details=note)


def _check_reservable(ws: Workspace, csr_id: int) -> None:
    row = ws.db.execute(
        "SELECT status, cert_id, signing FROM csrs WHERE id = ?", (csr_id,)
    ).fetchone()
    if row is None:
        raise ValidationError(f"There is no CSR with id {csr_id}.")
    if row[0] != "pending":
        raise ValidationError(f"CSR {csr_id} was already signed (certificate {row[1]}).")
    if row[2]:
        holder = json.loads(row[2])
        if int(holder.get("pid", 0)) != os.getpid() and processes.alive(int(holder.get("pid", 0))):
            raise ValidationError(
                f"CSR {csr_id} is being signed by process {holder.get('pid')} since "
                f"{holder.get('since')}; a CSR is signed once. Nothing was signed."
            )


def release_csr(ws: Workspace, csr_id: int) -> None:
    """Give up this process's reservation (the signing failed or was refused)."""
    with contextlib.suppress(PkiError, sqlite3.Error), ws.db.atomic():  # never mask the failure
        released = ws.db.execute(
            "UPDATE csrs SET signing = NULL WHERE id = ? AND json_extract(signing, '$.pid') = ?",
            (csr_id, os.getpid()),
        ).rowcount
        if released:
            audit.append(ws.db, "csr.release", {"csr_id": csr_id})


def preview(plan: SigningPlan) -> str:
    """The certificate about to be signed, field by field (from a throw-away-key copy of the same TBS)."""
    return describe_planned(plan.builder, plan.decisions, plan.notes)


def describe_planned(
    builder: x509.CertificateBuilder, decisions: Sequence[Decision], notes: Sequence[str]
) -> str:
    """A planned certificate field by field, with every decision and note: what a witness reads
    before anything is signed."""
    from pkiadmin.core.x509 import describe as certinfo

    issuer_key = ec.generate_private_key(ec.SECP256R1())
    details = certinfo.describe(
        builder.sign(issuer_key, keys.signature_hash(issuer_key.public_key()))
    )
    lines = [
        f"Subject:      {details.subject}",
        f"Issuer:       {details.issuer}",
        f"Serial:       {details.serial_hex}",
        f"Not before:   {details.not_before}",
        f"Not after:    {details.not_after}",
        f"Public key:   {details.public_key}",
        f"SPKI SHA-256: {details.spki_sha256_grouped}",
        "Extensions:",
    ]
    for ext in details.extensions:
        lines.append(f"    {ext.name}{' (critical)' if ext.critical else ''}:")
        lines += [f"        {line}" for line in ext.lines]
    lines += ["Decisions:"] + [f"    {d.item}: {d.action} ({d.reason})" for d in decisions]
    lines += [f"NOTE: {note}" for note in notes]
    return "\n".join(lines)
