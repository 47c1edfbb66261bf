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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.inventory import import_workers as workers
from pkiadmin.core.inventory import store as bulk_store
from pkiadmin.core.inventory.import_workers import MALFORMED, Parsed, parse
from pkiadmin.core.inventory.store import Cancelled
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.workspace.checks import DB_NAME
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import pembundle

__all__ = ["ImportProgress", "ImportSummary", "import_paths", "parse"]

MAX_FILE_BYTES = workers.MAX_FILE_BYTES  # a file read whole (DER, PKCS#7, PKCS#12, mixed PEM)
STREAM_MIN_BYTES = 16 * 1024 * 1024  # a PEM bundle larger than this is streamed, of any size
STREAM_BLOCK = 4 * 1024 * 1024  # bytes read at a time from a streamed bundle
STREAM_AHEAD = 4  # pieces parsed ahead of the one being stored
GROUP_FILES = 500  # files stored under one commit and one audit entry
GROUP_S = 1.0  # and at least this often
PARALLEL_MIN = 5_000  # certificates in a PEM bundle worth starting worker processes for
PARALLEL_FILES = 200  # small files in one import worth starting worker processes for
FILES_CHUNK = 32  # small files per piece of work handed to a worker
FILES_AHEAD = 8  # such pieces read ahead of the file being stored
RUN_FILES = 100  # consecutive small files stored by one set of statements (see _store_run)
CHUNK = 2_500  # certificates per piece of work handed to a worker
SERIAL_CHUNK = 250  # certificates per piece of a smaller bundle read here (its progress steps)
WORKERS = max(1, min(2, os.cpu_count() or 1))


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
) -> Iterator[list[Parsed]]:
    if pool is None:
        if workers.suffix(name) in {"p12", "pfx"} or b"-----BEGIN PKCS7-----" in data:
            yield [Parsed(f) for f in parse(data, name, p12_password)]
            return
        # A PEM bundle in pieces, each stored (and its progress shown) as it is read.
        for piece in _pieces(data, SERIAL_CHUNK):
            yield [Parsed(f) for f in parse(piece, name, p12_password)]
        return
    for result in pool.map(workers.parse_piece, _pieces(data)):
        yield _parsed(result)


def _wants_pool(data: bytes) -> bool:
    return b"-----BEGIN PKCS7-----" not in data and data.count(pembundle.BEGIN) >= PARALLEL_MIN


class _Group:
    """Files stored under one commit, with one audit entry that lists each of them and its
    SHA-256 (each file is a savepoint of its own, stored whole or not at all; a kill loses the
    files of the group not yet committed, entry included)."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self._stack: contextlib.ExitStack | None = None
        self._files: list[bulk_store.StoredFile] = []
        self._opened_at = 0.0
        self._count = 0

    def begin_file(self) -> None:
        if self._stack is not None and (
            self._count >= GROUP_FILES or time.monotonic() - self._opened_at >= GROUP_S
        ):
            self.commit()
        if self._stack is None:
            self._stack = contextlib.ExitStack()
            self._stack.enter_context(self._ws.db.atomic())
            self._opened_at = time.monotonic()
        self._count += 1

    def join(self) -> None:
        """One more file in the open group, stored with the one before it (never a commit in
        between: what they stored is audited by the group's one entry)."""
        self._count += 1

    def room(self) -> int:
        """How many files, this one included, may still join the open group."""
        return max(1, GROUP_FILES - self._count + 1)

    def stored(self, path: Path, sha256: str, added: int, duplicates: int) -> None:
        self._files.append(bulk_store.StoredFile(str(path), sha256, added, duplicates))

    def commit(self) -> None:
        if self._stack is None:
            return
        stack, self._stack = self._stack, None
        files, self._files, self._count = self._files, [], 0
        try:
            bulk_store.audit_files(self._ws, files)
        except BaseException:
            stack.__exit__(*sys.exc_info())
            raise
        stack.close()

    def roll_back(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.__exit__(*sys.exc_info())


@dataclass
class _Prepared:
    """How each file is read: streamed, by the workers (small files), or here."""

    streamed: dict[int, int]  # file index -> its certificate count (a large PEM bundle)
    small: list[str]  # the files for the workers, in order
    here: set[int]  # file indexes read here (PKCS#12, which needs the password)


def _prepare(files: Sequence[Path]) -> _Prepared:
    prepared = _Prepared({}, [], set())
    for index, path in enumerate(files):
        if workers.suffix(path.name) in {"p12", "pfx"}:
            prepared.here.add(index)
        elif (count := _streamed_bundle(path)) is not None:
            prepared.streamed[index] = count
        else:
            prepared.small.append(str(path))
    if len(prepared.small) < PARALLEL_FILES:  # not worth the workers: all read here
        prepared.here.update(i for i in range(len(files)) if i not in prepared.streamed)
        prepared.small = []
    return prepared


class _SmallFiles:
    """The small files read, hashed and parsed by the workers, a few pieces ahead of the one
    being stored, handed out in order."""

    def __init__(self, pool: ProcessPoolExecutor, paths: Sequence[str]) -> None:
        self._pool = pool
        self._chunks = (paths[i : i + FILES_CHUNK] for i in range(0, len(paths), FILES_CHUNK))
        self._ahead: collections.deque[Future[list[workers.FileResult]]] = collections.deque()
        self._ready: collections.deque[workers.FileResult] = collections.deque()
        for _ in range(FILES_AHEAD):
            self._submit()

    def _submit(self) -> None:
        chunk = next(self._chunks, None)
        if chunk is not None:
            self._ahead.append(self._pool.submit(workers.read_files, chunk))

    def peek(self, offset: int) -> workers.FileResult:
        """The file `offset` places after the next one to take, read ahead (waiting for it)."""
        while len(self._ready) <= offset and self._ahead:
            self._ready.extend(self._ahead.popleft().result())
            self._submit()
        return self._ready[offset]

    def take(self, path: Path) -> workers.FileResult:
        if not self._ready:
            self._ready.extend(self._ahead.popleft().result())
            self._submit()
        result = self._ready.popleft()
        if result[0] != str(path):
            raise RuntimeError("the import's workers returned files out of order")
        return result


def import_paths(
    ws: Workspace,
    paths: Sequence[Path],
    p12_password: str | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportSummary:
    summary = ImportSummary()
    files = list(_files(paths))
    prepared = _prepare(files)
    lists = [(str(b.path), dict(b.names)) for b in blocklists.installed(ws)]
    workers.use_lists(lists)
    pools: list[ProcessPoolExecutor] = []

    def pool() -> ProcessPoolExecutor:
        if not pools:
            pools.append(_start_pool(lists, ws.path / DB_NAME))
        return pools[0]

    small = _SmallFiles(pool(), prepared.small) if prepared.small else None
    group = _Group(ws)
    small_indexes = set(range(len(files))) - prepared.here - set(prepared.streamed)
    index = one_by_one_until = 0
    try:
        while index < len(files):
            path = files[index]
            group.begin_file()
            if cancelled is not None and cancelled():
                summary.cancelled = True
                break
            if index in small_indexes and index >= one_by_one_until:
                assert small is not None  # noqa: S101 - the workers read every small file
                run = 0
                while run < min(RUN_FILES, group.room()) and index + run in small_indexes:
                    run += 1
                stored, alone = _store_run(ws, group, files[index : index + run], small,
                                           summary, progress, len(files), index)  # fmt: skip
                index += stored
                one_by_one_until = index + alone
                if stored:
                    continue
            summary.files += 1
            number = index + 1
            index += 1
            report = _reporter(progress, number, len(files), str(path))
            report(0)
            if number - 1 in prepared.streamed:
                # A large PEM bundle is read in blocks: memory stays bounded whatever its size.
                expected = prepared.streamed[number - 1]
                report = _reporter(progress, number, len(files), str(path), expected=expected)
                hasher = hashlib.sha256()
                batches: Iterator[list[Parsed]] = _streamed_batches(path, hasher, pool())
                digest = hasher.hexdigest
            elif number - 1 in prepared.here:
                data = _read(path, summary)
                if data is None:
                    continue
                report = _reporter(progress, number, len(files), str(path), data)
                parallel = _wants_pool(data)  # a large bundle's certificates are counted once
                batches = _batches(data, path.name, p12_password, pool() if parallel else None)
                digest = _digest_of(data)
            else:
                assert small is not None  # noqa: S101 - every other file is a small one
                _, sha256, rows = small.take(path)
                if isinstance(rows, str):
                    summary.refused.append((str(path), rows))
                    continue
                batches = iter([_parsed(rows)])
                digest = _digest_of_hex(sha256)
            try:
                added, duplicates = bulk_store.store(ws, batches, report, cancelled)
            except Cancelled:
                summary.cancelled = True
                break
            except bulk_store.NothingInFile:
                summary.refused.append((str(path), "holds no certificate"))
                continue
            except MALFORMED as exc:
                summary.refused.append((str(path), workers.reason(exc)))
                continue
            except PkiError as exc:
                summary.refused.append((str(path), str(exc)))
                continue
            group.stored(path, digest(), added, duplicates)
            summary.imported += added
            summary.duplicates += duplicates
    except BaseException:
        group.roll_back()  # the open group is rolled back, its audit entry with it
        raise
    else:
        group.commit()
    finally:
        for started in pools:
            started.shutdown(cancel_futures=True)
        workers.use_lists([])
    if summary.imported >= 1000:
        # Fresh statistics, so that each filter's query uses its index (a sampled ANALYZE: fast).
        ws.db.execute("PRAGMA analysis_limit = 1000")
        ws.db.execute("ANALYZE")
    return summary


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


def _start_pool(lists: Sequence[tuple[str, dict[int, str]]], db_path: Path) -> ProcessPoolExecutor:
    # 'spawn': the GUI has threads, and a forked child of a threaded process can deadlock.
    return ProcessPoolExecutor(
        max_workers=WORKERS,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=workers.start_worker,
        initargs=(lists, str(db_path)),
    )


def _digest_of(data: bytes) -> Callable[[], str]:
    return lambda: hashlib.sha256(data).hexdigest()


def _digest_of_hex(sha256: str) -> Callable[[], str]:
    return lambda: sha256


def _streamed_bundle(path: Path) -> int | None:
    """The number of certificates of a PEM bundle too large to read whole (counted in a first
    pass, block by block), or None: a small file, or not a plain PEM certificate bundle."""
    try:
        if path.stat().st_size <= STREAM_MIN_BYTES or workers.suffix(path.name) in {"p12", "pfx"}:
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


def _streamed_batches(path: Path, hasher: Any, pool: ProcessPoolExecutor) -> Iterator[list[Parsed]]:
    """The pieces parsed in the worker processes, a few ahead of the one being stored: memory
    holds those pieces, never the file."""
    ahead: collections.deque[Future[list[workers.Row] | str]] = collections.deque()
    pieces = _stream_pieces(path, hasher)
    for piece in pieces:
        ahead.append(pool.submit(workers.parse_piece, piece))
        if len(ahead) >= STREAM_AHEAD:
            yield _parsed(ahead.popleft().result())
    while ahead:
        yield _parsed(ahead.popleft().result())


def _store_run(
    ws: Workspace,
    group: _Group,
    paths: Sequence[Path],
    small: _SmallFiles,
    summary: ImportSummary,
    progress: Callable[[ImportProgress], None] | None,
    count: int,
    first: int,
) -> tuple[int, int]:
    """Consecutive small files (a folder of DER files) stored together by one set of statements,
    in the open group: a file's statements are most of what storing it costs. Returns (files
    stored, files to store one by one next): the run stops before a file the workers refused;
    when storing the others together meets anything a file would be refused for, nothing of
    them is kept and they are all stored one by one, as before, which says which and why."""
    taken = [small.peek(i) for i in range(len(paths))]
    if any(name != str(path) for (name, _, _), path in zip(taken, paths, strict=True)):
        raise RuntimeError("the import's workers returned files out of order")
    good = next((k for k, (_, _, rows) in enumerate(taken) if isinstance(rows, str) or not rows),
                len(taken))  # fmt: skip
    if good < 2:
        return 0, 1
    results = bulk_store.store_small(ws, [_parsed(rows) for _, _, rows in taken[:good]])
    if results is None:
        return 0, good
    for offset, (path, (_, sha256, _rows), (added, duplicates)) in enumerate(
        zip(paths, taken, results, strict=False)
    ):
        small.take(path)
        if offset:
            group.join()
        summary.files += 1
        _reporter(progress, first + offset + 1, count, str(path))(added)
        group.stored(path, sha256, added, duplicates)
        summary.imported += added
        summary.duplicates += duplicates
    return good, 0


def _parsed(result: list[workers.Row] | str) -> list[Parsed]:
    if isinstance(result, str):
        raise ValueError(result)  # noqa: TRY004 - a malformed certificate
    return workers.parsed_rows(result)


def _read(path: Path, summary: ImportSummary) -> bytes | None:
    """The file's bytes, or None with the reason recorded."""
    data = workers.read_whole(path, MAX_FILE_BYTES)
    if isinstance(data, str):
        summary.refused.append((str(path), data))
        return None
    return data
