"""Intermediate CAs whose key is generated and held here: create them, and export their key for the online CA."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12 as p12

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance.intermediate import (
    IntermediateRequest,
    IssuedCa,
    prepare,
    release_key,
    sign_certificate,
    store_signed,
    unlock_issuer_key,
)
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import passphrase
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.names import SubjectSpec


@dataclass(frozen=True)
class HeldIntermediate:
    ca_id: int
    issued: IssuedCa
    key_path: Path


def create_intermediate(
    ws: Workspace,
    issuer_ca_id: int,
    subject: SubjectSpec,
    request: IntermediateRequest,
    new_key_passphrase: str,
    algorithm: keys.KeyAlgorithm = keys.KeyAlgorithm.EC_P384,
    issuer_passphrase: str | None = None,
    issuer_shares: Sequence[str] | None = None,
) -> HeldIntermediate:
    """Key + CSR here: generate the intermediate's key on this workstation, sign it, keep it encrypted.

    The new CA is an authority of this workspace, so it can sign the next tier (root -> policy -> issuing).
    """
    passphrase.check_strength(new_key_passphrase)
    name = subject.to_name()
    key = keys.generate(algorithm)
    request_csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name)
        .sign(key, keys.signature_hash(key.public_key()))
    )
    plan = prepare(ws, issuer_ca_id, request_csr, request)
    key_pem = keys.encrypt_pkcs8(key, new_key_passphrase)
    key_path = authorities.key_path(ws, key.public_key(), "intermediate")
    issuer_key = unlock_issuer_key(ws, issuer_ca_id, issuer_passphrase, issuer_shares)
    try:
        result = sign_certificate(ws, plan, issuer_key)
    finally:
        release_key(issuer_key)
    # The certificate, the CA, its key file and the audit entries in one transaction (which holds
    # the workspace's write lock): a kill at any point leaves all of it or none of it, and a key
    # file that no CA names is a leftover that the next open quarantines (leftovers.py).
    with ws.db.atomic():
        atomicfile.write_new_file(key_path, key_pem, mode=0o600)
        try:
            cert_id, seq = store_signed(ws, plan, result)
            issuer = authorities.get_authority(ws.db, issuer_ca_id)
            cursor = ws.db.execute(
                "INSERT INTO authorities (cert_id, name, kind, key_backend, key_ref, ski_method, created_at)"
                " VALUES (?, ?, 'intermediate', 'file', ?, ?, ?)",
                (
                    cert_id,
                    inventory.common_name(name),
                    key_path.name,
                    issuer.ski_method,
                    datetime.now(UTC).isoformat(),
                ),
            )
            ca_id = int(cursor.lastrowid or 0)
            audit.append(
                ws.db,
                "ca.create-intermediate",
                {"ca_id": ca_id, "cert_id": cert_id, "issuer_ca_id": issuer_ca_id},
                (audit.Artefact(f"keys/{key_path.name}", hashlib.sha256(key_pem).hexdigest()),),
            )
        except BaseException:
            atomicfile.remove_new_file(key_path)
            raise
    issued = IssuedCa(cert_id, result.certificate, result.lint_reports, seq)
    return HeldIntermediate(ca_id, issued, key_path)


def export_key_bundle(
    ws: Workspace, ca_id: int, folder: Path, key_passphrase: str | None = None, pkcs12: bool = False
) -> tuple[Path, Path]:
    """For transport to the online CA: the encrypted key and its chain.

    PKCS#8: the CA's encrypted key file as it is, plus the chain as PEM. PKCS#12: key and chain in
    one file under the key's passphrase (PBES2, AES-256, PBKDF2 with as many rounds as the key file).
    """
    authority = authorities.get_authority(ws.db, ca_id)
    if authority.kind != "intermediate":
        raise ValidationError(
            "Only an intermediate CA's key is exported for the online side; a root key never leaves."
        )
    stem = re.sub(r"[^A-Za-z0-9]+", "-", authority.name).strip("-").lower() or "ca"
    certs = inventory.chain(ws.db, authority.cert_id)
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    key_file = (ws.keys_dir / authority.key_ref).read_bytes()
    if pkcs12:
        if key_passphrase is None:
            raise ValidationError("A PKCS#12 export needs the CA key's passphrase.")
        key = keys.decrypt_pkcs8(key_file, key_passphrase)
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(keys.KDF_ROUNDS)
            .key_cert_algorithm(p12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(key_passphrase.encode("utf-8"))
        )
        key_data = p12.serialize_key_and_certificates(
            authority.name.encode("utf-8"), key, certs[0], list(certs[1:]), encryption
        )
        key_target = folder / f"{stem}.p12"
    else:
        key_data = key_file
        key_target = folder / f"{stem}.key.pem"
    chain_target = folder / f"{stem}.chain.pem"
    atomicfile.write_new_file(key_target, key_data, mode=0o600)
    try:
        atomicfile.write_new_file(chain_target, chain_pem, mode=0o644)
        with ws.db.atomic():
            audit.append(
                ws.db,
                "ca.export-key",
                {"ca_id": ca_id},
                (
                    audit.Artefact(str(key_target), hashlib.sha256(key_data).hexdigest()),
                    audit.Artefact(str(chain_target), hashlib.sha256(chain_pem).hexdigest()),
                ),
                details={"format": "pkcs12" if pkcs12 else "pkcs8"},
            )
    except BaseException:
        atomicfile.remove_new_file(key_target)
        atomicfile.remove_new_file(chain_target)
        raise
    return key_target, chain_target
