"""Search and filter latency on 100,000 and 1,000,000 inventory rows (used by inventory.py).

A query here is what the certificates view and `cert list` do: count the matches and read the
first page of 200 in the chosen order. The 1,000,000-row inventory is the imported 100,000
certificates plus synthetic copies made in SQL (other serials, names and fingerprints; the same
DER), which exercises the same tables, indexes and FTS5 index as real rows.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from pkiadmin.core.inventory import compliance, query
from pkiadmin.core.inventory.certrecord import Source

_COPY_COLUMNS = (
    "issuer_hash, issuer_no, issuer, not_before, not_after, key_algorithm, key_size, signature_algorithm, sha1,"
    " ski, aki, is_ca, path_length, issuer_cert_id, source, added_at, key_usage, eku, policies,"
    " crl_urls, ocsp_urls, ca_issuers_urls, service, environment, owner_team, partner_id, tags, note"
)


def decorate(db: Database) -> None:
    """Metadata, partners, revocations, CA rows and weak keys on a share of the rows, so every
    filter has something to find."""
    db.execute("PRAGMA foreign_keys = OFF")  # synthetic revocations name no real CA
    with db.atomic():
        db.execute(
            "INSERT OR IGNORE INTO partners (id, name, organisation, added_at) VALUES (1, 'acme', 'Acme', ?)",
            (datetime.now(UTC).isoformat(),),
        )
        db.execute("UPDATE certificates SET environment = 'production' WHERE id % 10 = 1")
        db.execute("UPDATE certificates SET environment = 'staging' WHERE id % 10 = 2")
        db.execute("UPDATE certificates SET partner_id = 1 WHERE id % 1000 = 3")
        db.execute("UPDATE certificates SET is_ca = 1 WHERE id % 5000 = 4")
        db.execute(
            "UPDATE certificates SET key_algorithm = 'RSA', key_size = 1024 WHERE id % 500 = 5"
        )
        db.execute(
            "INSERT OR IGNORE INTO revocations (cert_id, ca_id, serial, revoked_at, reason, note, recorded_at)"
            " SELECT id, 1, serial_hex, added_at, 'superseded', '', added_at FROM certificates WHERE id % 1000 = 6"
        )
        db.execute("DELETE FROM cert_findings")
        compliance.record_findings(db, None, None)
    db.execute("PRAGMA foreign_keys = ON")


def grow(db: Database, target: int) -> None:
    """Copy the first 100,000 rows with new serials, names and fingerprints up to `target` rows."""
    base = int(db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0])
    round_ = 1
    while int(db.execute("SELECT MAX(id) FROM certificates").fetchone()[0]) < target:
        with db.atomic():
            before = int(db.execute("SELECT MAX(id) FROM certificates").fetchone()[0])
            db.execute(
                f"INSERT INTO certificates (serial_hex, subject, common_name, sans, sha256, {_COPY_COLUMNS})"  # noqa: S608
                f" SELECT printf('%02X', {round_}) || serial_hex,"
                f" replace(subject, 'host', 'h{round_}x'), replace(common_name, 'host', 'h{round_}x'),"
                f" replace(sans, 'host', 'h{round_}x'), substr(sha256, 3) || printf('%02x', {round_}),"
                f" {_COPY_COLUMNS} FROM certificates WHERE id <= ?",
                (base,),
            )
            db.execute(
                "INSERT INTO certificates_fts (rowid, subject, issuer, sans, serial_hex, sha256)"
                " SELECT id, subject, issuer, sans, serial_hex, sha256 FROM certificates WHERE id > ?",
                (before,),
            )
            db.execute(
                "INSERT INTO certificate_der (cert_id, der) SELECT c.id, d.der FROM certificates c"
                " JOIN certificate_der d ON d.cert_id = c.id - ? WHERE c.id > ?",
                (before, before),
            )
        round_ += 1


def _queries(now: datetime) -> dict[str, Callable[[random.Random], query.Filter]]:
    return {
        "text (a host name)": lambda r: query.Filter(text=f"host{r.randrange(100_000)}"),
        "text (prefix, many hits)": lambda r: query.Filter(text=f"host{r.randrange(1, 10)}"),
        "text (fingerprint prefix)": lambda r: query.Filter(text=f"{r.randrange(16**6):06x}"),
        "expires within N days": lambda r: query.Filter(
            expires_within_days=r.choice([1, 3, 7, 14, 30])
        ),
        "expired": lambda r: query.Filter(expired=True),
        "not yet valid": lambda r: query.Filter(not_yet_valid=True),
        "revoked": lambda r: query.Filter(revoked=True),
        "CA": lambda r: query.Filter(ca=r.choice([True, False])),
        "issuer": lambda r: query.Filter(issuer="Bench Issuing"),
        "partner": lambda r: query.Filter(partner_id=1),
        "environment": lambda r: query.Filter(environment=r.choice(["production", "staging"])),
        "algorithm": lambda r: query.Filter(algorithm=r.choice(["EC P-256", "RSA 1024"])),
        "source": lambda r: query.Filter(source=Source.IMPORTED),
        "finding": lambda r: query.Filter(finding=r.choice(["weak-key", "no-eku", "expired"])),
        "combined (env + expiring + text)": lambda r: query.Filter(
            text="host1", environment="production", expires_within_days=90
        ),
        "sorted by expiry, all rows": lambda r: query.Filter(),
    }


def measure(db: Database, repeats: int = 15) -> list[tuple[str, float, float]]:
    """(query, median ms, p95 ms) of count + first page of 200."""
    now = datetime.now(UTC) + timedelta(days=1)
    rng = random.Random(7)  # noqa: S311 - reproducible choices, not secrets
    results = []
    for label, make in _queries(now).items():
        sort = query.Sort.NOT_AFTER if "sorted" in label else query.Sort.ID
        times = []
        for _ in range(repeats):
            f = make(rng)
            start = time.perf_counter()
            total = query.count(db, f, now)
            query.page(db, f, now, sort=sort, descending=False, limit=200, total=total)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        results.append((label, statistics.median(times), p95))
    return results
