"""Export certificates as PEM or DER files: atomic, never overwriting, audited."""

from __future__ import annotations

import enum
import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pkiadmin.core import atomicfile, audit, inventory
from pkiadmin.core.errors import StorageError, ValidationError
from pkiadmin.core.workspace import Workspace


class CertFormat(enum.Enum):
    PEM = "pem"
    DER = "der"

    @classmethod
    def parse(cls, value: str) -> CertFormat:
        try:
            return cls(value.lower())
        except ValueError:
            raise ValidationError(f"Unknown format '{value}'. Choose pem or der.") from None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sha256: str


def default_file_name(record: inventory.CertRecord, fmt: CertFormat) -> str:
    """A stable, readable name: '<common-name>-<first 8 hex of the serial>.<pem|crt>'."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", record.common_name).strip("-").lower() or "certificate"
    suffix = "pem" if fmt is CertFormat.PEM else "der"
    return f"{slug}-{record.serial_hex[:8].lower()}.{suffix}"


def export_certificate(
    ws: Workspace, cert_id: int, fmt: CertFormat, dest: Path | None = None
) -> ExportResult:
    record = inventory.get_record(ws.db, cert_id)
    cert = inventory.load_certificate(ws.db, cert_id)
    encoding = serialization.Encoding.PEM if fmt is CertFormat.PEM else serialization.Encoding.DER
    data = cert.public_bytes(encoding)
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
                details={"format": fmt.value},
            )
    except sqlite3.Error as exc:
        atomicfile.remove_new_file(path)
        raise StorageError(
            f"Recording the export in the audit log failed ({exc}); the file was removed."
        ) from exc
    return ExportResult(path, digest)
