"""Certificate authorities whose keys this workspace holds."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiadmin.core.base.errors import (
    CheckFailedError,
    NotFoundError,
    PassphraseError,
    ValidationError,
)
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import audit, clock
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database


@dataclass(frozen=True)
class Authority:
    id: int
    cert_id: int
    name: str
    kind: str
    key_backend: str
    key_ref: str
    ski_method: str
    not_after: datetime
    key_protection: str  # 'passphrase', 'slip39', or 'pin' (a key on a PKCS#11 token)
    retired_at: datetime | None = None  # signs CRLs only from then on
    key_destroyed_at: datetime | None = None

    def require_issuing(self) -> None:
        """Refuse a new certificate from a retired CA (its CRLs go on)."""
        if self.retired_at is not None:
            raise ValidationError(
                f"'{self.name}' was retired on {self.retired_at:%Y-%m-%d}: it signs CRLs only, "
                "no new certificate. Sign with another CA."
            )

    @property
    def needs_shares(self) -> bool:
        return self.key_protection == "slip39"

    @property
    def on_token(self) -> bool:
        return self.key_backend == "pkcs11"


def key_path(ws: Workspace, public_key: keys.PublicKey, kind: str) -> Path:
    """keys/<kind>-<first 16 hex of the SPKI SHA-256>.key.pem: stable, never reused for another key."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ws.keys_dir / f"{kind}-{hashlib.sha256(spki).hexdigest()[:16]}.key.pem"


def root_key_path(ws: Workspace, cert: x509.Certificate) -> Path:
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValidationError("A CA's key is RSA or EC.")
    return key_path(ws, public_key, "root")


def insert_root(
    db: Database,
    cert: x509.Certificate,
    key_file: str,
    ski_method: str,
    key_protection: str = "passphrase",
    ceremony_id: int | None = None,
    key_backend: str = "file",
) -> tuple[int, int]:
    """The root's inventory row (its own issuer) and its authority row, in the caller's transaction.

    Returns (certificate id, CA id).
    """
    cert_id = inventory.insert_certificate(db, cert, certrecord.Source.ISSUED)
    db.execute("UPDATE certificates SET issuer_cert_id = ? WHERE id = ?", (cert_id, cert_id))
    cursor = db.execute(
        "INSERT INTO authorities (cert_id, name, kind, key_backend, key_ref, ski_method, created_at,"
        " key_protection, ceremony_id) VALUES (?, ?, 'root', ?, ?, ?, ?, ?, ?)",
        (
            cert_id,
            inventory.common_name(cert.subject),
            key_backend,
            key_file,
            ski_method,
            datetime.now(UTC).isoformat(),
            key_protection,
            ceremony_id,
        ),
    )
    return cert_id, int(cursor.lastrowid or 0)


def list_authorities(db: Database) -> tuple[Authority, ...]:
    rows = db.query(
        "SELECT a.id, a.cert_id, a.name, a.kind, a.key_backend, a.key_ref, a.ski_method, c.not_after,"
        " a.key_protection, a.retired_at, a.key_destroyed_at"
        " FROM authorities a JOIN certificates c ON c.id = a.cert_id ORDER BY a.id"
    )
    return tuple(
        Authority(
            id=int(r["id"]),
            cert_id=int(r["cert_id"]),
            name=str(r["name"]),
            kind=str(r["kind"]),
            key_backend=str(r["key_backend"]),
            key_ref=str(r["key_ref"]),
            ski_method=str(r["ski_method"]),
            not_after=datetime.fromisoformat(r["not_after"]),
            key_protection=str(r["key_protection"]),
            retired_at=datetime.fromisoformat(r["retired_at"]) if r["retired_at"] else None,
            key_destroyed_at=datetime.fromisoformat(r["key_destroyed_at"])
            if r["key_destroyed_at"]
            else None,
        )
        for r in rows
    )


def certificate_ids(db: Database, authority: Authority) -> list[int]:
    """The CA's certificate and those it replaced by same-key renewals (what it issued under
    each is its own): the chain of `renews` links back from its current certificate."""
    ids = [authority.cert_id]
    while True:
        row = db.execute("SELECT renews FROM certificates WHERE id = ?", (ids[-1],)).fetchone()
        if row is None or row[0] is None or int(row[0]) in ids:
            return ids
        ids.append(int(row[0]))


def link_certificates(db: Database) -> tuple[int, ...]:
    """The link certificates issued here: certificates of our roots' names and keys signed by
    another of our roots (what a rollover package carries with the new root)."""
    roots = [a for a in list_authorities(db) if a.kind == "root"]
    by_cert = {a.cert_id for a in roots}
    found = []
    for cert_id, issuer_id in db.execute(
        "SELECT c.id, c.issuer_cert_id FROM certificates c WHERE c.is_ca = 1 AND c.source = 'issued'"
        " AND c.issuer_cert_id IS NOT NULL AND c.issuer_cert_id <> c.id"
    ).fetchall():
        if int(issuer_id) not in by_cert or int(cert_id) in by_cert:
            continue
        record = inventory.get_record(db, int(cert_id))
        if any(
            inventory.get_record(db, r.cert_id).subject == record.subject
            and r.cert_id != int(issuer_id)
            for r in roots
        ):
            found.append(int(cert_id))
    return tuple(found)


@dataclass(frozen=True)
class KeyCheck:
    """The passphrase opened the CA's key file and the key matches the CA certificate."""

    ca_id: int
    name: str
    key_path: Path
    audit_seq: int


def get_authority(db: Database, ca_id: int) -> Authority:
    for authority in list_authorities(db):
        if authority.id == ca_id:
            return authority
    raise NotFoundError(f"There is no CA with id {ca_id}. List them with: pkiadmin-cli ca list")


def unlock_passphrase(
    authority: Authority, key_passphrase: str | None, share_words: Sequence[str] | None
) -> str:
    """The key passphrase: typed, or recombined from a quorum of custodian shares (ceremony CAs)."""
    if authority.needs_shares:
        if not share_words:
            raise PassphraseError(
                f"The key of '{authority.name}' is protected by custodian shares: a quorum of custodians must enter theirs."
            )
        from pkiadmin.core.keys import shares  # ceremony CAs only: most unlocks do without it

        return shares.passphrase_for(shares.combine(share_words))
    if key_passphrase is None:
        what = "the PIN of its token" if authority.on_token else "its passphrase"
        raise PassphraseError(f"The key of '{authority.name}' needs {what}.")
    return key_passphrase


def unlock_key(
    ws: Workspace,
    authority: Authority,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
) -> keys.PrivateKey:
    """The CA's key in memory (a file key), or a handle to it on its token; checked against the
    CA certificate either way. Nothing is audited here; callers audit what they do with it.
    Refused while the database differs from its audit log."""
    if authority.key_destroyed_at is not None:
        raise CheckFailedError(
            f"The key of '{authority.name}' was destroyed on {authority.key_destroyed_at:%Y-%m-%d}"
            " (its certificate of destruction is in its report); it signs nothing any more."
        )
    audit_replay.require_consistent(ws.db)
    clock.require_sane(ws.db)
    cert = inventory.load_certificate(ws.db, authority.cert_id)
    if authority.on_token:
        from pkiadmin.core.keys import pkcs11 as hsm

        ref = hsm.KeyRef.parse(authority.key_ref)
        pin = unlock_passphrase(authority, key_passphrase, None)
        return hsm.find(hsm.open_session(ref.module, ref.token, pin), ref.label, cert.public_key())
    key_path = ws.keys_dir / authority.key_ref
    if not key_path.is_file():
        raise NotFoundError(f"The key file {key_path} is missing. Restore it from the key backup.")
    try:
        key = keys.load_encrypted(
            key_path, unlock_passphrase(authority, key_passphrase, share_words)
        )
    except PassphraseError as exc:
        if authority.needs_shares and "passphrase is wrong" in str(exc):
            # SLIP-39 can combine wrong shares into a wrong secret without complaint.
            raise PassphraseError(
                "These shares do not unlock the key: they combine, but not to this CA's passphrase. "
                "Check that they come from this CA's ceremony."
            ) from None
        raise
    if key.public_key() != cert.public_key():
        raise CheckFailedError(
            f"The key in {key_path.name} does not belong to the certificate of CA '{authority.name}'. "
            "The key file may have been replaced; restore it from the key backup."
        )
    return key


def verify_key(
    ws: Workspace,
    ca_id: int,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
) -> KeyCheck:
    """Unlock the CA key with the passphrase and check it against the certificate; audited.

    Operators use this before a ceremony to confirm the passphrase and the backup copy of the
    key still work. The unlock is recorded because every use of a CA key is worth an entry.
    """
    authority = get_authority(ws.db, ca_id)
    key = unlock_key(ws, authority, key_passphrase, share_words)
    key_path = ws.keys_dir / authority.key_ref
    if authority.on_token:
        from pkiadmin.core.keys import pkcs11 as hsm

        hsm.release(key)
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        artefact = audit.Artefact(f"{authority.key_ref} (SPKI)", hashlib.sha256(spki).hexdigest())
    else:
        artefact = audit.Artefact(
            f"keys/{key_path.name}", hashlib.sha256(key_path.read_bytes()).hexdigest()
        )
    with ws.db.atomic():
        entry = audit.append(
            ws.db,
            "ca.verify-key",
            {"ca_id": ca_id, "cert_id": authority.cert_id},
            artefacts=(artefact,),
        )
    return KeyCheck(ca_id, authority.name, key_path, entry.seq)
