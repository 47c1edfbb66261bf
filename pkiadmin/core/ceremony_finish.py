"""The end of a ceremony: the root CA, its key file and the signed report, stored all or nothing."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core import atomicfile, ceremony_report, ceremony_store, inventory, keys
from pkiadmin.core.ceremony_steps import CeremonyResult
from pkiadmin.core.errors import StorageError

if TYPE_CHECKING:
    from pkiadmin.core.ceremony import CeremonyRun


def store(
    run: CeremonyRun, cert: x509.Certificate, key: keys.PrivateKey, encrypted: bytes
) -> CeremonyResult:
    """Key file first (removed again on failure), then rows, report files and the event in one transaction."""
    ws = run.ws
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_path = ws.keys_dir / f"root-{hashlib.sha256(spki).hexdigest()[:16]}.key.pem"
    report_dir = ws.exports_dir / "ceremonies" / f"{run.plan.ceremony_id}-{run.id}"
    if report_dir.exists():
        raise StorageError(f"{report_dir} already exists; pkiadmin never overwrites a report.")
    atomicfile.write_new_file(key_path, encrypted, mode=0o600)
    try:
        with ws.db.atomic():
            cert_id = inventory.insert_certificate(ws.db, cert, inventory.Source.ISSUED)
            ws.db.execute(
                "UPDATE certificates SET issuer_cert_id = ? WHERE id = ?", (cert_id, cert_id)
            )
            ca_id = int(
                ws.db.execute(
                    "INSERT INTO authorities (cert_id, name, kind, key_backend, key_ref, ski_method, created_at,"
                    " key_protection, ceremony_id) VALUES (?, ?, 'root', 'file', ?, ?, ?, 'slip39', ?)",
                    (
                        cert_id,
                        inventory.common_name(cert.subject),
                        key_path.name,
                        run.plan.root.ski_method.value,
                        ceremony_store.now_text(),
                        run.id,
                    ),
                ).lastrowid
                or 0
            )
            ws.db.execute(
                "UPDATE ceremonies SET status = 'completed', ended_at = ?, ca_id = ?, report_dir = ? WHERE id = ?",
                (ceremony_store.now_text(), ca_id, str(report_dir), run.id),
            )
            report_dir.mkdir(parents=True)
            report = ceremony_report.build(run, ca_id, cert_id, key_path, encrypted)
            files = ceremony_report.write(report_dir, report, run.plan.text, cert, key)
            ceremony_store.record_event(
                ws.db,
                run.id,
                "-",
                "completed",
                run.plan.administrator.name,
                {
                    "ca_id": ca_id,
                    "cert_id": cert_id,
                    "report": dict(files),
                },
            )
    except (OSError, sqlite3.Error) as exc:
        atomicfile.remove_new_file(key_path)
        shutil.rmtree(report_dir, ignore_errors=True)
        raise StorageError(
            f"Storing the new root CA and its report failed ({exc}); nothing was kept. Free space and finish again."
        ) from exc
    except BaseException:
        atomicfile.remove_new_file(key_path)
        shutil.rmtree(report_dir, ignore_errors=True)
        raise
    return CeremonyResult(run.id, ca_id, cert_id, key_path, report_dir)
