"""Signed checkpoints of the audit log, kept outside the database.

The hash chain lives in the same database as the head record it is checked against: whoever can
edit one can cut the tail and edit the other, and a database restored from an older backup looks
intact. Each CRL therefore carries a small JSON checkpoint — the CA, the CRL number and the
audit log's head (sequence number and hash) when that number was reserved — signed by the CA's
key, and `crl export` writes it next to the CRL (`<ca>.checkpoint.json` and `.sig`). `audit
verify` finds the checkpoints in the workspace's exports and checks that the chain still holds
each one; the next CRL number never goes below the highest number a checkpoint or an exported
CRL records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509

from pkiadmin.core.base.display import safe
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import audit

if TYPE_CHECKING:
    from sqlite_utils import Database

KIND = "pkiadmin-audit-checkpoint/1"
SUFFIX = ".checkpoint.json"
_MAX_BYTES = 64 * 1024
_MAX_FILES = 10_000


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    ca_sha256: str
    crl_number: int
    audit_seq: int
    audit_head: str


def make(db: Database, ca_name: str, ca_sha256: str, crl_number: int) -> bytes:
    """The checkpoint's bytes (to be signed by the CA's key): the log's head now."""
    head = audit.entries(db, limit=1)
    return json.dumps(
        {
            "kind": KIND,
            "ca": ca_name,
            "ca_sha256": ca_sha256,
            "crl_number": crl_number,
            "audit_seq": head[0].seq if head else 0,
            "audit_head": head[0].entry_hash if head else audit.GENESIS_HASH,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        indent=2,
        sort_keys=True,
    ).encode()


def _signer_certificates(db: Database) -> dict[str, x509.Certificate]:
    return {
        str(r[1]): inventory.load_certificate(db, int(r[0]))
        for r in db.execute(
            "SELECT c.id, c.sha256 FROM authorities a JOIN certificates c ON c.id = a.cert_id"
        )
    }


def find(db: Database, exports: Path) -> tuple[list[Checkpoint], list[str]]:
    """Valid checkpoints under `exports`, and a sentence for each one that is not."""
    found: list[Checkpoint] = []
    problems: list[str] = []
    if not exports.is_dir():
        return found, problems
    signers = _signer_certificates(db)
    for count, path in enumerate(sorted(exports.rglob(f"*{SUFFIX}"))):
        if count >= _MAX_FILES:
            break
        shown = safe(str(path))
        try:
            data = path.read_bytes()[:_MAX_BYTES]
            signature = path.with_name(path.name + ".sig").read_bytes()[:_MAX_BYTES]
            info = json.loads(data)
            checkpoint = Checkpoint(
                path,
                str(info["ca_sha256"]),
                int(info["crl_number"]),
                int(info["audit_seq"]),
                str(info["audit_head"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(f"the checkpoint {shown} cannot be read (or its .sig is missing)")
            continue
        cert = signers.get(checkpoint.ca_sha256)
        if cert is None:
            problems.append(
                f"the checkpoint {shown} was signed by a CA this database does not hold"
            )
        elif not keys.signature_ok(cert.public_key(), signature, data):
            problems.append(f"the checkpoint {shown} does not carry its CA's valid signature")
        else:
            found.append(checkpoint)
    return found, problems


def problems(db: Database, exports: Path) -> list[str]:
    """Where the audit log or the CRL numbers fall short of a signed checkpoint."""
    found, out = find(db, exports)
    out += report_problems(db)
    last = {
        str(r[0]): int(r[1])
        for r in db.execute(
            "SELECT c.sha256, a.crl_last_number FROM authorities a JOIN certificates c ON c.id = a.cert_id"
        )
    }
    count = int(db.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    for cp in found:
        where = safe(str(cp.path))
        row = db.execute(
            "SELECT entry_hash FROM audit_log WHERE seq = ?", (cp.audit_seq,)
        ).fetchone()
        if row is None:
            out.append(
                f"the audit log ends at entry #{count}, but the checkpoint {where} (CRL {cp.crl_number}) "
                f"records entry #{cp.audit_seq}: the tail of the log was cut, or the database was "
                "restored from an older backup"
            )
        elif str(row[0]) != cp.audit_head:
            out.append(
                f"audit entry #{cp.audit_seq} is not the one the checkpoint {where} records: the chain "
                "was rewritten from there on"
            )
        if last.get(cp.ca_sha256, cp.crl_number) < cp.crl_number:
            out.append(
                f"the checkpoint {where} records CRL {cp.crl_number}, but the database's last CRL number "
                f"is {last[cp.ca_sha256]}; the next CRL number will be {cp.crl_number + 1} or above"
            )
    return out


def report_problems(db: Database) -> list[str]:
    """The audit head each completed ceremony's report recorded must still be in the chain."""
    out: list[str] = []
    hashes = {str(r[0]) for r in db.execute("SELECT entry_hash FROM audit_log")}
    for ceremony_id, folder in db.execute(
        "SELECT id, report_dir FROM ceremonies WHERE status = 'completed' AND report_dir IS NOT NULL"
    ):
        try:
            report = json.loads((Path(folder) / "report.json").read_bytes()[: 16 << 20])
            head = str(report["audit"]["head_before_completion"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # verify-report says what is wrong with the report itself
        if head != audit.GENESIS_HASH and head not in hashes:
            out.append(
                f"the report of ceremony {ceremony_id} ({safe(str(folder))}) recorded audit head "
                f"{head[:16]}…, which the chain no longer holds: it was cut or rewritten"
            )
    return out


def crl_floor(db: Database, exports: Path, ca_sha256: str, ca_cert: x509.Certificate) -> int:
    """The highest CRL number of this CA that any checkpoint or exported CRL (signed by it)
    records."""
    found, _ = find(db, exports)
    floor = max((cp.crl_number for cp in found if cp.ca_sha256 == ca_sha256), default=0)
    if exports.is_dir():
        for path in sorted(exports.rglob("*.crl"))[:_MAX_FILES]:
            try:
                crl = x509.load_der_x509_crl(path.read_bytes())
                if crl.issuer == ca_cert.subject and crl.is_signature_valid(ca_cert.public_key()):  # type: ignore[arg-type]
                    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value
                    floor = max(floor, int(number.crl_number))
            except (OSError, ValueError, TypeError, x509.ExtensionNotFound):
                continue
    return floor
