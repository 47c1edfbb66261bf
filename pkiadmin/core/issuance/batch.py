"""Signing many service CSRs under one profile in one operation: every plan first (each CSR that
breaks the profile is named with the reason and left out), one confirmation, one unlock of the
issuing CA's key, then each certificate signed and stored whole or not at all, with its own audit
entry."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.issuance import end_entity, intermediate, requests
from pkiadmin.core.issuance.end_entity import EndEntityPlan
from pkiadmin.core.keys.files import PrivateKey
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.cert_profiles import CertProfile
from pkiadmin.core.x509.csr import CsrInfo
from pkiadmin.core.x509.fields import NameCache

CSR_SUFFIXES = (".csr", ".pem", ".req", ".der")
# One thread more than the cores: while one holds the interpreter lock for its Python parts, the
# others sign and verify (which release it). Measured: 3 threads beat 2 on two cores.
SIGNING_THREADS = min(8, (os.cpu_count() or 2) + 1)
AHEAD = 8  # certificates signed ahead of the one being stored; a cancel discards at most these
GROUP_MAX = 64  # certificates committed together in one set of statements
GROUP_S = 0.5  # and at least this often, so a cancel or a kill loses little work


@dataclass(frozen=True)
class BatchItem:
    source: str  # the file it came from
    data: bytes  # the CSR as read; imported only when it is signed
    request: x509.CertificateSigningRequest
    info: CsrInfo
    plan: EndEntityPlan


@dataclass(frozen=True)
class BatchPlan:
    issuer_ca_id: int
    profile: CertProfile
    items: tuple[BatchItem, ...]
    refused: tuple[tuple[str, str], ...]  # (file, why), nothing of it stored or signed


@dataclass(frozen=True)
class BatchProgress:
    done: int
    total: int
    source: str


@dataclass
class BatchResult:
    issued: list[tuple[str, int]] = field(default_factory=list)  # (file, certificate id)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why), nothing stored
    cancelled: bool = False


def csr_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in CSR_SUFFIXES)


def plan_folder(
    ws: Workspace,
    issuer_ca_id: int,
    folder: Path,
    profile: CertProfile,
    validity_days: int | None = None,
) -> BatchPlan:
    """Check each CSR of `folder` and plan its certificate; nothing is stored yet."""
    items: list[BatchItem] = []
    refused: list[tuple[str, str]] = []
    issuer = end_entity.Issuer.read(ws, issuer_ca_id)

    def plan_one(path: Path) -> BatchItem | tuple[str, str]:
        try:
            data = path.read_bytes()
            request, info = requests.acceptable(data, path.name, issuer.known_bad_lists)
            plan = end_entity.prepare(
                ws, issuer_ca_id, request, profile, validity_days, issuer_read=issuer
            )
        except PkiError as exc:
            return (path.name, str(exc))
        except OSError as exc:
            return (path.name, f"cannot be read ({exc.strerror})")
        return BatchItem(path.name, data, request, info, plan)

    # In this thread: planning is mostly Python, and two threads contending for the interpreter
    # lock plan a fifth slower than one (the CSR signature check is a small part of it).
    for planned in map(plan_one, csr_files(folder)):
        if isinstance(planned, BatchItem):
            items.append(planned)
        else:
            refused.append(planned)
    return BatchPlan(issuer_ca_id, profile, tuple(items), tuple(refused))


def sign(
    ws: Workspace,
    batch: BatchPlan,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
    progress: Callable[[BatchProgress], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> BatchResult:
    """One unlock; every CSR imported and reserved in one transaction (so a second signing of any
    of them stops before anything is signed); then each certificate lint-then-signed and stored
    with its own audit entry, a group of them (GROUP_MAX certificates or GROUP_S seconds of
    signing) in one transaction, each whole or not at all. A certificate that fails its checks is named, its
    CSR released, and the others go on; a process killed mid-group stores none of that group
    (nothing of it has left the process: the certificates are only in the inventory, and their
    CSRs' reservations are taken over by the next signing). The workspace's write lock is held
    for the whole batch.

    Signing runs ahead in worker threads (the signature and its verification release the
    interpreter lock) while this thread stores the certificates in order; the database is only
    touched here."""
    result = BatchResult()
    key = intermediate.unlock_issuer_key(ws, batch.issuer_ca_id, key_passphrase, share_words)
    try:
        with ws.db.holding():
            reserved = _import_and_reserve(ws, batch, result)
            _sign_and_store(ws, reserved, key, result, progress, cancelled)
    finally:
        intermediate.release_key(key)
    return result


def _sign_and_store(
    ws: Workspace,
    reserved: Sequence[tuple[BatchItem, int]],
    key: PrivateKey,
    result: BatchResult,
    progress: Callable[[BatchProgress], None] | None,
    cancelled: Callable[[], bool],
) -> None:
    pool = ThreadPoolExecutor(SIGNING_THREADS, thread_name_prefix="pkiadmin-batch-sign")
    ahead: deque[Future[end_entity.SignedEndEntity]] = deque()
    names = NameCache()
    position = 0  # the next certificate to take from the signing threads

    def sign_ahead() -> None:
        while len(ahead) < AHEAD and position + len(ahead) < len(reserved):
            plan = reserved[position + len(ahead)][0].plan
            ahead.append(pool.submit(end_entity.sign_certificate, ws, plan, key, names))

    broken: BaseException | None = None  # a signing thread's unexpected error
    try:
        while position < len(reserved) and not result.cancelled and broken is None:
            # A group of signed certificates, stored with one commit (the fsync and the search
            # index's segment are much of a certificate's cost).
            group: list[tuple[BatchItem, int, end_entity.SignedEndEntity]] = []
            group_start, started = position, time.monotonic()
            while (
                position < len(reserved)
                and len(group) < GROUP_MAX
                and time.monotonic() - started < GROUP_S
            ):
                if cancelled():
                    result.cancelled = True
                    break
                item, csr_id = reserved[position]
                sign_ahead()
                try:
                    group.append((item, csr_id, ahead.popleft().result()))
                except PkiError as exc:
                    _release(ws, [csr_id])
                    result.failed.append((item.source, str(exc)))
                except Exception as exc:  # noqa: BLE001 - re-raised once the group is kept
                    broken = exc
                    break
                position += 1
            try:
                stored = _store_group(ws, group, result)
            except BaseException:
                # The group was rolled back (its commit failed, or the process is stopping):
                # none of it is stored.
                _release(ws, [c for _, c in reserved[group_start:]])
                raise
            result.issued += stored
            if progress is not None:
                for n, (source, _) in enumerate(stored, start=len(result.issued) - len(stored)):
                    progress(BatchProgress(n + 1, len(reserved), source))
        if result.cancelled or broken is not None:
            _release(ws, [c for _, c in reserved[position:]])
        if broken is not None:
            raise broken
    finally:
        # Certificates signed ahead of a cancel or a failure are dropped unstored: they never
        # left this process and are valid nowhere.
        pool.shutdown(wait=True, cancel_futures=True)


def _store_group(
    ws: Workspace,
    group: Sequence[tuple[BatchItem, int, end_entity.SignedEndEntity]],
    result: BatchResult,
) -> list[tuple[str, int]]:
    """One transaction: the group in one set of statements; if one certificate of it cannot be
    stored (a serial already used, a CSR signed meanwhile), each one in a savepoint of its own,
    whole or not at all, and the one that failed named. Returns (file, certificate id) stored."""
    if not group:
        return []
    stored: list[tuple[str, int]] = []
    with ws.db.atomic():
        try:
            with ws.db.atomic():
                ids = end_entity.store_signed_many(ws, [(i.plan, s, c) for i, c, s in group])
            return [(i.source, cert_id) for (i, _, _), (cert_id, _) in zip(group, ids, strict=True)]
        except PkiError:
            pass  # the savepoint is rolled back: one by one, to name the one that failed
        for item, csr_id, signed in group:
            try:
                with ws.db.atomic():
                    cert_id, _seq = end_entity.store_signed(ws, item.plan, signed, csr_id)
            except PkiError as exc:
                _release(ws, [csr_id])
                result.failed.append((item.source, str(exc)))
            else:
                stored.append((item.source, cert_id))
    return stored


def _import_and_reserve(
    ws: Workspace, batch: BatchPlan, result: BatchResult
) -> list[tuple[BatchItem, int]]:
    """Each CSR imported (its own audit entry), then all of them reserved (one entry), in one
    transaction. A CSR that cannot be imported (it was imported before) is named and left out."""
    reserved: list[tuple[BatchItem, int]] = []
    with ws.db.atomic():
        for item in batch.items:
            try:
                record = requests.store_checked(ws, item.request, item.info, item.source)
            except PkiError as exc:
                result.failed.append((item.source, str(exc)))
            else:
                reserved.append((item, record.id))
        if reserved:
            intermediate.reserve_csrs(ws, [csr_id for _, csr_id in reserved])
    return reserved


def _release(ws: Workspace, csr_ids: Sequence[int]) -> None:
    for csr_id in csr_ids:
        intermediate.release_csr(ws, csr_id)


def preview(batch: BatchPlan) -> str:
    """Every certificate with every decision, and every CSR left out with the reason."""
    lines = [f"Profile: {batch.profile.describe()}", f"{len(batch.items)} certificate(s):"]
    for item in batch.items:
        lines.append(f"- {item.source}")
        lines += [f"    {line}" for line in end_entity.preview(item.plan).splitlines()[1:]]
    if batch.refused:
        lines.append(f"{len(batch.refused)} CSR(s) left out, nothing stored for them:")
        lines += [f"- {name}: {why}" for name, why in batch.refused]
    return "\n".join(lines)
