"""The database checked against its own audit log.

The audit log records every change; the tables are its result. Replaying what the log says about
revocations, CAs, certificates signed here and CRLs, and comparing it with the tables, catches an
edit made behind pkiadmin's back (with sqlite3, say) that the hash chain cannot see, because the
chain covers only the log's own rows. Each difference is named with the entry that recorded the
original. Key use (`authorities.unlock_key`) is refused while there is any."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkiadmin.core.base.errors import CheckFailedError
from pkiadmin.core.integrity import checkpoint
from pkiadmin.core.workspace import audit

if TYPE_CHECKING:
    from sqlite_utils import Database

_OPERATIONS = (
    "cert.revoke",
    "cert.revoke-batch",
    "crl.issue",
    "crl.number-reserved",
    "ca.create-root",
    "ca.create-intermediate",
    "ca.adopt",
    "ca.sign-intermediate",
    "ca.sign-end-entity",
    "ca.cross-sign",
    "ca.renew",
    "ca.sign-link",
    "ceremony.completed",
    "ocsp.sign",
)


def _entries(
    db: Database,
) -> Iterator[tuple[int, str, dict[str, Any], list[list[str]], dict[str, Any]]]:
    marks = ",".join("?" * len(_OPERATIONS))
    for row in db.execute(
        f"SELECT seq, operation, objects, artefacts, details FROM audit_log WHERE operation IN ({marks})"  # noqa: S608
        " ORDER BY seq",
        _OPERATIONS,
    ):
        yield int(row[0]), str(row[1]), json.loads(row[2]), json.loads(row[3]), json.loads(row[4])


def differences(db: Database) -> tuple[str, ...]:
    """Every way the tables differ from what the audit log recorded; () when they agree."""
    found: list[str] = []
    revoked: dict[int, tuple[int, dict[str, Any], dict[str, Any]]] = {}
    crls: dict[tuple[int, int], tuple[int, str]] = {}
    reserved: dict[int, tuple[int, int]] = {}
    cas: dict[int, tuple[int, int]] = {}
    certs: dict[int, tuple[int, str]] = {}
    keys: dict[int, tuple[int, str]] = {}
    ocsp: dict[int, tuple[int, dict[str, Any], str]] = {}
    batches: dict[int, tuple[int, str]] = {}
    for seq, operation, objects, artefacts, details in _entries(db):
        named = {str(a[0]): str(a[1]) for a in artefacts}
        if operation == "cert.revoke":
            revoked[int(objects["cert_id"])] = (seq, objects, details)
        elif operation == "cert.revoke-batch":
            batches[int(objects["batch"])] = (seq, named.get("revocations", ""))
        elif operation == "crl.issue":
            crls[(int(objects["ca_id"]), int(objects["number"]))] = (
                seq,
                named.get(f"CRL {objects['number']}", ""),
            )
        elif operation == "crl.number-reserved":
            reserved[int(objects["ca_id"])] = (seq, int(objects["number"]))
        elif operation in (
            "ca.create-root",
            "ca.create-intermediate",
            "ca.adopt",
            "ca.renew",
            "ceremony.completed",
        ):
            source = details if operation == "ceremony.completed" else objects
            if "ca_id" in source and "cert_id" in source:
                ca_id = int(source["ca_id"])
                cas[ca_id] = (seq, int(source["cert_id"]))
                key = next((n[5:] for n in named if n.startswith("keys/")), None)
                if key:
                    keys[ca_id] = (seq, key)
                if "certificate" in named:
                    certs[int(source["cert_id"])] = (seq, named["certificate"])
        elif (
            operation
            in ("ca.sign-intermediate", "ca.sign-end-entity", "ca.cross-sign", "ca.sign-link")
            and "certificate" in named
        ):
            certs[int(objects["cert_id"])] = (seq, named["certificate"])
        elif operation == "ocsp.sign":
            manifest = next(iter(named.values()), "")
            ocsp[int(objects["batch_id"])] = (seq, {**objects, **details}, manifest)
    found += _revocations(db, revoked)
    found += _revocation_batches(db, batches)
    found += _ocsp_batches(db, ocsp)
    found += _crls(db, crls, reserved)
    found += _authorities(db, cas, keys)
    found += _certificates(db, certs)
    return tuple(found)


def batch_manifest(rows: Sequence[Sequence[Any]]) -> bytes:
    """The canonical text of a batch: one line per revocation (cert id, serial, CA id, reason,
    revocation date, invalidity date), by certificate id; what its audit entry's SHA-256 names
    and what the audit replay recomputes from the rows."""
    lines = sorted(
        (int(r[0]), f"{int(r[0])} {r[1]} {int(r[2])} {r[3]} {r[4]} {r[5] or '-'}") for r in rows
    )
    return "".join(f"{line}\n" for _, line in lines).encode("ascii")


def _ocsp_batches(db: Database, recorded: dict[int, tuple[int, dict[str, Any], str]]) -> list[str]:
    """Each OCSP signing as recorded: its CA, validity, counts and manifest (the calendar trusts
    these rows to say when responses expire)."""
    found = []
    rows = {
        int(r[0]): r
        for r in db.execute(
            "SELECT id, ca_id, this_update, next_update, responses, revoked, manifest_sha256"
            " FROM ocsp_batches"
        )
    }
    for batch_id, (seq, facts, manifest) in recorded.items():
        row = rows.get(batch_id)
        if row is None:
            found.append(f"OCSP batch {batch_id} recorded in audit entry #{seq} is missing")
            continue
        expected = (
            facts.get("ca_id"),
            facts.get("this_update"),
            facts.get("next_update"),
            facts.get("responses"),
            facts.get("revoked"),
            manifest,
        )
        if tuple(row[1:]) != expected:
            found.append(
                f"OCSP batch {batch_id} (audit entry #{seq}) differs from what the audit log "
                "recorded (CA, validity, counts or manifest)"
            )
    for batch_id in rows.keys() - recorded.keys():
        found.append(f"OCSP batch {batch_id} is in the database but no audit entry recorded it")
    return found


def _revocations(
    db: Database, revoked: dict[int, tuple[int, dict[str, Any], dict[str, Any]]]
) -> list[str]:
    found = []
    rows = {
        int(r[0]): r
        for r in db.execute(
            "SELECT cert_id, ca_id, serial, reason, revoked_at, invalidity_date, id FROM revocations"
            " WHERE batch IS NULL"
        )
    }
    for cert_id, (seq, objects, details) in revoked.items():
        row = rows.get(cert_id)
        serial = objects.get("serial", "?")
        if row is None:
            found.append(
                f"the revocation of serial {serial} recorded in audit entry #{seq} is missing from "
                "the database"
            )
            continue
        recorded = {
            "serial": serial,
            "issuer": objects.get("ca_id"),
            "reason": details.get("reason"),
            "revocation date": details.get("revoked_at"),
            "invalidity date": details.get("invalidity_date"),
        }
        stored = {
            "serial": row[2],
            "issuer": row[1],
            "reason": row[3],
            "revocation date": row[4],
            "invalidity date": row[5],
        }
        for field, value in recorded.items():
            if stored[field] != value:
                found.append(
                    f"the revocation of serial {serial} (audit entry #{seq}): the database says "
                    f"{field} {stored[field]!r}, the audit log recorded {value!r}"
                )
    for cert_id, row in rows.items():
        if cert_id not in revoked:
            found.append(
                f"revocation {row[6]} (serial {row[2]}) is in the database but no audit entry "
                "recorded it"
            )
    return found


def _revocation_batches(db: Database, recorded: dict[int, tuple[int, str]]) -> list[str]:
    """Each mass revocation as recorded: the SHA-256 of its manifest, recomputed from its rows."""
    found = []
    rows: dict[int, list[Any]] = {}
    for r in db.execute(
        "SELECT batch, cert_id, serial, ca_id, reason, revoked_at, invalidity_date FROM revocations"
        " WHERE batch IS NOT NULL"
    ):
        rows.setdefault(int(r[0]), []).append(r[1:])
    for batch, (seq, digest) in recorded.items():
        got = hashlib.sha256(batch_manifest(rows.get(batch, []))).hexdigest()
        if got != digest:
            found.append(
                f"the revocations of batch {batch} (audit entry #{seq}) differ from what the audit "
                "log recorded (a revocation added, removed or changed)"
            )
    for batch in rows.keys() - recorded.keys():
        found.append(f"revocation batch {batch} is in the database but no audit entry recorded it")
    return found


def _crls(
    db: Database,
    crls: dict[tuple[int, int], tuple[int, str]],
    reserved: dict[int, tuple[int, int]],
) -> list[str]:
    found = []
    rows = {
        (int(r[0]), int(r[1])): str(r[2])
        for r in db.execute("SELECT ca_id, number, sha256 FROM crls")
    }
    for (ca_id, number), (seq, digest) in crls.items():
        stored = rows.get((ca_id, number))
        if stored is None:
            found.append(
                f"CRL {number} of CA {ca_id} (audit entry #{seq}) is missing from the database"
            )
        elif digest and stored != digest:
            found.append(
                f"CRL {number} of CA {ca_id} in the database is not the one signed (audit entry #{seq} "
                "recorded another SHA-256)"
            )
    for ca_id, number in rows:
        if (ca_id, number) not in crls:
            found.append(
                f"CRL {number} of CA {ca_id} is in the database but no audit entry recorded it"
            )
    last = {int(r[0]): int(r[1]) for r in db.execute("SELECT id, crl_last_number FROM authorities")}
    for ca_id, (seq, number) in reserved.items():
        if last.get(ca_id, number) < number:
            found.append(
                f"CA {ca_id}'s last CRL number is {last[ca_id]} in the database, but audit entry #{seq} "
                f"reserved number {number}: the next CRL would reuse a number"
            )
    return found


def _authorities(
    db: Database, cas: dict[int, tuple[int, int]], keys: dict[int, tuple[int, str]]
) -> list[str]:
    found = []
    rows = {
        int(r[0]): (int(r[1]), str(r[2]), str(r[3]))
        for r in db.execute("SELECT id, cert_id, key_ref, name FROM authorities")
    }
    for ca_id, (seq, cert_id) in cas.items():
        row = rows.get(ca_id)
        if row is None:
            found.append(f"CA {ca_id}, created in audit entry #{seq}, is missing from the database")
            continue
        if row[0] != cert_id:
            found.append(
                f"CA {ca_id} ('{row[2]}') points at certificate {row[0]}, but audit entry #{seq} "
                f"recorded certificate {cert_id}"
            )
        if ca_id in keys and row[1] != keys[ca_id][1]:
            found.append(
                f"CA {ca_id} ('{row[2]}') names the key {row[1]!r}, but audit entry #{keys[ca_id][0]} "
                f"recorded {keys[ca_id][1]!r}"
            )
    for ca_id, row in rows.items():
        if ca_id not in cas:
            found.append(
                f"CA {ca_id} ('{row[2]}') is in the database but no audit entry created it"
            )
    return found


def _certificates(db: Database, certs: dict[int, tuple[int, str]]) -> list[str]:
    found = []
    for cert_id, (seq, digest) in certs.items():
        row = db.execute("SELECT sha256 FROM certificates WHERE id = ?", (cert_id,)).fetchone()
        if row is None:
            found.append(
                f"certificate {cert_id}, signed or created in audit entry #{seq}, is missing from "
                "the database"
            )
        elif str(row[0]) != digest:
            found.append(
                f"certificate {cert_id} in the database is not the one recorded in audit entry #{seq} "
                "(another SHA-256)"
            )
    return found


def verify(db: Database, exports: Path | None = None) -> audit.AuditVerdict:
    """The hash chain, then the tables against what it recorded; with the workspace's exports
    folder, also the chain and the CRL numbers against the signed checkpoints found there."""
    verdict = audit.verify(db)
    if exports is not None:
        outside = checkpoint.problems(db, exports)
        if outside:
            return dataclasses.replace(
                verdict,
                ok=False,
                problem=verdict.problem or outside[0],
                first_bad_seq=verdict.first_bad_seq or verdict.entries + 1,
                differences=tuple(outside),
            )
    if not verdict.ok:
        return verdict
    found = differences(db)
    if not found:
        return verdict
    return dataclasses.replace(verdict, ok=False, problem=found[0], differences=found)


def require_consistent(db: Database) -> None:
    """Refuse a key use while the chain is broken or the tables and the audit log disagree."""
    verdict = verify(db)
    if not verdict.ok:
        raise CheckFailedError(
            f"The audit log check failed ({verdict.summary}). No key is used until that is "
            "resolved: run pkiadmin-cli audit verify, and restore the database from a backup."
        )
