"""Signing many service CSRs under one profile in one operation: every plan first (each CSR that
breaks the profile is named with the reason and left out), one confirmation, one unlock of the
issuing CA's key, then each certificate signed and stored on its own, with its own audit entry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.issuance import end_entity, intermediate, requests
from pkiadmin.core.issuance.end_entity import EndEntityPlan
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.cert_profiles import CertProfile
from pkiadmin.core.x509.csr import CsrInfo

CSR_SUFFIXES = (".csr", ".pem", ".req", ".der")


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
    for path in csr_files(folder):
        try:
            data = path.read_bytes()
            request, info = requests.acceptable(data, path.name)
            plan = end_entity.prepare(
                ws, issuer_ca_id, request, profile, validity_days, issuer_read=issuer
            )
        except PkiError as exc:
            refused.append((path.name, str(exc)))
        except OSError as exc:
            refused.append((path.name, f"cannot be read ({exc.strerror})"))
        else:
            items.append(BatchItem(path.name, data, request, info, plan))
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
    with its own audit entry. A certificate that fails its checks is named, its CSR released,
    and the others go on. The workspace's write lock is held for the whole batch."""
    result = BatchResult()
    key = intermediate.unlock_issuer_key(ws, batch.issuer_ca_id, key_passphrase, share_words)
    try:
        with ws.db.holding():
            reserved = _import_and_reserve(ws, batch, result)
            for number, (item, csr_id) in enumerate(reserved, start=1):
                if cancelled():
                    result.cancelled = True
                    _release(ws, [c for _, c in reserved[number - 1 :]])
                    break
                try:
                    signed = end_entity.sign_certificate(ws, item.plan, key)
                    with ws.db.atomic():
                        cert_id, _seq = end_entity.store_signed(ws, item.plan, signed, csr_id)
                except PkiError as exc:
                    _release(ws, [csr_id])
                    result.failed.append((item.source, str(exc)))
                except BaseException:
                    _release(ws, [c for _, c in reserved[number - 1 :]])
                    raise
                else:
                    result.issued.append((item.source, cert_id))
                if progress is not None:
                    progress(BatchProgress(number, len(reserved), item.source))
    finally:
        intermediate.release_key(key)
    return result


def _import_and_reserve(
    ws: Workspace, batch: BatchPlan, result: BatchResult
) -> list[tuple[BatchItem, int]]:
    reserved: list[tuple[BatchItem, int]] = []
    with ws.db.atomic():
        for item in batch.items:
            try:
                record = requests.store_checked(ws, item.request, item.info, item.source)
                intermediate.reserve_csr(ws, record.id)
            except PkiError as exc:
                result.failed.append((item.source, str(exc)))
            else:
                reserved.append((item, record.id))
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
