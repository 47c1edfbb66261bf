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
from pkiadmin.core.inventory import certrecord
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


def default_file_name(record: certrecord.CertRecord, fmt: CertFormat) -> str:
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


@dataclass(frozen=True)
class BundleExport:
    folder: Path
    files: dict[str, str]  # file name -> SHA-256


BUNDLE_FILES = ("cert.pem", "chain.pem", "fullchain.pem", "cert.p7b", "trust.pem")


def export_bundle(ws: Workspace, cert_id: int, folder: Path) -> BundleExport:
    """What a service deploys, into a new folder: cert.pem; chain.pem, its issuers without the
    root (what nginx and HAProxy send after the certificate); fullchain.pem, the two together;
    cert.p7b, the certificate and its issuers as PKCS#7; trust.pem, the root that relying
    parties pin. Nothing is overwritten; every file is in the audit entry with its hash."""
    record = inventory.get_record(ws.db, cert_id)
    if record.is_ca:
        raise ValidationError(
            f"Certificate {cert_id} is a CA certificate; a deployable bundle is for an end-entity "
            "certificate. Export a CA with --chain."
        )
    chain = inventory.chain(ws.db, cert_id)  # leaf first, up to the root when it is here
    root = chain[-1] if len(chain) > 1 and chain[-1].issuer == chain[-1].subject else None
    issuers = [c for c in chain[1:] if c is not root]
    pem = serialization.Encoding.PEM
    contents = {
        "cert.pem": chain[0].public_bytes(pem),
        "chain.pem": b"".join(c.public_bytes(pem) for c in issuers),
        "fullchain.pem": b"".join(c.public_bytes(pem) for c in chain[: len(issuers) + 1]),
        "cert.p7b": pkcs7.serialize_certificates(list(chain), serialization.Encoding.DER),
    }
    if root is not None:
        contents["trust.pem"] = root.public_bytes(pem)
    if folder.exists() and any(folder.iterdir()):
        raise ValidationError(f"{folder} is not empty; choose a new folder for the bundle.")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for name, data in contents.items():
            atomicfile.write_new_file(folder / name, data, mode=0o644)
            written.append(folder / name)
        digests = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
        with ws.db.atomic():
            audit.append(
                ws.db,
                "cert.export-bundle",
                {"cert_id": cert_id},
                artefacts=tuple(audit.Artefact(str(folder / n), d) for n, d in digests.items()),
                details={"certificates": len(chain), "root_included": root is not None},
            )
    except (OSError, sqlite3.Error) as exc:
        for path in written:
            atomicfile.remove_new_file(path)
        raise StorageError(
            f"Writing the bundle to {folder} failed ({exc}); nothing was kept."
        ) from exc
    return BundleExport(folder, digests)
