"""Retiring a CA and destroying its key.

A retired CA signs no new certificate; it goes on signing CRLs (BR 4.9.7) until every certificate
its key signed has expired or been revoked, which the calendar shows. Its key is then destroyed
with a certificate of destruction: a statement naming the CA, its certificate, its key, the
witnesses and the backup media to be destroyed by hand, signed by the key itself just before it
is destroyed (the last thing it signs, which proves the destroyed key was the CA's), and written
to the CA's retirement report. The key file is overwritten and removed; nothing of it is left in
the workspace. A key destroyed while certificates it signed are still valid needs a final CRL,
valid until the last of them expires."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import intermediate as signing
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.revocation import crl
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

STATEMENT = "certificate-of-destruction.txt"
SIGNATURE = "certificate-of-destruction.sig"
CA_CERT = "ca.pem"


def crl_until(db: Database, ca_id: int) -> datetime | None:
    """Until when the CA must publish CRLs: the latest notAfter among the certificates it signed
    that are not revoked (None when there is none)."""
    lineage = authorities.certificate_ids(db, authorities.get_authority(db, ca_id))
    marks = ",".join("?" * len(lineage))
    query = (
        f"SELECT MAX(c.not_after) FROM certificates c WHERE c.issuer_cert_id IN ({marks})"  # noqa: S608
        f" AND c.id NOT IN ({marks}) AND c.id NOT IN (SELECT cert_id FROM revocations)"
    )
    row = db.execute(query, (*lineage, *lineage)).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def retire(ws: Workspace, ca_id: int, reason: str) -> datetime | None:
    """Stop the CA issuing (audited); returns until when its CRLs must go on."""
    authority = authorities.get_authority(ws.db, ca_id)
    if authority.retired_at is not None:
        raise ValidationError(f"'{authority.name}' was retired on {authority.retired_at:%Y-%m-%d}.")
    if not reason.strip():
        raise ValidationError("Give the reason for retiring the CA (it goes into the audit log).")
    until = crl_until(ws.db, ca_id)
    now = datetime.now(UTC).replace(microsecond=0)
    with ws.db.atomic():
        ws.db.execute(
            "UPDATE authorities SET retired_at = ? WHERE id = ?", (now.isoformat(), ca_id)
        )
        audit.append(
            ws.db,
            "ca.retire",
            {"ca_id": ca_id, "cert_id": authority.cert_id},
            details={"reason": reason, "crls_until": until.isoformat() if until else None},
        )
    return until


@dataclass(frozen=True)
class Destruction:
    folder: Path
    statement: Path
    signature: Path
    final_crl_number: int | None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "ca"


def _statement(
    authority: authorities.Authority,
    cert: x509.Certificate,
    key_file_sha256: str,
    witnesses: Sequence[str],
    backups: Sequence[str],
    final_crl: int | None,
    now: datetime,
) -> bytes:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    lines = [
        "CERTIFICATE OF DESTRUCTION",
        "",
        f"CA:                    {authority.name} (CA {authority.id} of this workspace)",
        f"Subject:               {cert.subject.rfc4514_string()}",
        f"Certificate SHA-256:   {cert.fingerprint(hashes.SHA256()).hex()}",
        f"Public key SHA-256:    {hashlib.sha256(spki).hexdigest()}",
        f"Key file SHA-256:      {key_file_sha256} (keys/{authority.key_ref})",
        f"Destroyed at:          {now.isoformat()}",
        f"Final CRL:             {final_crl if final_crl is not None else 'none needed (nothing it signed is still valid)'}",
        "",
        "The key file in the workspace was overwritten and removed after this statement was",
        "signed with the key itself, the last signature it made. These backup media hold copies",
        "of the key and must be destroyed by hand, each before the witnesses:",
        *([f"  - {b}" for b in backups] or ["  (none listed)"]),
        "",
        "Witnesses:",
        *([f"  - {w}" for w in witnesses] or ["  (none listed)"]),
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def _sign(key: keys.PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def destroy_key(
    ws: Workspace,
    ca_id: int,
    key_passphrase: str | None,
    witnesses: Sequence[str],
    backups: Sequence[str] = (),
    share_words: Sequence[str] | None = None,
    final_crl: bool = False,
) -> Destruction:
    """Sign the certificate of destruction with the key, then overwrite and remove the key file
    (after the commit that records it; an interrupted shredding is finished when the workspace
    is next opened)."""
    authority = authorities.get_authority(ws.db, ca_id)
    if authority.retired_at is None:
        raise ValidationError(f"Retire '{authority.name}' first (ca retire {ca_id}).")
    if authority.on_token:
        raise ValidationError(
            f"The key of '{authority.name}' is on a token: destroy it there with the token's "
            "own tool in the ceremony; pkiadmin cannot yet record a token key's destruction."
        )
    if not witnesses:
        raise ValidationError("A key is destroyed before witnesses: name at least one.")
    until = crl_until(ws.db, ca_id)
    now = datetime.now(UTC).replace(microsecond=0)
    if until is not None and until > now and not final_crl:
        raise ValidationError(
            f"Certificates '{authority.name}' signed are valid until {until:%Y-%m-%d} and not all "
            "revoked: relying parties need its CRLs until then. Destroy the key with a final CRL "
            "valid until that date (--final-crl), or wait."
        )
    cert = inventory.load_certificate(ws.db, authority.cert_id)
    key_path = ws.keys_dir / authority.key_ref
    key_file = key_path.read_bytes()
    key = signing.unlock_issuer_key(ws, ca_id, key_passphrase, share_words)
    final_number = None
    try:
        if until is not None and until > now:
            draft = crl.prepare(ws, ca_id)
            draft = dataclasses.replace(
                draft,
                next_update=min(until, authority.not_after),
                notes=(*draft.notes, "The final CRL: the key is destroyed after it."),
            )
            signed = crl.sign(ws, draft, FileSigner(key, f"key of {authority.name}"))
            with ws.db.atomic():
                crl.store(ws, signed)
            final_number = signed.number
        statement = _statement(
            authority, cert, hashlib.sha256(key_file).hexdigest(), witnesses, backups,
            final_number, now,
        )  # fmt: skip
        signature = _sign(key, statement)
    finally:
        signing.release_key(key)
    verify_signature(cert, statement, signature)
    folder = ws.exports_dir / "retired" / f"{_slug(authority.name)}-{now:%Y%m%dT%H%M%SZ}"
    folder.mkdir(parents=True, exist_ok=False)
    files = {
        STATEMENT: statement,
        SIGNATURE: signature,
        CA_CERT: cert.public_bytes(serialization.Encoding.PEM),
    }
    for name, data in files.items():
        atomicfile.write_new_file(folder / name, data, mode=0o644)
    with ws.db.atomic():
        ws.db.execute(
            "UPDATE authorities SET key_destroyed_at = ? WHERE id = ?", (now.isoformat(), ca_id)
        )
        audit.append(
            ws.db,
            "ca.destroy-key",
            {"ca_id": ca_id, "cert_id": authority.cert_id},
            artefacts=tuple(
                audit.Artefact(str(folder / n), hashlib.sha256(d).hexdigest())
                for n, d in files.items()
            ),
            details={
                "key_file": authority.key_ref,
                "key_file_sha256": hashlib.sha256(key_file).hexdigest(),
                "witnesses": list(witnesses),
                "backups": list(backups),
                "final_crl": final_number,
            },
        )
    atomicfile.shred(key_path)
    return Destruction(folder, folder / STATEMENT, folder / SIGNATURE, final_number)


def verify_signature(cert: x509.Certificate, statement: bytes, signature: bytes) -> None:
    public = cert.public_key()
    problem = CheckFailedError(
        "The certificate of destruction's signature does not verify under the CA's key: it was "
        "altered, or the key was not the CA's."
    )
    if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise problem
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, statement, ec.ECDSA(hashes.SHA256()))
        else:
            public.verify(signature, statement, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise problem from exc


def verify(folder: Path, db: Database | None = None) -> str:
    """Check a retirement report: the statement's signature under the CA certificate in it, and
    (with the workspace) that certificate is the CA whose key the workspace recorded destroyed."""
    try:
        statement = (folder / STATEMENT).read_bytes()
        signature = (folder / SIGNATURE).read_bytes()
        cert = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
    except (OSError, ValueError) as exc:
        raise ValidationError(
            f"{folder} is not a complete retirement report ({STATEMENT}, {SIGNATURE}, {CA_CERT})."
        ) from exc
    verify_signature(cert, statement, signature)
    digest = cert.fingerprint(hashes.SHA256()).hex()
    if f"Certificate SHA-256:   {digest}".encode() not in statement:
        raise CheckFailedError("The statement names another certificate than the one beside it.")
    if db is not None:
        row = db.execute(
            "SELECT a.key_destroyed_at FROM authorities a JOIN certificates c ON c.id = a.cert_id"
            " WHERE c.sha256 = ?",
            (digest,),
        ).fetchone()
        if row is None or row[0] is None:
            raise CheckFailedError("The workspace records no destruction of this CA's key.")
    return f"The certificate of destruction of {cert.subject.rfc4514_string()} verifies."
