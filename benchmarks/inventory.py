"""Import of 100,000 certificates from one PEM bundle: certificates per second, next to the floor
measured in the same run (cryptography parsing the same bundle + a plain bulk insert of the same
rows into SQLite). Target: >= 10,000 certificates/s and at most 2x the floor.

Run: make benchmark  (or .venv/bin/python benchmarks/inventory.py [N]).
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core import bulk_import, workspace

TARGET_PER_S = 10_000


def make_bundle(path: Path, count: int) -> None:
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Issuing CA")])
    leaf_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    now = datetime.now(UTC)
    with path.open("wb") as out:
        for i in range(count):
            cert = (
                x509.CertificateBuilder()
                .subject_name(
                    x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"host{i}.example.com")])
                )
                .issuer_name(issuer_name)
                .public_key(leaf_key)
                .serial_number(1_000_000 + i)
                .not_valid_before(now)
                .not_valid_after(now + timedelta(days=90 + i % 300))
                .sign(issuer_key, hashes.SHA256())
            )
            out.write(cert.public_bytes(serialization.Encoding.PEM))


def floor(path: Path, db_path: Path) -> float:
    start = time.perf_counter()
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    rows = [
        (
            c.subject.rfc4514_string(),
            c.serial_number,
            c.not_valid_after_utc.isoformat(),
            c.fingerprint(hashes.SHA256()).hex(),
        )
        for c in certs
    ]
    conn = sqlite3.connect(db_path)
    conn.execute(
        "CREATE TABLE t (subject TEXT, serial INTEGER, not_after TEXT, sha256 TEXT UNIQUE)"
    )
    with conn:
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    conn.close()
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bundle = folder / "bundle.pem"
        made = time.perf_counter()
        make_bundle(bundle, count)
        made = time.perf_counter() - made
        size_mb = bundle.stat().st_size / 1_000_000
        reference = floor(bundle, folder / "floor.sqlite")
        with workspace.create(folder / "ws") as ws:
            start = time.perf_counter()
            summary = bulk_import.import_paths(ws, [bundle])
            elapsed = time.perf_counter() - start
    if summary.imported != count:
        raise SystemExit(f"imported {summary.imported} of {count}: {summary.refused}")
    rate, floor_rate = count / elapsed, count / reference
    print(
        f"Import of {count:,} certificates from one PEM bundle ({size_mb:.0f} MB, built in {made:.0f} s)"
    )
    print(f"  pkiadmin cert import:                {elapsed:7.2f} s  {rate:9,.0f} certificates/s")
    print(
        f"  floor (parse + plain bulk insert):   {reference:7.2f} s  {floor_rate:9,.0f} certificates/s"
    )
    print(
        f"  target >= {TARGET_PER_S:,}/s: {'met' if rate >= TARGET_PER_S else 'NOT met'}; "
        f"{elapsed / reference:.1f}x the floor (target <= 2x: {'met' if elapsed <= 2 * reference else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
