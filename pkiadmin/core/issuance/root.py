"""Create a self-signed root CA: validate, generate the key, sign, check, and persist atomically."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import CheckFailedError, StorageError, ValidationError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import passphrase
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import profile
from pkiadmin.core.x509.keyid import SkiMethod, subject_key_identifier
from pkiadmin.core.x509.names import SubjectSpec

DEFAULT_VALIDITY_DAYS = 7305  # 20 years
MAX_VALIDITY_DAYS = 50 * 366
MAX_PATH_LENGTH = 10


@dataclass(frozen=True)
class RootCaRequest:
    """What the operator chose for a new root CA."""

    subject: SubjectSpec
    algorithm: keys.KeyAlgorithm = keys.KeyAlgorithm.EC_P384
    validity_days: int = DEFAULT_VALIDITY_DAYS
    path_length: int | None = None
    ski_method: SkiMethod = SkiMethod.RFC7093

    def validated_name(self) -> x509.Name:
        """Every input check, before any key is generated."""
        name = self.subject.to_name()
        if not 1 <= self.validity_days <= MAX_VALIDITY_DAYS:
            raise ValidationError(
                f"Validity must be between 1 and {MAX_VALIDITY_DAYS} days (50 years), not {self.validity_days}."
            )
        if self.path_length is not None and not 0 <= self.path_length <= MAX_PATH_LENGTH:
            raise ValidationError(
                f"Path length must be between 0 and {MAX_PATH_LENGTH}, or none for unlimited."
            )
        return name


@dataclass(frozen=True)
class RootCaResult:
    ca_id: int
    record: certrecord.CertRecord
    key_path: Path
    audit_seq: int


def create_root_ca(
    ws: Workspace,
    request: RootCaRequest,
    key_passphrase: str,
    progress: Callable[[str], None] | None = None,
) -> RootCaResult:
    """The simple (non-ceremony) path to a root CA. Nothing is kept if any step fails."""
    report = progress or (lambda _step: None)
    report("Checking the request")
    name = request.validated_name()
    passphrase.check_strength(key_passphrase)

    report(f"Generating the {request.algorithm.label} key")
    key = keys.generate(request.algorithm)
    signer = FileSigner(key, "encrypted key file")

    report("Linting, signing and checking the root certificate")
    builder = root_builder(name, signer.public_key(), request)
    cert = issuance.sign_linted(builder, signer).certificate
    post_sign_checks(cert, signer.public_key(), name, request.path_length)

    report("Encrypting and storing the key")
    key_pem = keys.encrypt_pkcs8(key, key_passphrase)
    key_path = authorities.root_key_path(ws, cert)
    written = False
    try:
        # The key file is written inside the transaction (which holds the workspace's write lock),
        # so a file that no CA names is always a leftover of a write that did not commit.
        with ws.db.atomic():
            atomicfile.write_new_file(key_path, key_pem, mode=0o600)
            written = True
            cert_id, ca_id = authorities.insert_root(
                ws.db, cert, key_path.name, request.ski_method.value
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
                    audit.Artefact(f"keys/{key_path.name}", hashlib.sha256(key_pem).hexdigest()),
                ),
                details={
                    "algorithm": request.algorithm.value,
                    "validity_days": request.validity_days,
                    "path_length": request.path_length,
                    "ski_method": request.ski_method.value,
                    "serial": inventory.serial_hex(cert.serial_number),
                },
            )
    except sqlite3.Error as exc:
        if written:
            atomicfile.remove_new_file(key_path)
        raise StorageError(
            f"Saving the new root CA to the workspace database failed ({exc}). Nothing was kept; "
            "check free disk space and try again."
        ) from exc
    except BaseException:
        if written:
            atomicfile.remove_new_file(key_path)
        raise
    report("Done")
    return RootCaResult(ca_id, inventory.get_record(ws.db, cert_id), key_path, entry.seq)


def root_builder(
    name: x509.Name, public_key: keys.PublicKey, request: RootCaRequest
) -> x509.CertificateBuilder:
    not_before = datetime.now(UTC).replace(microsecond=0)
    ski = subject_key_identifier(public_key, request.ski_method)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(profile.new_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=request.validity_days))
        # Critical: relying parties must refuse to treat it as a CA if they cannot parse this.
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=request.path_length), critical=True
        )
        # Critical and limited to certificate and CRL signing: a root signs nothing else.
        .add_extension(profile.CA_KEY_USAGE, critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
    )


def post_sign_checks(
    cert: x509.Certificate, public_key: keys.PublicKey, name: x509.Name, path_length: int | None
) -> None:
    """Checks beyond the signature (done by issuance.sign_linted): key, names, CA profile."""
    if cert.public_key() != public_key:
        raise CheckFailedError(
            "The signed certificate does not carry the generated key; nothing was stored."
        )
    if cert.subject != name or cert.issuer != name:
        raise CheckFailedError(
            "The signed certificate's subject or issuer differs from the request; nothing was stored."
        )
    problems = profile.check_ca_certificate(cert, path_length)
    if problems:
        raise CheckFailedError(
            "The signed root does not meet the CA profile: " + "; ".join(problems)
        )
