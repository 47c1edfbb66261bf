"""The certificate inventory: one row per certificate we issued or imported, with its CA link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.inventory import compliance
from pkiadmin.core.inventory.certrecord import COLUMNS, CertRecord, Source, record
from pkiadmin.core.x509 import fields as certfields

if TYPE_CHECKING:
    from sqlite_utils import Database

serial_hex = certfields.serial_hex
common_name = certfields.common_name


# The first columns in CertFields order, so that a row is a slice of the fields plus four values.
_INSERT_COLUMNS = (
    *certfields.CertFields._fields[: certfields.COLUMNS],
    "issuer_cert_id",
    "source",
    "added_at",
    "issuer_no",
)
_INSERT = (
    f" INTO certificates ({', '.join(_INSERT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"
)


def insert_fields(
    db: Database,
    rows: Sequence[tuple[certfields.CertFields, int | None]],
    source: Source,
) -> list[int]:
    """Insert many certificates (inside the caller's transaction) with their DER and clock-free
    compliance findings; returns their ids in order. rows: (fields, issuer certificate id)."""
    inserted = _insert(db, rows, source, "INSERT")
    if len(inserted) != len(rows):
        raise RuntimeError("the inventory changed while certificates were being inserted")
    return [cert_id for cert_id, _ in inserted]


def insert_new(
    db: Database, fields: Sequence[certfields.CertFields], source: Source
) -> tuple[list[tuple[int, certfields.CertFields]], list[certfields.CertFields]]:
    """Like insert_fields (without issuer links), but a certificate whose SHA-256, or whose issuer
    and serial, the inventory already holds is left out rather than failing the statement:
    ([(id, fields) stored], [fields left out]). The bulk import tells the two apart afterwards,
    so that it checks only what was left out rather than every certificate beforehand."""
    stored = _insert(db, [(f, None) for f in fields], source, "INSERT OR IGNORE")
    if len(stored) == len(fields):
        return stored, []
    taken = {id(f) for _, f in stored}
    return stored, [f for f in fields if id(f) not in taken]


def _insert(
    db: Database,
    rows: Sequence[tuple[certfields.CertFields, int | None]],
    source: Source,
    verb: str,
) -> list[tuple[int, certfields.CertFields]]:
    """(id, fields) of the rows inserted, in id order."""
    at = datetime.now(UTC).isoformat()
    numbers = _issuer_numbers(db, rows)
    before = db.execute("SELECT COALESCE(MAX(id), 0) FROM certificates").fetchone()[0]
    columns = certfields.COLUMNS
    values = [
        (*f[:columns], issuer, source.value, at, numbers[f.issuer_hash]) for f, issuer in rows
    ]
    if len(values) == 1:  # one certificate signed: its id from the statement
        returned = db.conn.execute(verb + _INSERT + " RETURNING id", values[0]).fetchall()
        ids = [int(r[0]) for r in returned]
    else:
        db.conn.executemany(verb + _INSERT, values)
        ids = [
            int(r[0])
            for r in db.execute("SELECT id FROM certificates WHERE id > ? ORDER BY id", (before,))
        ]
    if len(ids) == len(rows):
        inserted = list(zip(ids, (f for f, _ in rows), strict=True))
    else:  # some were left out (INSERT OR IGNORE): the ids of those that went in, by SHA-256
        by_digest = dict(
            db.execute("SELECT sha256, id FROM certificates WHERE id > ?", (before,)).fetchall()
        )
        inserted = [(by_digest.pop(f.sha256), f) for f, _ in rows if f.sha256 in by_digest]
    if not inserted:
        return inserted
    # Free-text index in one statement (there is no per-row insert trigger: it costs 5x as much).
    db.execute(
        "INSERT INTO certificates_fts (rowid, subject, issuer, sans, serial_hex, sha256)"
        " SELECT id, subject, issuer, sans, serial_hex, sha256 FROM certificates WHERE id > ?",
        (before,),
    )
    db.conn.executemany(
        "INSERT INTO certificate_der (cert_id, der) VALUES (?, ?)",
        ((cert_id, f.der) for cert_id, f in inserted),
    )
    compliance.record_findings(db, inserted[0][0], inserted[-1][0])
    return inserted


def _issuer_numbers(
    db: Database, rows: Sequence[tuple[certfields.CertFields, int | None]]
) -> dict[str, int]:
    """The number of each issuer name in the batch (a batch under one CA names it once)."""
    names = {f.issuer_hash: f.issuer for f, _ in rows}
    numbers = {}
    for issuer_hash, issuer in names.items():
        found = db.execute(
            "SELECT no FROM issuer_names WHERE issuer_hash = ?", (issuer_hash,)
        ).fetchone()
        if found is None:
            found = db.execute(
                "INSERT INTO issuer_names (issuer_hash, issuer) VALUES (?, ?) RETURNING no",
                (issuer_hash, issuer),
            ).fetchall()[0]
        numbers[issuer_hash] = int(found[0])
    return numbers


def insert_certificate(
    db: Database,
    cert: x509.Certificate,
    source: Source,
    issuer_cert_id: int | None = None,
    fields: certfields.CertFields | None = None,
) -> int:
    """Insert a certificate (inside the caller's transaction) and return its id. `fields`: the
    certificate's fields when the caller read them already (batch signing reads them in its
    signing threads)."""
    return insert_certificates(db, [(cert, issuer_cert_id, fields)], source)[0]


def insert_certificates(
    db: Database,
    rows: Sequence[tuple[x509.Certificate, int | None, certfields.CertFields | None]],
    source: Source,
) -> list[int]:
    """insert_certificate for several certificates in one set of statements (a batch signed under
    one CA); all or none (the caller's transaction). rows: (certificate, issuer certificate id,
    its fields when already read)."""
    checked: list[tuple[certfields.CertFields, int | None]] = []
    for cert, issuer_cert_id, given in rows:
        fields = given or certfields.read_fields(cert)
        if fields.sha256 != cert.fingerprint(hashes.SHA256()).hex():
            raise RuntimeError("the fields given are not those of the certificate")
        if source is Source.ISSUED and not fields.key_algorithm.startswith(("EC", "RSA")):
            raise ValidationError("Only RSA and EC certificates can be issued here.")
        checked.append((fields, issuer_cert_id))
    return insert_fields(db, checked, source)


def refresh_fields(db: Database, batch: int = 2000) -> int:
    """Re-read every stored certificate's fields from its DER (after a schema upgrade added
    columns), inside the caller's transaction. Returns how many were re-read."""
    names = certfields.NameCache()
    done = 0
    last = 0
    while True:
        chunk = db.execute(
            "SELECT cert_id, der FROM certificate_der WHERE cert_id > ? ORDER BY cert_id LIMIT ?",
            (last, batch),
        ).fetchall()
        if not chunk:
            return done
        updates = []
        for cert_id, der in chunk:
            f = certfields.read_fields(x509.load_der_x509_certificate(der), names)
            updates.append(
                (
                    f.sans,
                    f.key_usage,
                    f.eku,
                    f.policies,
                    f.crl_urls,
                    f.ocsp_urls,
                    f.ca_issuers_urls,
                    f.key_algorithm,
                    f.key_size,
                    f.known_bad,
                    cert_id,
                )
            )
        db.conn.executemany(
            "UPDATE certificates SET sans = ?, key_usage = ?, eku = ?, policies = ?, crl_urls = ?,"
            " ocsp_urls = ?, ca_issuers_urls = ?, key_algorithm = ?, key_size = ?, known_bad = ?"
            " WHERE id = ?",
            updates,
        )
        done += len(chunk)
        last = chunk[-1][0]


def list_certificates(db: Database) -> tuple[CertRecord, ...]:
    return tuple(record(r) for r in db.query(f"SELECT {COLUMNS} FROM certificates ORDER BY id"))  # noqa: S608


def get_record(db: Database, cert_id: int) -> CertRecord:
    rows = list(db.query(f"SELECT {COLUMNS} FROM certificates WHERE id = ?", [cert_id]))  # noqa: S608
    if not rows:
        raise NotFoundError(
            f"There is no certificate with id {cert_id}. List them with: pkiadmin-cli cert list"
        )
    return record(rows[0])


def load_certificate(db: Database, cert_id: int) -> x509.Certificate:
    row = db.execute("SELECT der FROM certificate_der WHERE cert_id = ?", (cert_id,)).fetchone()
    if row is None:
        raise NotFoundError(
            f"There is no certificate with id {cert_id}. List them with: pkiadmin-cli cert list"
        )
    return x509.load_der_x509_certificate(row[0])


def chain(db: Database, cert_id: int) -> tuple[x509.Certificate, ...]:
    """The certificate and its issuers up to the root, as stored in the inventory (leaf first)."""
    result = []
    current: int | None = cert_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        result.append(load_certificate(db, current))
        row = db.execute(
            "SELECT issuer_cert_id FROM certificates WHERE id = ?", (current,)
        ).fetchone()
        current = row[0] if row and row[0] != current else None
    return tuple(result)
