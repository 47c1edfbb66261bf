"""The certificate inventory: one row per certificate we issued or imported, with its CA link."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlite_utils import Database

from pkiadmin.core import keys
from pkiadmin.core.errors import NotFoundError, ValidationError

_Ext = TypeVar("_Ext", bound=x509.ExtensionType)


class Source(enum.Enum):
    ISSUED = "issued"
    IMPORTED = "imported"


@dataclass(frozen=True)
class CertRecord:
    """One inventory row (without the DER, which is loaded on demand)."""

    id: int
    serial_hex: str
    subject: str
    issuer: str
    common_name: str
    not_before: datetime
    not_after: datetime
    key_algorithm: str
    key_size: int
    signature_algorithm: str
    sha256: str
    sha1: str
    ski: str | None
    aki: str | None
    is_ca: bool
    path_length: int | None
    issuer_cert_id: int | None
    source: Source

    def status(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        if now < self.not_before:
            return "not yet valid"
        if now > self.not_after:
            return "expired"
        return "valid"


def serial_hex(serial: int) -> str:
    text = f"{serial:X}"
    return text if len(text) % 2 == 0 else "0" + text


def common_name(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name.rfc4514_string()


def _extension_value(cert: x509.Certificate, kind: type[_Ext]) -> _Ext | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def subject_alt_names(cert: x509.Certificate) -> tuple[str, ...]:
    """'dns:…', 'ip:…', 'uri:…' (spiffe:// included), 'email:…' from subjectAltName."""
    san = _extension_value(cert, x509.SubjectAlternativeName)
    if san is None:
        return ()
    kinds = (
        ("dns", x509.DNSName),
        ("ip", x509.IPAddress),
        ("uri", x509.UniformResourceIdentifier),
        ("email", x509.RFC822Name),
    )
    return tuple(
        f"{prefix}:{value}" for prefix, kind in kinds for value in san.get_values_for_type(kind)
    )


def insert_certificate(
    db: Database, cert: x509.Certificate, source: Source, issuer_cert_id: int | None = None
) -> int:
    """Insert a certificate (inside the caller's transaction) and return its id."""
    der = cert.public_bytes(serialization.Encoding.DER)
    public_key = cert.public_key()
    if not isinstance(public_key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise ValidationError("Only RSA and EC certificates can be stored.")
    algorithm, size = keys.describe(public_key)
    ski = _extension_value(cert, x509.SubjectKeyIdentifier)
    aki = _extension_value(cert, x509.AuthorityKeyIdentifier)
    basic = _extension_value(cert, x509.BasicConstraints)
    oid = cert.signature_algorithm_oid
    cursor = db.execute(
        """INSERT INTO certificates (serial_hex, issuer_hash, subject, issuer, common_name, not_before,
               not_after, key_algorithm, key_size, signature_algorithm, sha256, sha1, ski, aki, is_ca,
               path_length, issuer_cert_id, source, added_at, der, sans)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            serial_hex(cert.serial_number),
            hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
            cert.subject.rfc4514_string(),
            cert.issuer.rfc4514_string(),
            common_name(cert.subject),
            cert.not_valid_before_utc.isoformat(),
            cert.not_valid_after_utc.isoformat(),
            algorithm,
            size,
            getattr(oid, "_name", oid.dotted_string),
            hashlib.sha256(der).hexdigest(),
            hashlib.sha1(der, usedforsecurity=False).hexdigest(),
            ski.digest.hex() if ski else None,
            aki.key_identifier.hex() if aki and aki.key_identifier else None,
            int(bool(basic and basic.ca)),
            basic.path_length if basic else None,
            issuer_cert_id,
            source.value,
            datetime.now(UTC).isoformat(),
            der,
            " ".join(subject_alt_names(cert)),
        ),
    )
    row_id = cursor.lastrowid
    assert row_id is not None  # noqa: S101 - an INSERT always sets it
    return row_id


_COLUMNS = (
    "id, serial_hex, subject, issuer, common_name, not_before, not_after, key_algorithm, key_size, "
    "signature_algorithm, sha256, sha1, ski, aki, is_ca, path_length, issuer_cert_id, source"
)


def _record(row: Mapping[str, Any]) -> CertRecord:
    return CertRecord(
        id=int(row["id"]),
        serial_hex=str(row["serial_hex"]),
        subject=str(row["subject"]),
        issuer=str(row["issuer"]),
        common_name=str(row["common_name"]),
        not_before=datetime.fromisoformat(row["not_before"]),
        not_after=datetime.fromisoformat(row["not_after"]),
        key_algorithm=str(row["key_algorithm"]),
        key_size=int(row["key_size"]),
        signature_algorithm=str(row["signature_algorithm"]),
        sha256=str(row["sha256"]),
        sha1=str(row["sha1"]),
        ski=row["ski"],
        aki=row["aki"],
        is_ca=bool(row["is_ca"]),
        path_length=row["path_length"],
        issuer_cert_id=row["issuer_cert_id"],
        source=Source(row["source"]),
    )


def list_certificates(db: Database) -> tuple[CertRecord, ...]:
    return tuple(_record(r) for r in db.query(f"SELECT {_COLUMNS} FROM certificates ORDER BY id"))  # noqa: S608


def get_record(db: Database, cert_id: int) -> CertRecord:
    rows = list(db.query(f"SELECT {_COLUMNS} FROM certificates WHERE id = ?", [cert_id]))  # noqa: S608
    if not rows:
        raise NotFoundError(
            f"There is no certificate with id {cert_id}. List them with: pkiadmin-cli cert list"
        )
    return _record(rows[0])


def load_certificate(db: Database, cert_id: int) -> x509.Certificate:
    row = db.execute("SELECT der FROM certificates WHERE id = ?", (cert_id,)).fetchone()
    if row is None:
        raise NotFoundError(
            f"There is no certificate with id {cert_id}. List them with: pkiadmin-cli cert list"
        )
    return x509.load_der_x509_certificate(row[0])


def chain(db: Database, cert_id: int) -> tuple[x509.Certificate, ...]:
    """The certificate and its issuers up to the root, as stored in the inventory (leaf first)."""
    result = []
    current: int | None = cert_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        result.append(load_certificate(db, current))
        row = db.execute(
            "SELECT issuer_cert_id FROM certificates WHERE id = ?", (current,)
        ).fetchone()
        current = row[0] if row and row[0] != current else None
    return tuple(result)


@dataclass(frozen=True)
class Filter:
    """Structured filters, combinable; None means 'any'."""

    text: str | None = None  # free text over names, SANs, serial and fingerprint (FTS5)
    expires_within_days: int | None = None
    expired: bool | None = None
    revoked: bool | None = None
    ca: bool | None = None
    issuer: str | None = None  # substring of the issuer name
    algorithm: str | None = None  # e.g. 'EC P-256', 'RSA'
    source: Source | None = None


def search(
    db: Database, f: Filter, now: datetime | None = None, limit: int | None = None
) -> tuple[CertRecord, ...]:
    """The certificates matching every given filter, newest id first; parameters only, no SQL text from input."""
    now = now or datetime.now(UTC)
    where: list[str] = []
    args: list[object] = []
    if f.text:
        terms = [t for t in f.text.replace('"', " ").split() if t]
        if terms:
            where.append(
                "id IN (SELECT rowid FROM certificates_fts WHERE certificates_fts MATCH ?)"
            )
            args.append(" ".join(f'"{t}"*' for t in terms))
    if f.expires_within_days is not None:
        where.append("not_after >= ? AND not_after <= ?")
        args += [now.isoformat(), (now + timedelta(days=f.expires_within_days)).isoformat()]
    if f.expired is not None:
        where.append("not_after < ?" if f.expired else "not_after >= ?")
        args.append(now.isoformat())
    if f.revoked is not None:
        revoked_clause = "EXISTS (SELECT 1 FROM revocations r WHERE r.cert_id = certificates.id)"
        where.append(revoked_clause if f.revoked else f"NOT {revoked_clause}")
    if f.ca is not None:
        where.append("is_ca = ?")
        args.append(int(f.ca))
    if f.issuer:
        where.append("issuer LIKE ?")
        args.append(f"%{f.issuer}%")
    if f.algorithm:
        where.append("key_algorithm = ? OR (key_algorithm || ' ' || key_size) = ?")
        args += [f.algorithm, f.algorithm]
    if f.source is not None:
        where.append("source = ?")
        args.append(f.source.value)
    clause = (" WHERE " + " AND ".join(f"({w})" for w in where)) if where else ""
    tail = f" ORDER BY id DESC{' LIMIT ?' if limit else ''}"
    if limit:
        args.append(limit)
    query = f"SELECT {_COLUMNS} FROM certificates{clause}{tail}"  # noqa: S608 - fixed clauses, values are parameters
    return tuple(_record(r) for r in db.query(query, args))
