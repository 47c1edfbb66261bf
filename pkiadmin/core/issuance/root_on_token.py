"""The simple (non-ceremony) path to a root CA whose key is generated on a PKCS#11 token."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import StorageError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.keys import pkcs11 as hsm
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace


@dataclass(frozen=True)
class TokenRootResult:
    ca_id: int
    record: certrecord.CertRecord
    key_uri: str
    token: hsm.TokenInfo
    key: hsm.TokenKey
    audit_seq: int


def destroy_generated(s: Any, label: str) -> None:
    """Remove a key pair generated moments ago, when what it was for could not be stored."""
    from pkcs11 import Attribute

    for obj in list(s.get_objects({Attribute.LABEL: label})):
        obj.destroy()


def create_root_on_token(
    ws: Workspace,
    request: rootca.RootCaRequest,
    ref: hsm.KeyRef,
    pin: str,
    progress: Callable[[str], None] | None = None,
) -> TokenRootResult:
    """Generate the key on the token, lint-then-sign the root with it, store the CA. The key pair
    is removed from the token again if anything after its generation fails."""
    report = progress or (lambda _step: None)
    name = request.validated_name()
    report("Opening the token")
    s = hsm.open_session(ref.module, ref.token, pin)
    info = hsm.token_of(s)
    report(f"Generating the {request.algorithm.label} key on the token")
    key, read_back = hsm.generate(s, ref.label, request.algorithm)
    try:
        signer = FileSigner(key, f"key '{ref.label}' on token '{ref.token}'")
        report("Linting, signing and checking the root certificate")
        cert = issuance.sign_linted(
            rootca.root_builder(name, signer.public_key(), request), signer
        ).certificate
        rootca.post_sign_checks(cert, signer.public_key(), name, request.path_length)
        with ws.db.atomic():
            cert_id, ca_id = authorities.insert_root(
                ws.db,
                cert,
                ref.uri(),
                request.ski_method.value,
                key_protection="pin",
                key_backend="pkcs11",
            )
            entry = audit.append(
                ws.db,
                "ca.create-root",
                {"ca_id": ca_id, "cert_id": cert_id, "subject": cert.subject.rfc4514_string()},
                artefacts=(
                    audit.Artefact(
                        "certificate",
                        hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
                    ),
                    audit.Artefact(f"{ref.uri()} (SPKI)", read_back.spki_sha256),
                ),
                details={
                    "algorithm": request.algorithm.value,
                    "validity_days": request.validity_days,
                    "backend": "pkcs11",
                    "token": {
                        "label": info.label,
                        "manufacturer": info.manufacturer,
                        "model": info.model,
                        "serial": info.serial,
                        "firmware": info.firmware,
                    },
                    "key_attributes": read_back.attributes,
                    "serial": inventory.serial_hex(cert.serial_number),
                },
            )
    except sqlite3.Error as exc:
        destroy_generated(s, ref.label)
        hsm.logout(ref.token)
        raise StorageError(
            f"Saving the new root CA failed ({exc}); the key was removed from the token again. "
            "Check free disk space and try again."
        ) from exc
    except BaseException:
        destroy_generated(s, ref.label)
        hsm.logout(ref.token)
        raise
    hsm.logout(ref.token)
    report("Done")
    return TokenRootResult(
        ca_id, inventory.get_record(ws.db, cert_id), ref.uri(), info, read_back, entry.seq
    )
