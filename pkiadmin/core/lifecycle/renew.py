"""Renewing an intermediate CA with the same key (re-certification): its issuer signs a new
certificate with the same subject, key, key identifier and constraints and a new validity; the
CA goes on with its key, under the new certificate, which the inventory links to the one it
replaces. What the CA issued stays valid: its chains build through either certificate (same
subject and key identifier). Renewals become due when a third of the certificate's validity is
left (per CA: `renew_at` in its settings, a fraction)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID

from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import intermediate as signing
from pkiadmin.core.issuance.intermediate import Decision
from pkiadmin.core.lifecycle import ca_signing
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

DEFAULT_RENEW_AT = 1 / 3  # of the validity left when a renewal is due
# Set afresh on the new certificate (from the issuer and its current settings), not copied.
_REPLACED = {
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.CRL_DISTRIBUTION_POINTS,
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
}


@dataclass(frozen=True)
class RenewalPlan:
    ca_id: int
    issuer_ca_id: int
    old_cert_id: int
    path_length: int | None
    not_after: datetime
    decisions: tuple[Decision, ...]
    notes: tuple[str, ...]
    builder: x509.CertificateBuilder


@dataclass(frozen=True)
class Renewed:
    ca_id: int
    cert_id: int
    old_cert_id: int
    certificate: x509.Certificate


def plan(ws: Workspace, ca_id: int, validity_days: int) -> RenewalPlan:
    """The successor certificate of CA `ca_id`, same key; stores nothing."""
    authority = authorities.get_authority(ws.db, ca_id)
    if authority.kind == "root":
        raise ValidationError(
            f"'{authority.name}' is a root: a root is renewed by a rollover to a new key (a new "
            "root and the link certificates), not by re-signing it."
        )
    old = inventory.load_certificate(ws.db, authority.cert_id)
    record = inventory.get_record(ws.db, authority.cert_id)
    issuer = next(
        (a for a in authorities.list_authorities(ws.db) if a.cert_id == record.issuer_cert_id),
        None,
    )
    if issuer is None:
        raise ValidationError(
            f"The CA that signed '{authority.name}' is not held here. Make a CSR with its key "
            f"(ca make-csr {ca_id}) for its issuer to sign."
        )
    issuer.require_issuing()
    issuer_cert = inventory.load_certificate(ws.db, issuer.cert_id)
    if not 1 <= validity_days <= 30 * 366:
        raise ValidationError("Validity must be between 1 day and 30 years.")
    now = datetime.now(UTC).replace(microsecond=0)
    notes: list[str] = []
    decisions: list[Decision] = []
    signing.check_issuer_time(issuer.name, issuer_cert, now)
    not_after = signing.valid_until(now, validity_days, issuer_cert, notes)
    if not_after <= old.not_valid_after_utc:
        notes.append(
            f"The new certificate ends {not_after:%Y-%m-%d}, not after the current one "
            f"({old.not_valid_after_utc:%Y-%m-%d})."
        )
    public_key = old.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValidationError(f"'{authority.name}' has a key type pkiadmin cannot certify.")
    builder = signing.builder_for(old.subject, issuer_cert, public_key, now, not_after)
    for ext in old.extensions:
        if ext.oid in _REPLACED:
            continue
        builder = builder.add_extension(ext.value, ext.critical)
        decisions.append(Decision(_name(ext), "kept", "as in the certificate it replaces"))
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier(issuer_ski.digest, None, None), critical=False
    )
    builder = signing.issuer_urls(builder, signing.ca_settings(ws.db, issuer.id), decisions)
    try:
        path_length = old.extensions.get_extension_for_class(
            x509.BasicConstraints
        ).value.path_length
    except x509.ExtensionNotFound:
        raise ValidationError(f"'{authority.name}' has no basicConstraints: not a CA.") from None
    return RenewalPlan(
        ca_id, issuer.id, authority.cert_id, path_length, not_after, tuple(decisions),
        tuple(notes), builder,
    )  # fmt: skip


def _name(ext: x509.Extension[x509.ExtensionType]) -> str:
    return str(getattr(ext.oid, "_name", ext.oid.dotted_string))


def describe(ws: Workspace, found: RenewalPlan) -> str:
    authority = authorities.get_authority(ws.db, found.ca_id)
    issuer = authorities.get_authority(ws.db, found.issuer_ca_id)
    lines = [
        f"Renew '{authority.name}' with the same key, signed by '{issuer.name}'",
        f"  replaces certificate {found.old_cert_id}; new validity until "
        f"{found.not_after:%Y-%m-%d %H:%M} UTC",
    ]
    lines += [f"  {d.item}: {d.action} ({d.reason})" for d in found.decisions]
    lines += [f"  note: {n}" for n in found.notes]
    return "\n".join(lines)


def sign(
    ws: Workspace,
    found: RenewalPlan,
    issuer_passphrase: str | None = None,
    issuer_shares: Sequence[str] | None = None,
) -> Renewed:
    """Lint-then-sign with the issuer's key, check the chain and the profile, then store the new
    certificate and point the CA at it, in one audited transaction."""
    issuer = authorities.get_authority(ws.db, found.issuer_ca_id)
    signed, chain_lint = ca_signing.sign_ca_certificate(
        ws, found.issuer_ca_id, found.builder, found.path_length, "the renewed certificate",
        issuer_passphrase, issuer_shares,
    )  # fmt: skip
    cert = signed.certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    with ws.db.atomic():
        current = authorities.get_authority(ws.db, found.ca_id)
        if current.cert_id != found.old_cert_id:
            raise CheckFailedError(
                f"'{current.name}' was renewed meanwhile (it now has certificate "
                f"{current.cert_id}); this certificate was not stored."
            )
        cert_id = signing.insert_issued(ws, cert, issuer.cert_id, None)
        ws.db.execute(
            "UPDATE certificates SET renews = ? WHERE id = ?", (found.old_cert_id, cert_id)
        )
        ws.db.execute("UPDATE authorities SET cert_id = ? WHERE id = ?", (cert_id, found.ca_id))
        audit.append(
            ws.db,
            "ca.renew",
            {
                "ca_id": found.ca_id,
                "cert_id": cert_id,
                "renews": found.old_cert_id,
                "issuer_ca_id": issuer.id,
            },
            artefacts=(audit.Artefact("certificate", hashlib.sha256(der).hexdigest()),),
            details={
                "same_key": True,
                "decisions": [f"{d.item}: {d.action} ({d.reason})" for d in found.decisions],
                "notes": list(found.notes),
                "lint": [str(f) for r in (signed.lint_after, chain_lint) for f in r.findings],
            },
        )
    return Renewed(found.ca_id, cert_id, found.old_cert_id, cert)


@dataclass(frozen=True)
class RenewalDue:
    ca_id: int
    name: str
    not_before: datetime
    not_after: datetime
    due: datetime

    def describe(self, now: datetime) -> str:
        if now >= self.not_after:
            return f"{self.name}: its certificate has EXPIRED ({self.not_after:%Y-%m-%d})"
        state = "renewal due since" if now >= self.due else "renewal due"
        return f"{self.name}: {state} {self.due:%Y-%m-%d} (expires {self.not_after:%Y-%m-%d})"


def renewals(
    db: Database, now: datetime | None = None, include_later: bool = False
) -> tuple[RenewalDue, ...]:
    """Each intermediate CA held here whose renewal is due (a third of its validity left, or
    its `renew_at` fraction), soonest first; with `include_later`, every one."""
    now = now or datetime.now(UTC)
    found = []
    for authority in authorities.list_authorities(db):
        if authority.kind == "root":
            continue
        record = inventory.get_record(db, authority.cert_id)
        start, end = record.not_before, record.not_after
        fraction = _renew_at(db, authority.id)
        due = end - (end - start) * fraction
        if include_later or now >= due:
            found.append(RenewalDue(authority.id, authority.name, start, end, due))
    return tuple(sorted(found, key=lambda r: r.due))


def _renew_at(db: Database, ca_id: int) -> float:
    values = signing.ca_settings(db, ca_id).get("renew_at") or []
    try:
        fraction = float(values[0]) if values else DEFAULT_RENEW_AT
    except ValueError:
        return DEFAULT_RENEW_AT
    return fraction if 0 < fraction < 1 else DEFAULT_RENEW_AT
