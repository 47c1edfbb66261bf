"""A key generated here and its certificate issued at once, for rehearsals and small installations:
the key leaves as PKCS#12 (PBES2, AES-256) or as an encrypted PKCS#8 file with fullchain.pem,
under a password; it is never written unencrypted and not kept in the workspace."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, end_entity, intermediate
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import passphrase
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.cert_profiles import CertProfile


@dataclass(frozen=True)
class KeyBundle:
    cert_id: int
    certificate: x509.Certificate
    files: dict[Path, str]  # written file -> SHA-256


def issue(
    ws: Workspace,
    issuer_ca_id: int,
    cert_profile: CertProfile,
    common_name: str,
    sans: Sequence[x509.GeneralName],
    algorithm: keys.KeyAlgorithm,
    password: str,
    folder: Path,
    pkcs12_format: bool = True,
    validity_days: int | None = None,
    issuer_passphrase: str | None = None,
    issuer_shares: Sequence[str] | None = None,
) -> KeyBundle:
    """Generate the key, plan the certificate under the profile (as for a CSR), sign it, and
    write the key with its chain; the files appear only once the certificate is stored."""
    passphrase.check_strength(password)
    key = keys.generate(algorithm)
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    )
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    request = builder.sign(key, keys.signature_hash(key.public_key()))
    plan = end_entity.prepare(ws, issuer_ca_id, request, cert_profile, validity_days)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", common_name or "certificate").strip("-").lower()
    targets = (
        [folder / f"{stem}.p12"]
        if pkcs12_format
        else [folder / f"{stem}.key.pem", folder / f"{stem}.fullchain.pem"]
    )
    for target in targets:
        if target.exists():
            raise ValidationError(f"{target} already exists; pkiadmin never overwrites a file.")
    folder.mkdir(parents=True, exist_ok=True)
    staged = [t.with_name(f".{t.name}.partial") for t in targets]
    written: dict[Path, str] = {}

    def store(signed: end_entity.SignedEndEntity) -> tuple[int, int]:
        issuer = authorities.get_authority(ws.db, issuer_ca_id)
        issuers = inventory.chain(ws.db, issuer.cert_id)
        contents = _contents(key, signed.certificate, issuers, password, pkcs12_format, stem)
        for temp, data in zip(staged, contents, strict=True):
            temp.unlink(missing_ok=True)
            atomicfile.write_new_file(temp, data, mode=0o600)
        for target, data in zip(targets, contents, strict=True):
            written[target] = hashlib.sha256(data).hexdigest()
        cert_id, seq = end_entity.store_signed(ws, plan, signed, None)
        audit.append(
            ws.db,
            "cert.export-key",
            {"cert_id": cert_id},
            artefacts=tuple(audit.Artefact(str(t), d) for t, d in written.items()),
            details={"format": "pkcs12" if pkcs12_format else "pkcs8", "generated_here": True},
        )
        return cert_id, seq

    try:
        signed, cert_id, _seq = intermediate.with_issuer_key(
            ws,
            issuer_ca_id,
            None,
            issuer_passphrase,
            issuer_shares,
            lambda issuer_key: end_entity.sign_certificate(ws, plan, issuer_key),
            store,
        )
    except BaseException:
        for temp in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, target in zip(staged, targets, strict=True):
        temp.rename(target)
    return KeyBundle(cert_id, signed.certificate, written)


def _contents(
    key: keys.PrivateKey,
    cert: x509.Certificate,
    issuers: Sequence[x509.Certificate],
    password: str,
    pkcs12_format: bool,
    name: str,
) -> list[bytes]:
    # The issuers the service sends with its certificate: up to, not including, the root.
    sent = [c for c in issuers if c.issuer != c.subject]
    if pkcs12_format:
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(keys.KDF_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(password.encode("utf-8"))
        )
        return [pkcs12.serialize_key_and_certificates(name.encode(), key, cert, sent, encryption)]
    pem = serialization.Encoding.PEM
    return [
        keys.encrypt_pkcs8(key, password),
        cert.public_bytes(pem) + b"".join(c.public_bytes(pem) for c in sent),
    ]
