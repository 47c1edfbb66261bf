"""What the import's worker processes do, where a certificate is already parsed: read the small
files handed to them (hashing the bytes they read), read every field of each certificate, and
check its signature against the inventory's CA certificates of its issuer's name (read from the
workspace database, read-only). The one process that stores then only stores: it links what a
worker verified and itself checks only the CAs a worker could not see (those stored by this
import and not yet committed).

The same functions run in this process when an import is too small to start workers for; there
no issuer is checked here, and the storing process checks them all."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from pkiadmin.core.base.display import plain_error
from pkiadmin.core.keys import known_bad
from pkiadmin.core.x509 import fields as certfields
from pkiadmin.core.x509 import pembundle

MAX_FILE_BYTES = 80 * 1024 * 1024  # a file read whole (DER, PKCS#7, PKCS#12, mixed PEM)
# cryptography raises more than ValueError for malformed certificates, some only when a field is read.
MALFORMED = (
    ValueError,
    TypeError,
    UnsupportedAlgorithm,
    x509.DuplicateExtension,
    x509.InvalidVersion,
    x509.UnsupportedGeneralNameType,
)
_NOT_SIGNED_BY = (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm)


class Parsed(NamedTuple):
    """A certificate's fields and what a worker found of its issuer."""

    fields: certfields.CertFields
    issuer_id: int | None = None  # the inventory CA whose key verified its signature
    tried: frozenset[int] = frozenset()  # the inventory CAs of its issuer's name a worker tried


# A certificate as a worker returns it: its fields as a plain tuple (which crosses the process
# boundary faster than a named one), the CA that verified it, and the CAs tried.
Row = tuple[tuple[object, ...], int | None, tuple[int, ...]]
# One file read by a worker: (path, SHA-256 of the bytes read, its certificates) or
# (path, "", why it is refused).
FileResult = tuple[str, str, list[Row] | str]


def suffix(name: str) -> str:
    return name.lower().rsplit(".", 1)[-1] if "." in name else ""


def parse(data: bytes, name: str, p12_password: str | None = None) -> list[certfields.CertFields]:
    """Every certificate in a file of any supported format with all its fields read (where
    cryptography reports many malformed certificates); a ValueError says why there is none.
    A certificate cryptography only warns about (a negative serial, ...) breaks RFC 5280: refused."""
    return [f for f, _ in _parse_fields(data, name, p12_password)]


def _parse_fields(
    data: bytes, name: str, p12_password: str | None
) -> list[tuple[certfields.CertFields, x509.Certificate]]:
    names = certfields.NameCache()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = [
            (certfields.read_fields(cert, names, der, _known_bad_lists), cert)
            for cert, der in _parse(data, name, p12_password)
        ]
    for warning in caught:
        if issubclass(warning.category, (CryptographyDeprecationWarning, UserWarning)):
            raise ValueError(f"it breaks RFC 5280: {warning.message}")  # noqa: TRY004 - a bad file
    return parsed


def _parse(
    data: bytes, name: str, p12_password: str | None
) -> list[tuple[x509.Certificate, bytes | None]]:
    """The certificates, each with its DER when that is at hand."""
    if (
        suffix(name) not in {"p12", "pfx"}
        and b"-----BEGIN PKCS7-----" not in data
        and (ders := pembundle.certificate_ders(data))
    ):
        return [(x509.load_der_x509_certificate(der), der) for der in ders]
    return [(cert, None) for cert in _load(data, name, p12_password)]


def _load(data: bytes, name: str, p12_password: str | None) -> list[x509.Certificate]:
    kind = suffix(name)
    if kind in {"p12", "pfx"}:
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
    if kind in {"p7b", "p7c"}:
        return list(pkcs7.load_der_pkcs7_certificates(data))
    return [x509.load_der_x509_certificate(data)]


def reason(exc: Exception) -> str:
    """A refused file's reason, in words."""
    text = str(exc)
    if text.startswith(("not a certificate file", "it ", "a PKCS#12")):
        return text
    return f"not a certificate file pkiadmin can read: {plain_error(exc)}"


def read_whole(path: Path, limit: int = MAX_FILE_BYTES) -> bytes | str:
    """The file's bytes, or why it cannot be read."""
    try:
        size = path.stat().st_size
        if size <= limit:
            return path.read_bytes()
    except FileNotFoundError:
        return "the file disappeared before it could be read"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return f"{size // 1_000_000} MB is far more than a certificate file"


class IssuerLookup:
    """The inventory's CA certificates by subject, from a read-only connection of its own: it
    sees what was committed when a name was first asked for."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._conn: sqlite3.Connection | None = None
        self._cas: dict[str, list[tuple[int, x509.Certificate]]] = {}

    def _candidates(self, issuer: str) -> list[tuple[int, x509.Certificate]]:
        """The CAs of that name, or none when the database cannot be read here (then the storing
        process checks them all)."""
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True, timeout=10)
                self._conn.execute("PRAGMA query_only = ON")
            rows = self._conn.execute(
                "SELECT c.id, d.der FROM certificates c JOIN certificate_der d"
                " ON d.cert_id = c.id WHERE c.subject = ? AND c.is_ca = 1",
                (issuer,),
            ).fetchall()
        except sqlite3.Error:
            return []
        return [(int(cert_id), x509.load_der_x509_certificate(der)) for cert_id, der in rows]

    def check(self, fields: certfields.CertFields, cert: x509.Certificate) -> Parsed:
        if fields.self_issued:
            return Parsed(fields)  # linked to itself by the storing process
        candidates = self._cas.get(fields.issuer)
        if candidates is None:
            candidates = self._cas[fields.issuer] = self._candidates(fields.issuer)
        for issuer_id, issuer in candidates:
            try:
                cert.verify_directly_issued_by(issuer)
            except _NOT_SIGNED_BY:
                continue
            return Parsed(fields, issuer_id, frozenset(i for i, _ in candidates))
        return Parsed(fields, None, frozenset(i for i, _ in candidates))


# Per process: the workspace's blocklists of known-bad keys (a certificate's key found in one is a
# compliance finding, not a refusal: it was issued elsewhere), and in a worker the issuer lookup.
_known_bad_lists: tuple[known_bad.Blocklist, ...] = ()
_issuers: IssuerLookup | None = None


def use_lists(lists: Sequence[tuple[str, dict[int, str]]]) -> None:
    global _known_bad_lists  # noqa: PLW0603 - one set of lists per import, per process
    for blocklist in _known_bad_lists:
        blocklist.close()
    _known_bad_lists = tuple(known_bad.Blocklist(Path(path), names) for path, names in lists)


def _rows(data: bytes, name: str) -> list[Row]:
    parsed = _parse_fields(data, name, None)
    if _issuers is None:
        return [(tuple(f), None, ()) for f, _ in parsed]
    rows: list[Row] = []
    for f, cert in parsed:
        checked = _issuers.check(f, cert)
        rows.append((tuple(f), checked.issuer_id, tuple(checked.tried)))
    return rows


def parse_piece(piece: bytes) -> list[Row] | str:
    """A piece of a PEM bundle's certificates, or why it cannot be read."""
    try:
        return _rows(piece, "piece.pem")
    except MALFORMED as exc:
        return f"not a certificate file pkiadmin can read: {plain_error(exc)}"


def read_files(paths: Sequence[str]) -> list[FileResult]:
    """Small files (no PKCS#12: their password stays in the storing process), each read whole,
    hashed and parsed, or refused with its reason."""
    results: list[FileResult] = []
    for name in paths:
        data = read_whole(Path(name))
        if isinstance(data, str):
            results.append((name, "", data))
            continue
        try:
            rows = _rows(data, name)
        except MALFORMED as exc:
            results.append((name, "", reason(exc)))
            continue
        results.append((name, hashlib.sha256(data).hexdigest(), rows))
    return results


def parsed_rows(rows: list[Row]) -> list[Parsed]:
    """What a worker returned, as the storing process takes it."""
    return [
        Parsed(certfields.CertFields._make(f), issuer_id, frozenset(tried))
        for f, issuer_id, tried in rows
    ]


def start_worker(lists: Sequence[tuple[str, dict[int, str]]], db_path: str) -> None:
    global _issuers  # noqa: PLW0603 - one lookup per worker process
    _lower_priority()
    use_lists(lists)
    _issuers = IssuerLookup(Path(db_path))


def _lower_priority() -> None:
    """In a worker: yield the CPU to the process that stores what the workers read (one SQLite
    writer is the import's critical path; the workers run ahead of it with what is left). And
    end when that process ends, even by kill -9 (Linux: PR_SET_PDEATHSIG)."""
    if hasattr(os, "nice"):
        os.nice(10)
    _die_with_parent()


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)
