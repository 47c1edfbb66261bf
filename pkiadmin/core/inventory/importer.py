"""Bulk import of existing certificates into the inventory: files and folders (recursive), PEM
bundles, DER, PKCS#7 and PKCS#12 (certificates only). Each file is imported whole or not at all,
duplicates are recognised by SHA-256, issuers are linked when present and verifiably the signer,
and every refused file gets its reason. Imported certificates are never trusted automatically.

A large PEM bundle is read by worker processes (reading every field of a certificate costs more
than storing it), while this process stores what they return, in order, in one transaction."""

from __future__ import annotations

import collections
import contextlib
import hashlib
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from pkiadmin.core.base.display import plain_error
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.inventory import store as bulk_store
from pkiadmin.core.inventory.store import Cancelled
from pkiadmin.core.keys import known_bad
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import fields as certfields
from pkiadmin.core.x509 import pembundle

MAX_FILE_BYTES = 80 * 1024 * 1024  # a file read whole (DER, PKCS#7, PKCS#12, mixed PEM)
STREAM_MIN_BYTES = 16 * 1024 * 1024  # a PEM bundle larger than this is streamed, of any size
STREAM_BLOCK = 4 * 1024 * 1024  # bytes read at a time from a streamed bundle
STREAM_AHEAD = 4  # pieces parsed ahead of the one being stored
GROUP_FILES = 500  # files stored under one commit
GROUP_S = 1.0  # and at least this often
PARALLEL_MIN = 5_000  # certificates in a PEM bundle worth starting worker processes for
CHUNK = 2_500  # certificates per piece of work handed to a worker
SERIAL_CHUNK = 250  # certificates per piece of a smaller bundle read here (its progress steps)
WORKERS = max(1, min(2, os.cpu_count() or 1))
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


@dataclass(frozen=True)
class ImportProgress:
    file_number: int  # 1-based
    file_count: int
    path: str
    certificates: int  # stored so far in this file
    expected: int | None = None  # certificates the file holds, when it says (PEM blocks)

    @property
    def fraction(self) -> float:
        """How far the whole import is, 0..1: whole files, and within a file its certificates."""
        within = min(1.0, self.certificates / self.expected) if self.expected else 0.0
        return (self.file_number - 1 + within) / max(1, self.file_count)


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        else:
            yield path


def parse(data: bytes, name: str, p12_password: str | None = None) -> list[certfields.CertFields]:
    """Every certificate in a file of any supported format with all its fields read (where
    cryptography reports many malformed certificates); a ValueError says why there is none.
    A certificate cryptography only warns about (a negative serial, ...) breaks RFC 5280: refused."""
    names = certfields.NameCache()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = [
            certfields.read_fields(cert, names, der, _known_bad_lists)
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
        _suffix(name) not in {"p12", "pfx"}
        and b"-----BEGIN PKCS7-----" not in data
        and (ders := pembundle.certificate_ders(data))
    ):
        return [(x509.load_der_x509_certificate(der), der) for der in ders]
    return [(cert, None) for cert in _load(data, name, p12_password)]


def _suffix(name: str) -> str:
    return name.lower().rsplit(".", 1)[-1] if "." in name else ""


def _load(data: bytes, name: str, p12_password: str | None) -> list[x509.Certificate]:
    suffix = _suffix(name)
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


def _parse_piece(piece: bytes) -> list[tuple[object, ...]] | str:
    """In a worker process: the fields of a piece of a PEM bundle (as plain tuples, which cross
    the process boundary faster than named ones), or why it cannot be read."""
    try:
        return [tuple(f) for f in parse(piece, "piece.pem")]
    except _MALFORMED as exc:
        return f"not a certificate file pkiadmin can read: {plain_error(exc)}"


def _pieces(data: bytes, size: int | None = None) -> list[bytes]:
    """The bundle cut after every size-th (CHUNK-th) certificate (text between certificates is
    kept)."""
    size = size or CHUNK
    pieces, start, count, pos = [], 0, 0, 0
    while (end := data.find(pembundle.END, pos)) >= 0:
        pos = end + len(pembundle.END)
        count += 1
        if count % size == 0:
            pieces.append(data[start:pos])
            start = pos
    if data[start:].strip():
        pieces.append(data[start:])
    return pieces


def _batches(
    data: bytes, name: str, p12_password: str | None, pool: ProcessPoolExecutor | None
) -> Iterator[list[certfields.CertFields]]:
    if pool is None:
        if _suffix(name) in {"p12", "pfx"} or b"-----BEGIN PKCS7-----" in data:
            yield parse(data, name, p12_password)
            return
        # A PEM bundle in pieces, each stored (and its progress shown) as it is read.
        for piece in _pieces(data, SERIAL_CHUNK):
            yield parse(piece, name, p12_password)
        return
    for result in pool.map(_parse_piece, _pieces(data)):
        if isinstance(result, str):
            raise ValueError(result)  # noqa: TRY004 - a malformed certificate
        yield [certfields.CertFields._make(row) for row in result]


def _wants_pool(data: bytes) -> bool:
    return b"-----BEGIN PKCS7-----" not in data and data.count(pembundle.BEGIN) >= PARALLEL_MIN


# The workspace's blocklists of known-bad keys, in this process and in each worker (a
# certificate's key found in one is a compliance finding, not a refusal: it was issued elsewhere).
_known_bad_lists: tuple[known_bad.Blocklist, ...] = ()


def _use_lists(lists: Sequence[tuple[str, dict[int, str]]]) -> None:
    global _known_bad_lists  # noqa: PLW0603 - one set of lists per import, per process
    _known_bad_lists = tuple(known_bad.Blocklist(Path(path), names) for path, names in lists)


def import_paths(
    ws: Workspace,
    paths: Sequence[Path],
    p12_password: str | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportSummary:
    summary = ImportSummary()
    files = list(_files(paths))
    pool: ProcessPoolExecutor | None = None
    lists = [(str(b.path), dict(b.names)) for b in blocklists.installed(ws)]
    _use_lists(lists)
    # Many small files share a commit (each file is a savepoint of its own, stored whole or not
    # at all; a kill or a cancel loses at most the files of the group not yet committed).
    group = contextlib.ExitStack()
    in_group, opened_at = 0, 0.0
    try:
        for number, path in enumerate(files, start=1):
            if in_group and (in_group >= GROUP_FILES or time.monotonic() - opened_at >= GROUP_S):
                group.close()
                in_group = 0
            if in_group == 0:
                group = contextlib.ExitStack()
                group.enter_context(ws.db.atomic())
                opened_at = time.monotonic()
            in_group += 1
            if cancelled is not None and cancelled():
                summary.cancelled = True
                break
            summary.files += 1
            report = _reporter(progress, number, len(files), str(path))
            report(0)
            streamed = _streamed_bundle(path)
            if streamed is not None:
                # A large PEM bundle is read in blocks: memory stays bounded whatever its size.
                report = _reporter(progress, number, len(files), str(path), expected=streamed)
                if pool is None:
                    pool = _start_pool(lists)
                hasher = hashlib.sha256()
                batches = _streamed_batches(path, hasher, pool)
                digest = hasher.hexdigest
            else:
                data = _read(path, summary)
                if data is None:
                    continue
                report = _reporter(progress, number, len(files), str(path), data)
                parallel = _wants_pool(data)  # a large bundle's certificates are counted once
                if pool is None and parallel:
                    pool = _start_pool(lists)
                batches = _batches(data, path.name, p12_password, pool if parallel else None)
                digest = _digest_of(data)
            try:
                added, duplicates = bulk_store.store(ws, path, digest, batches, report, cancelled)
            except Cancelled:
                summary.cancelled = True
                break
            except bulk_store.NothingInFile:
                summary.refused.append((str(path), "holds no certificate"))
                continue
            except _MALFORMED as exc:
                summary.refused.append((str(path), _reason(exc)))
                continue
            except PkiError as exc:
                summary.refused.append((str(path), str(exc)))
                continue
            summary.imported += added
            summary.duplicates += duplicates
    except BaseException:
        group.__exit__(*sys.exc_info())  # the open group is rolled back
        raise
    else:
        group.close()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        for blocklist in _known_bad_lists:
            blocklist.close()
        _use_lists([])
    if summary.imported >= 1000:
        # Fresh statistics, so that each filter's query uses its index (a sampled ANALYZE: fast).
        ws.db.execute("PRAGMA analysis_limit = 1000")
        ws.db.execute("ANALYZE")
    return summary


def _reason(exc: Exception) -> str:
    text = str(exc)
    if text.startswith(("not a certificate file", "it ", "a PKCS#12")):
        return text
    return f"not a certificate file pkiadmin can read: {plain_error(exc)}"


def _reporter(
    progress: Callable[[ImportProgress], None] | None,
    number: int,
    count: int,
    path: str,
    data: bytes | None = None,
    expected: int | None = None,
) -> Callable[[int], None]:
    # A bundle's progress is its certificates, not its one file: PEM says how many it holds.
    if data is not None:
        expected = data.count(b"-----BEGIN CERTIFICATE-----") or None

    def report(certificates: int) -> None:
        if progress is not None:
            progress(ImportProgress(number, count, path, certificates, expected))

    return report


def _start_pool(lists: Sequence[tuple[str, dict[int, str]]]) -> ProcessPoolExecutor:
    # 'spawn': the GUI has threads, and a forked child of a threaded process can deadlock.
    return ProcessPoolExecutor(
        max_workers=WORKERS,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(lists,),
    )


def _start_worker(lists: Sequence[tuple[str, dict[int, str]]]) -> None:
    _lower_priority()
    _use_lists(lists)


def _lower_priority() -> None:
    """In a worker: yield the CPU to this process, which stores what the workers read (one
    SQLite writer is the import's critical path; the workers run ahead of it with what is left).
    And end when this process ends, even by kill -9 (Linux: PR_SET_PDEATHSIG)."""
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


def _digest_of(data: bytes) -> Callable[[], str]:
    return lambda: hashlib.sha256(data).hexdigest()


def _streamed_bundle(path: Path) -> int | None:
    """The number of certificates of a PEM bundle too large to read whole (counted in a first
    pass, block by block), or None: a small file, or not a plain PEM certificate bundle."""
    try:
        if path.stat().st_size <= STREAM_MIN_BYTES or _suffix(path.name) in {"p12", "pfx"}:
            return None
        with path.open("rb") as f:
            head = f.read(64 * 1024)
            if pembundle.BEGIN not in head or b"-----BEGIN PKCS7-----" in head:
                return None
            count, tail = head.count(pembundle.BEGIN), head[-len(pembundle.BEGIN) :]
            while block := f.read(STREAM_BLOCK):
                # A marker cut between two blocks is counted once: on the joined edge.
                joined = tail + block
                count += joined.count(pembundle.BEGIN) - tail.count(pembundle.BEGIN)
                tail = joined[-len(pembundle.BEGIN) :]
    except OSError:
        return None  # read the usual way, which says what is wrong
    return count


def _stream_pieces(path: Path, hasher: Any) -> Iterator[bytes]:
    """The bundle in pieces of CHUNK certificates, read STREAM_BLOCK bytes at a time (text
    between certificates kept); every byte read is hashed."""
    buffer, count, scan = b"", 0, 0
    with path.open("rb") as f:
        while block := f.read(STREAM_BLOCK):
            hasher.update(block)
            buffer += block
            while (end := buffer.find(pembundle.END, scan)) >= 0:
                scan = end + len(pembundle.END)
                count += 1
                if count % CHUNK == 0:
                    yield buffer[:scan]
                    buffer, scan = buffer[scan:], 0
            # A marker cut between two blocks is found once the next block is joined.
            scan = max(scan, len(buffer) - len(pembundle.END) + 1)
    if buffer.strip():
        yield buffer


def _streamed_batches(
    path: Path, hasher: Any, pool: ProcessPoolExecutor
) -> Iterator[list[certfields.CertFields]]:
    """The pieces parsed in the worker processes, a few ahead of the one being stored: memory
    holds those pieces, never the file."""
    ahead: collections.deque[Future[list[tuple[object, ...]] | str]] = collections.deque()
    pieces = _stream_pieces(path, hasher)
    for piece in pieces:
        ahead.append(pool.submit(_parse_piece, piece))
        if len(ahead) >= STREAM_AHEAD:
            yield _fields_of(ahead.popleft().result())
    while ahead:
        yield _fields_of(ahead.popleft().result())


def _fields_of(result: list[tuple[object, ...]] | str) -> list[certfields.CertFields]:
    if isinstance(result, str):
        raise ValueError(result)  # noqa: TRY004 - a malformed certificate
    return [certfields.CertFields._make(row) for row in result]


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
