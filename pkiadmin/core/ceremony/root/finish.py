"""The end of a ceremony: the root CA, its key file and the signed report, stored all or nothing."""

from __future__ import annotations

import shutil
import sqlite3

from cryptography import x509

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import StorageError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.root import report as ceremony_report
from pkiadmin.core.ceremony.root.steps import CeremonyFacts, CeremonyResult
from pkiadmin.core.issuance import authorities
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import pkcs11 as hsm


def store(
    run: CeremonyFacts, cert: x509.Certificate, key: keys.PrivateKey, encrypted: bytes | None
) -> CeremonyResult:
    """Key file first (removed again on failure), then rows, report files and the event in one
    transaction. A key on a token has no file: the CA records its PKCS#11 URI."""
    ws = run.ws
    token = run.plan.token
    key_path = authorities.root_key_path(ws, cert)
    report_dir = ws.exports_dir / "ceremonies" / f"{run.plan.ceremony_id}-{run.ceremony_id}"
    if report_dir.exists():
        raise StorageError(f"{report_dir} already exists; pkiadmin never overwrites a report.")
    # The report is written to a hidden folder and published (renamed) only after the commit; the
    # key file is written inside the transaction (which holds the workspace's write lock). A kill
    # at any point leaves no report that verifies and no key file that a CA names.
    staging = report_dir.with_name(f".{report_dir.name}.partial")
    written = False
    try:
        with ws.db.atomic():
            if encrypted is not None:
                atomicfile.write_new_file(key_path, encrypted, mode=0o600)
                written = True
            cert_id, ca_id = authorities.insert_root(
                ws.db,
                cert,
                hsm.KeyRef(token.token, token.key_label, token.module).uri()
                if token
                else key_path.name,
                run.plan.root.ski_method.value,
                key_protection="pin" if token else "slip39",
                ceremony_id=run.ceremony_id,
                key_backend="pkcs11" if token else "file",
            )
            ws.db.execute(
                "UPDATE ceremonies SET status = 'completed', ended_at = ?, ca_id = ?, report_dir = ? WHERE id = ?",
                (ceremony_store.now_text(), ca_id, str(report_dir), run.ceremony_id),
            )
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            report = ceremony_report.build(run, ca_id, cert_id, key_path, encrypted)
            files = ceremony_report.write(staging, report, run.plan.text, cert, key)
            ceremony_store.record_event(
                ws.db,
                run.ceremony_id,
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
        if written:
            atomicfile.remove_new_file(key_path)
        shutil.rmtree(staging, ignore_errors=True)
        raise StorageError(
            f"Storing the new root CA and its report failed ({exc}); nothing was kept. Free space and finish again."
        ) from exc
    except BaseException:
        if written:
            atomicfile.remove_new_file(key_path)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    staging.rename(report_dir)  # published: the ceremony is completed in the workspace
    if token:
        uri = hsm.KeyRef(token.token, token.key_label, token.module).uri()
        return CeremonyResult(run.ceremony_id, ca_id, cert_id, None, report_dir, uri)
    return CeremonyResult(run.ceremony_id, ca_id, cert_id, key_path, report_dir)
