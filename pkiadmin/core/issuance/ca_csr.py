"""A CSR for one of our CAs, signed by its key (file or token): for a cross-signature by another
organisation's root, or to have the CA re-certified."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import CheckFailedError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, intermediate
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import csr


@dataclass(frozen=True)
class CaCsr:
    path: Path
    sha256: str
    request: x509.CertificateSigningRequest


def make_csr(
    ws: Workspace,
    ca_id: int,
    out: Path,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
) -> CaCsr:
    """The CA's subject and public key, signed by its key; checked, written (never over a file), audited."""
    authority = authorities.get_authority(ws.db, ca_id)
    cert = inventory.load_certificate(ws.db, authority.cert_id)
    key = intermediate.unlock_issuer_key(ws, ca_id, key_passphrase, share_words)
    try:
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(cert.subject)
            .sign(key, keys.signature_hash(key.public_key()))
        )
    finally:
        intermediate.release_key(key)
    if not request.is_signature_valid or request.public_key() != cert.public_key():
        raise CheckFailedError(
            "The new CSR does not verify against the CA's key; it was not written."
        )
    blocking = [f.message for f in csr.check(request).findings if f.blocking]
    if blocking:
        raise CheckFailedError("The new CSR fails pkiadmin's own checks: " + " ".join(blocking))
    data = request.public_bytes(serialization.Encoding.PEM)
    atomicfile.write_new_file(out, data, mode=0o644)
    digest = hashlib.sha256(request.public_bytes(serialization.Encoding.DER)).hexdigest()
    try:
        with ws.db.atomic():
            audit.append(
                ws.db,
                "ca.make-csr",
                {"ca_id": ca_id, "subject": cert.subject.rfc4514_string()},
                artefacts=(audit.Artefact(str(out), digest),),
                details={"backend": authority.key_backend},
            )
    except Exception:
        atomicfile.remove_new_file(out)
        raise
    return CaCsr(out, digest, request)
