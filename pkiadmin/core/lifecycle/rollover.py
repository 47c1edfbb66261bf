"""Rolling a root over to a new key: a new self-signed root, and the two link certificates that
let relying parties cross from one to the other while both are in use (the new root's name and
key signed by the old root's key; the old root's name and key signed by the new key). A leaf
under the new root then validates for a relying party that trusts only the old root (through the
new-signed-by-old link), and a leaf under the old root for one that trusts only the new root.

Root keys age out: Mozilla's root store policy 3.1 removes the websites trust bit 15 years after
the key was generated and accepts new roots whose key is at most 5 years old, so each root's key
age, and when to plan its rollover, is shown with the CRL calendar."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import intermediate as signing
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import passphrase
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace import audit, blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import lint, profile

if TYPE_CHECKING:
    from sqlite_utils import Database

TRUST_YEARS = 15  # Mozilla root store policy 3.1: websites trust bit removed after this
PLAN_AHEAD_YEARS = 3  # when to plan the rollover ceremony: before inclusion of the new root
_YEAR = timedelta(days=365.25)


@dataclass(frozen=True)
class RolledOver:
    old_ca_id: int
    new_ca_id: int
    new_root_id: int
    new_by_old_id: int  # the new root's name and key, signed by the old root
    old_by_new_id: int  # the old root's name and key, signed by the new root
    certificates: tuple[x509.Certificate, x509.Certificate, x509.Certificate]


def _link(
    subject_cert: x509.Certificate,
    issuer_cert: x509.Certificate,
    not_after: datetime,
    settings: dict[str, list[str]],
) -> x509.CertificateBuilder:
    """subject_cert's name, key and key identifier under issuer_cert."""
    public_key = subject_cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValidationError("The root's key type cannot be certified.")
    now = datetime.now(UTC).replace(microsecond=0)
    basic = subject_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    ski = subject_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        signing.builder_for(subject_cert.subject, issuer_cert, public_key, now, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=basic.path_length), critical=True)
        .add_extension(profile.CA_KEY_USAGE, critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(issuer_ski.digest, None, None), critical=False)
    )
    return signing.issuer_urls(builder, settings, [])


def _sign_link(
    ws: Workspace,
    builder: x509.CertificateBuilder,
    key: keys.PrivateKey,
    issuer_cert: x509.Certificate,
    path_length: int | None,
    what: str,
) -> x509.Certificate:
    signed = issuance.sign_linted(
        builder, FileSigner(key, what), issuer=issuer_cert, known_bad_lists=blocklists.installed(ws)
    )
    cert = signed.certificate
    chain = lint.lint_chain(issuer_cert, cert)
    if not chain.ok:
        raise CheckFailedError(
            f"pkilint's chain check failed for the {what} link, so nothing was stored: "
            + "; ".join(str(f) for f in chain.blocking)
        )
    problems = profile.check_ca_certificate(cert, path_length, root=False)
    if problems:
        raise CheckFailedError(
            f"The {what} link does not meet the CA profile: " + "; ".join(problems)
        )
    return cert


@dataclass(frozen=True)
class Signed:
    """The new root, its key and both links, signed and checked; nothing stored yet."""

    new_root: x509.Certificate
    new_by_old: x509.Certificate
    old_by_new: x509.Certificate
    new_key: keys.PrivateKey


def check_request(ws: Workspace, old: authorities.Authority, request: rootca.RootCaRequest) -> None:
    if old.kind != "root":
        raise ValidationError(f"'{old.name}' is not a root; only a root is rolled over.")
    old.require_issuing()
    old_cert = inventory.load_certificate(ws.db, old.cert_id)
    if request.validated_name() == old_cert.subject:
        raise ValidationError(
            "Give the new root a name of its own (e.g. the year in its common name): relying "
            "parties and the inventory tell the two roots apart by name."
        )


def sign_all(
    ws: Workspace,
    old: authorities.Authority,
    old_key: keys.PrivateKey,
    request: rootca.RootCaRequest,
    report: Callable[[str], None] = lambda _step: None,
) -> Signed:
    """Generate the new key, self-sign the new root, sign both links (old key and new key)."""
    check_request(ws, old, request)
    old_cert = inventory.load_certificate(ws.db, old.cert_id)
    name = request.validated_name()
    report(f"Generating the new root's {request.algorithm.label} key")
    new_key = keys.generate(request.algorithm)
    new_signer = FileSigner(new_key, "new root key")
    report("Linting, signing and checking the new root")
    new_root = issuance.sign_linted(
        rootca.root_builder(name, new_signer.public_key(), request),
        new_signer,
        known_bad_lists=blocklists.installed(ws),
    ).certificate
    rootca.post_sign_checks(new_root, new_signer.public_key(), name, request.path_length)
    report("Signing the link certificates")
    until = min(old_cert.not_valid_after_utc, new_root.not_valid_after_utc)
    new_by_old = _sign_link(
        ws,
        _link(new_root, old_cert, until, signing.ca_settings(ws.db, old.id)),
        old_key,
        old_cert,
        request.path_length,
        "new-root-by-old-root",
    )
    old_path = old_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    old_by_new = _sign_link(
        ws, _link(old_cert, new_root, until, {}), new_key, new_root, old_path.path_length,
        "old-root-by-new-root",
    )  # fmt: skip
    return Signed(new_root, new_by_old, old_by_new, new_key)


def rollover(
    ws: Workspace,
    old_ca_id: int,
    request: rootca.RootCaRequest,
    old_passphrase: str | None,
    new_passphrase: str,
    old_shares: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RolledOver:
    """Quick mode (unwitnessed, as `ca create-root`): the new root with its key encrypted under
    `new_passphrase`, and both link certificates, in one transaction; nothing is kept if any
    check fails."""
    report = progress or (lambda _step: None)
    old = authorities.get_authority(ws.db, old_ca_id)
    check_request(ws, old, request)
    passphrase.check_strength(new_passphrase)
    report("Unlocking the old root's key")
    old_key = signing.unlock_issuer_key(ws, old_ca_id, old_passphrase, old_shares)
    try:
        signed = sign_all(ws, old, old_key, request, report)
    finally:
        signing.release_key(old_key)
    report("Encrypting and storing the new key and the certificates")
    return store(ws, old, signed, new_passphrase, request)


def store(
    ws: Workspace,
    old: authorities.Authority,
    signed: Signed,
    new_passphrase: str,
    request: rootca.RootCaRequest,
    ceremony_id: int | None = None,
    key_protection: str = "passphrase",
) -> RolledOver:
    """The new root (its key encrypted with `new_passphrase`: a passphrase, or the one a quorum
    of custodian shares recombines, `key_protection`) and both links, in the caller's
    transaction or one of its own; audited."""
    new_root, new_by_old, old_by_new = signed.new_root, signed.new_by_old, signed.old_by_new
    key_pem = keys.encrypt_pkcs8(signed.new_key, new_passphrase)
    key_path = authorities.root_key_path(ws, new_root)

    def digest(cert: x509.Certificate) -> str:
        return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    with ws.db.atomic():
        atomicfile.write_new_file(key_path, key_pem, mode=0o600)
        try:
            root_id, new_ca_id = authorities.insert_root(
                ws.db,
                new_root,
                key_path.name,
                request.ski_method.value,
                key_protection=key_protection,
                ceremony_id=ceremony_id,
            )
            ws.db.execute("UPDATE certificates SET renews = ? WHERE id = ?", (old.cert_id, root_id))
            audit.append(
                ws.db,
                "ca.create-root",
                {
                    "ca_id": new_ca_id,
                    "cert_id": root_id,
                    "subject": new_root.subject.rfc4514_string(),
                },
                artefacts=(
                    audit.Artefact("certificate", digest(new_root)),
                    audit.Artefact(f"keys/{key_path.name}", hashlib.sha256(key_pem).hexdigest()),
                ),
                details={
                    "rollover_of": old.id,
                    "ceremony_id": ceremony_id,
                    "algorithm": request.algorithm.value,
                    "validity_days": request.validity_days,
                    "path_length": request.path_length,
                    "ski_method": request.ski_method.value,
                },
            )
            ids = []
            for cert, issuer_cert_id, issuer_ca_id in (
                (new_by_old, old.cert_id, old.id),
                (old_by_new, root_id, new_ca_id),
            ):
                cert_id = signing.insert_issued(ws, cert, issuer_cert_id, None)
                audit.append(
                    ws.db,
                    "ca.sign-link",
                    {
                        "issuer_ca_id": issuer_ca_id,
                        "cert_id": cert_id,
                        "subject": cert.subject.rfc4514_string(),
                        "rollover_of": old.id,
                    },
                    artefacts=(audit.Artefact("certificate", digest(cert)),),
                )
                ids.append(cert_id)
        except BaseException:
            atomicfile.remove_new_file(key_path)
            raise
    return RolledOver(
        old.id, new_ca_id, root_id, ids[0], ids[1], (new_root, new_by_old, old_by_new)
    )


@dataclass(frozen=True)
class KeyAge:
    ca_id: int
    name: str
    generated: datetime
    source: str  # where the date comes from
    trust_ends: datetime  # 15 years after the key's generation
    plan_by: datetime

    def describe(self, now: datetime) -> str:
        years = (now - self.generated) / _YEAR
        return (
            f"key generated {self.generated:%Y-%m-%d} ({self.source}; {years:.1f} years old); "
            f"websites trust ends {self.trust_ends:%Y-%m-%d} (Mozilla policy 3.1: 15 years); plan "
            f"the rollover ceremony by {self.plan_by:%Y-%m-%d}"
        )


def key_ages(db: Database) -> tuple[KeyAge, ...]:
    """Each root held here: when its key was generated (the key ceremony's date, else when it
    was created here, else its certificate's notBefore for an adopted root)."""
    found = []
    for a in authorities.list_authorities(db):
        if a.kind != "root":
            continue
        row = db.execute(
            "SELECT a.created_at, c.started_at, r.not_before, r.source FROM authorities a"
            " LEFT JOIN ceremonies c ON c.id = a.ceremony_id JOIN certificates r ON r.id = a.cert_id"
            " WHERE a.id = ?",
            (a.id,),
        ).fetchone()
        if row[1]:
            generated, source = datetime.fromisoformat(row[1]), "key ceremony"
        elif row[3] == "issued":
            generated, source = datetime.fromisoformat(row[0]), "created here"
        else:
            generated, source = datetime.fromisoformat(row[2]), "certificate notBefore"
        ends = generated + TRUST_YEARS * _YEAR
        found.append(KeyAge(a.id, a.name, generated, source, ends, ends - PLAN_AHEAD_YEARS * _YEAR))
    return tuple(found)
