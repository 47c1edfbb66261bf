"""Bulk import of existing certificates into the inventory: files and folders (recursive), PEM
bundles, DER, PKCS#7 and PKCS#12 (certificates only). Each file is imported whole or not at all,
duplicates are recognised by SHA-256, issuers are linked when present and verifiably the signer,
and every refused file gets its reason. Imported certificates are never trusted automatically."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from pkiadmin.core import audit, inventory
from pkiadmin.core.errors import PkiError
from pkiadmin.core.workspace import Workspace

MAX_FILE_BYTES = 80 * 1024 * 1024  # a 100,000-certificate PEM bundle is about 65 MB
# cryptography raises more than ValueError for malformed certificates, some only when a field is read.
_MALFORMED = (
    ValueError,
    TypeError,
    UnsupportedAlgorithm,
    x509.DuplicateExtension,
    x509.InvalidVersion,
    x509.UnsupportedGeneralNameType,
)


@dataclass
class ImportSummary:
    files: int = 0
    imported: int = 0
    duplicates: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    cancelled: bool = False


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        else:
            yield path


def _read_all_fields(cert: x509.Certificate) -> None:
    """Touch every field, so a certificate that only fails when an extension is read fails here."""
    cert.subject.rfc4514_string()
    cert.issuer.rfc4514_string()
    cert.serial_number  # noqa: B018
    cert.not_valid_before_utc  # noqa: B018
    cert.not_valid_after_utc  # noqa: B018
    cert.public_key()
    cert.signature_algorithm_oid  # noqa: B018
    for extension in cert.extensions:
        extension.value  # noqa: B018


def parse(data: bytes, name: str, p12_password: str | None = None) -> list[x509.Certificate]:
    """Every certificate in a file of any supported format; a ValueError says why there is none.
    A certificate cryptography only warns about (a negative serial, ...) breaks RFC 5280: refused."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        certs = _parse(data, name, p12_password)
        for cert in certs:
            _read_all_fields(cert)
            for attribute in (*cert.subject, *cert.issuer):
                attribute.value  # noqa: B018 - cryptography warns about bad lengths when read
    for warning in caught:
        if issubclass(warning.category, (CryptographyDeprecationWarning, UserWarning)):
            raise ValueError(f"it breaks RFC 5280: {warning.message}")  # noqa: TRY004 - a bad file
    return certs


def _parse(data: bytes, name: str, p12_password: str | None) -> list[x509.Certificate]:
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in {"p12", "pfx"}:
        try:
            loaded = pkcs12.load_pkcs12(data, p12_password.encode() if p12_password else None)
        except ValueError as exc:
            raise ValueError(
                "a PKCS#12 file that the given password does not open (or a damaged one)"
            ) from exc
        certs = [c.certificate for c in loaded.additional_certs]
        return ([loaded.cert.certificate] if loaded.cert else []) + certs
    if b"-----BEGIN PKCS7-----" in data:
        return list(pkcs7.load_pem_pkcs7_certificates(data))
    if b"-----BEGIN CERTIFICATE-----" in data:
        return list(x509.load_pem_x509_certificates(data))
    if suffix in {"p7b", "p7c"}:
        return list(pkcs7.load_der_pkcs7_certificates(data))
    return [x509.load_der_x509_certificate(data)]


def import_paths(
    ws: Workspace,
    paths: Sequence[Path],
    p12_password: str | None = None,
    progress: Callable[[int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportSummary:
    summary = ImportSummary()
    for path in _files(paths):
        if cancelled is not None and cancelled():
            summary.cancelled = True
            break
        summary.files += 1
        if progress is not None:
            progress(summary.files, str(path))
        data = _read(path, summary)
        if data is None:
            continue
        try:
            certs = parse(data, path.name, p12_password)
        except _MALFORMED as exc:
            summary.refused.append((str(path), f"not a certificate file pkiadmin can read ({exc})"))
            continue
        if not certs:
            summary.refused.append((str(path), "holds no certificate"))
            continue
        try:
            added, duplicates = _store(ws, path, data, certs)
        except (PkiError, *_MALFORMED) as exc:
            summary.refused.append((str(path), str(exc)))
            continue
        summary.imported += added
        summary.duplicates += duplicates
    return summary


def _read(path: Path, summary: ImportSummary) -> bytes | None:
    """The file's bytes, or None with the reason recorded."""
    try:
        size = path.stat().st_size
        if size <= MAX_FILE_BYTES:
            return path.read_bytes()
        summary.refused.append(
            (str(path), f"{size // 1_000_000} MB is far more than a certificate file")
        )
    except FileNotFoundError:
        summary.refused.append((str(path), "the file disappeared before it could be read"))
    except OSError as exc:
        summary.refused.append((str(path), f"cannot be read ({exc.strerror})"))
    return None


def _issuer_of(
    ws: Workspace, cert: x509.Certificate, cache: dict[bytes, list[tuple[int, x509.Certificate]]]
) -> int | None:
    """The inventory certificate that verifiably signed this one, if present (candidates by name,
    looked up once per issuer name in a file)."""
    key = cert.issuer.public_bytes()
    if key not in cache:
        cache[key] = [
            (int(row[0]), inventory.load_certificate(ws.db, int(row[0])))
            for row in ws.db.execute(
                "SELECT id FROM certificates WHERE subject = ? AND is_ca = 1",
                (cert.issuer.rfc4514_string(),),
            )
        ]
    for cert_id, candidate in cache[key]:
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        return cert_id
    return None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _store(
    ws: Workspace, path: Path, data: bytes, certs: list[x509.Certificate]
) -> tuple[int, int]:
    """One transaction per file: all its new certificates and one audit entry, or nothing."""
    added = duplicates = 0
    cache: dict[bytes, list[tuple[int, x509.Certificate]]] = {}
    # Issuers first, so a bundle's chain links within the bundle.
    ordered = sorted(certs, key=lambda c: 0 if c.issuer == c.subject else 1)
    with ws.db.atomic():
        for cert in ordered:
            digest = cert.fingerprint(hashes.SHA256()).hex()
            if ws.db.execute("SELECT 1 FROM certificates WHERE sha256 = ?", (digest,)).fetchone():
                duplicates += 1
                continue
            clash = ws.db.execute(
                "SELECT id FROM certificates WHERE issuer_hash = ? AND serial_hex = ?",
                (
                    hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
                    inventory.serial_hex(cert.serial_number),
                ),
            ).fetchone()
            if clash:
                raise ValueError(
                    f"it holds a certificate with the issuer and serial of certificate {clash[0]} but other "
                    "contents: a reused serial number, which RFC 5280 forbids"
                )
            cert_id = inventory.insert_certificate(ws.db, cert, inventory.Source.IMPORTED)
            issuer = cert_id if cert.issuer == cert.subject else _issuer_of(ws, cert, cache)
            if cert.extensions and _is_ca(cert):
                cache.pop(cert.subject.public_bytes(), None)  # a new CA: look its name up again
            if issuer is not None:
                ws.db.execute(
                    "UPDATE certificates SET issuer_cert_id = ? WHERE id = ?", (issuer, cert_id)
                )
            added += 1
        audit.append(
            ws.db,
            "cert.import",
            {"file": str(path)},
            artefacts=(audit.Artefact(str(path), hashlib.sha256(data).hexdigest()),),
            details={"imported": added, "duplicates": duplicates},
        )
    return added, duplicates
