"""Export certificates as PEM or DER files: atomic, never overwriting, audited."""

from __future__ import annotations

import enum
import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import StorageError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace


class CertFormat(enum.Enum):
    PEM = "pem"
    DER = "der"
    P7B = "p7b"  # PKCS#7 certs-only bundle

    @classmethod
    def parse(cls, value: str) -> CertFormat:
        try:
            return cls(value.lower())
        except ValueError:
            raise ValidationError(f"Unknown format '{value}'. Choose pem, der or p7b.") from None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sha256: str


def default_file_name(record: inventory.CertRecord, fmt: CertFormat) -> str:
    """A stable, readable name: '<common-name>-<first 8 hex of the serial>.<pem|crt>'."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", record.common_name).strip("-").lower() or "certificate"
    suffix = fmt.value
    return f"{slug}-{record.serial_hex[:8].lower()}.{suffix}"


def export_certificate(
    ws: Workspace, cert_id: int, fmt: CertFormat, dest: Path | None = None, with_chain: bool = False
) -> ExportResult:
    """One certificate, or with the chain: the certificate and its issuers up to the root (leaf first)."""
    record = inventory.get_record(ws.db, cert_id)
    certs = (
        inventory.chain(ws.db, cert_id)
        if with_chain
        else (inventory.load_certificate(ws.db, cert_id),)
    )
    if fmt is CertFormat.P7B:
        data = pkcs7.serialize_certificates(list(certs), serialization.Encoding.DER)
    elif fmt is CertFormat.PEM:
        data = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    elif len(certs) > 1:
        raise ValidationError("DER holds one certificate; export a chain as pem or p7b.")
    else:
        data = certs[0].public_bytes(serialization.Encoding.DER)
    path = dest if dest is not None else ws.exports_dir / default_file_name(record, fmt)
    if path.is_dir():
        path = path / default_file_name(record, fmt)
    atomicfile.write_new_file(path, data, mode=0o644)
    digest = hashlib.sha256(data).hexdigest()
    try:
        with ws.db.atomic():
            audit.append(
                ws.db,
                "cert.export",
                {"cert_id": cert_id},
                artefacts=(audit.Artefact(str(path), digest),),
                details={"format": fmt.value, "chain": with_chain, "certificates": len(certs)},
            )
    except sqlite3.Error as exc:
        atomicfile.remove_new_file(path)
        raise StorageError(
            f"Recording the export in the audit log failed ({exc}); the file was removed."
        ) from exc
    return ExportResult(path, digest)
