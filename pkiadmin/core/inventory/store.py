"""Storing the certificates of one imported file: whole or nothing, under a savepoint of the
import's transaction, whose one audit entry lists every file it stored with its SHA-256.
Duplicates (by SHA-256) are counted and skipped, a reused issuer+serial refuses the file, and
each certificate is linked to the inventory certificate that verifiably signed it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.inventory.import_workers import MALFORMED, Parsed
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import fields as certfields


class Cancelled(Exception):  # noqa: N818 - a request, not an error
    """The import was cancelled while this file was being stored; the file was rolled back."""


class NothingInFile(Exception):  # noqa: N818
    """The file holds no certificate."""


class StoredFile(NamedTuple):
    path: str
    sha256: str
    added: int
    duplicates: int


def store(
    ws: Workspace,
    batches: Iterable[list[Parsed]],
    report: Callable[[int], None],
    cancelled: Callable[[], bool] | None = None,
) -> tuple[int, int]:
    """Store one file's certificates, batch by batch, whole or not at all (a savepoint of the
    import's transaction, whose audit entry the caller writes); (added, duplicates)."""
    # Only the file's CA certificates are kept until the end (to adopt what they signed):
    # memory holds a batch, not the file.
    cas: list[tuple[int, certfields.CertFields]] = []
    total = added_count = last = 0
    with ws.db.atomic():
        start = _last_id(ws)
        for batch in batches:
            total += len(batch)
            added = _insert_linked(ws, batch, start)
            cas += [(cert_id, f) for cert_id, f in added if f.is_ca]
            added_count += len(added)
            last = max([last, *(cert_id for cert_id, _ in added)])
            report(added_count)
            if cancelled is not None and cancelled():
                raise Cancelled
        if total == 0:
            raise NothingInFile
        _adopt_orphans(ws, cas, last + 1)
    return added_count, total - added_count


def store_small(ws: Workspace, files: Sequence[Sequence[Parsed]]) -> list[tuple[int, int]] | None:
    """Several small files' certificates (a folder of DER files: one each) stored by one set of
    statements under one savepoint: [(added, duplicates)] per file. None, with nothing of them
    kept, when storing them together meets anything a file would be refused for (no
    certificate, a reused serial, a malformed field): the caller then stores them one by one,
    which keeps each file whole or not at all and says which was refused and why."""
    if not files or not all(files):
        return None
    owner: dict[int, int] = {}  # id() of a certificate's fields -> its file's index
    for index, parsed in enumerate(files):
        owner.update((id(p.fields), index) for p in parsed)
    everything = [p for parsed in files for p in parsed]
    added_per_file = [0] * len(files)
    try:
        with ws.db.atomic():
            added = _insert_linked(ws, everything, _last_id(ws))
            cas = [(cert_id, f) for cert_id, f in added if f.is_ca]
            if cas:
                _adopt_orphans(ws, cas, max(cert_id for cert_id, _ in added) + 1)
    except (*MALFORMED, PkiError):
        return None
    for _, f in added:
        added_per_file[owner[id(f)]] += 1
    return [(n, len(parsed) - n) for n, parsed in zip(added_per_file, files, strict=True)]


def audit_files(ws: Workspace, files: Sequence[StoredFile]) -> None:
    """One audit entry for files stored under one commit, listing each with its SHA-256."""
    if not files:
        return
    audit.append(
        ws.db,
        "cert.import",
        {"files": len(files)},
        artefacts=tuple(audit.Artefact(f.path, f.sha256) for f in files),
        details={
            "imported": sum(f.added for f in files),
            "duplicates": sum(f.duplicates for f in files),
            "per_file": [[f.added, f.duplicates] for f in files],
        },
    )


def _last_id(ws: Workspace) -> int:
    return int(ws.db.execute("SELECT COALESCE(MAX(id), 0) FROM certificates").fetchone()[0])


def _insert_linked(
    ws: Workspace, parsed: Sequence[Parsed], start: int
) -> list[tuple[int, certfields.CertFields]]:
    """Insert certificates the inventory does not hold yet, refuse a reused serial (ids above
    `start` are this store's), link each stored one to its issuer; (id, fields) of those stored."""
    checked = {id(p.fields): p for p in parsed}
    added, left_out = inventory.insert_new(
        ws.db, [p.fields for p in parsed], certrecord.Source.IMPORTED
    )
    _refuse_reused_serials(ws, left_out, start)
    _link_issuers(ws, [(cert_id, checked[id(f)]) for cert_id, f in added])
    return added


def _chunks(items: Sequence[str], size: int = 900) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _refuse_reused_serials(
    ws: Workspace, left_out: list[certfields.CertFields], start: int
) -> None:
    """Of the certificates the inventory did not take, those it already holds (from before, or
    earlier in this file) are duplicates. Any other was left out for its issuer and serial, which
    another certificate already has: RFC 5280 forbids that, and the file is refused."""
    digests = [f.sha256 for f in left_out]
    present: set[str] = set()
    for chunk in _chunks(digests):
        marks = ",".join("?" * len(chunk))
        present.update(
            str(r[0])
            for r in ws.db.execute(
                f"SELECT sha256 FROM certificates WHERE sha256 IN ({marks})",  # noqa: S608 - placeholders
                tuple(chunk),
            )
        )
    for f in left_out:
        if f.sha256 in present:
            continue
        clash = ws.db.execute(
            "SELECT id FROM certificates WHERE issuer_hash = ? AND serial_hex = ?",
            (f.issuer_hash, f.serial_hex),
        ).fetchone()
        if clash is None:
            raise RuntimeError("a certificate was left out of the inventory for no known reason")
        if int(clash[0]) > start:
            raise ValueError(
                f"it holds two different certificates with issuer {f.issuer} and serial {f.serial_hex}: "
                "a reused serial number, which RFC 5280 forbids"
            )
        raise ValueError(
            f"it holds a certificate with the issuer and serial of certificate {clash[0]} but other "
            "contents: a reused serial number, which RFC 5280 forbids"
        )


def _link_issuers(ws: Workspace, stored: list[tuple[int, Parsed]]) -> None:
    """Self-issued certificates link to themselves; others to the CA certificate in the inventory
    (this file's included) with the issuer's name whose key verifies their signature. A worker
    process has checked the CAs it could see; only the others are checked here."""
    candidates: dict[str, list[int]] = {}
    loaded: dict[int, x509.Certificate] = {}
    links: list[tuple[int, int]] = []
    for cert_id, (f, issuer_id, tried) in stored:
        if f.self_issued:
            links.append((cert_id, cert_id))
            continue
        if issuer_id is not None:
            links.append((issuer_id, cert_id))
            continue
        if f.issuer not in candidates:
            candidates[f.issuer] = [
                int(row[0])
                for row in ws.db.execute(
                    "SELECT id FROM certificates WHERE subject = ? AND is_ca = 1", (f.issuer,)
                )
            ]
        unchecked = [i for i in candidates[f.issuer] if i not in tried]
        if not unchecked:
            continue
        cert = x509.load_der_x509_certificate(f.der)
        for candidate in unchecked:
            if candidate not in loaded:
                loaded[candidate] = inventory.load_certificate(ws.db, candidate)
            try:
                cert.verify_directly_issued_by(loaded[candidate])
            except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                continue
            links.append((candidate, cert_id))
            break
    ws.db.conn.executemany("UPDATE certificates SET issuer_cert_id = ? WHERE id = ?", links)


def _adopt_orphans(ws: Workspace, cas: list[tuple[int, certfields.CertFields]], first: int) -> None:
    """Certificates stored before their issuer (ids below `first`: earlier in this store, or in
    an earlier import) are linked now to a new CA that verifiably signed them. Found by the
    issuer-name number's index, not by a scan."""
    links = []
    for ca_id, f in cas:
        ca = x509.load_der_x509_certificate(f.der)
        subject_hash = hashlib.sha256(ca.subject.public_bytes()).hexdigest()
        rows = ws.db.execute(
            "SELECT c.id, d.der FROM certificates c JOIN certificate_der d ON d.cert_id = c.id"
            " WHERE c.issuer_no = (SELECT no FROM issuer_names WHERE issuer_hash = ?)"
            " AND c.issuer_cert_id IS NULL AND c.id < ?",
            (subject_hash, first),
        ).fetchall()
        for orphan_id, orphan_der in rows:
            try:
                x509.load_der_x509_certificate(orphan_der).verify_directly_issued_by(ca)
            except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                continue
            links.append((ca_id, int(orphan_id)))
    ws.db.conn.executemany("UPDATE certificates SET issuer_cert_id = ? WHERE id = ?", links)
