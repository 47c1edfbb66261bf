"""The inventory at scale, in one run:

1. import of 100,000 certificates from one PEM bundle: certificates per second, next to the floor
   measured in the same run (cryptography parsing the same bundle + a plain bulk insert of the
   same rows into SQLite). Target: >= 10,000 certificates/s and at most 2x the floor;
2. search and every filter on 100,000 and 1,000,000 rows: median and p95 latency of what a view
   does (count + first page of 200). Target p95 <= 50 ms at 100,000 and <= 200 ms at 1,000,000;
3. the GUI on 1,000,000 rows (benchmarks/gui_scale.py, in its own process): time to show the
   certificates view, the worst event-loop stall while a filter is typed (target <= 100 ms), and
   the peak memory of that process.

Run: make benchmark  (or .venv/bin/python benchmarks/inventory.py [N] [ROWS]).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core.inventory import importer as bulk_import
from pkiadmin.core.workspace import folder as workspace

sys.path.insert(0, str(Path(__file__).parent))
import search_scale

TARGET_P95_MS = {100_000: 50.0, 1_000_000: 200.0}

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


def _print_search(rows: int, results: list[tuple[str, float, float]]) -> None:
    target = TARGET_P95_MS.get(rows, 200.0)
    worst = max(p95 for _, _, p95 in results)
    print(f"Search on {rows:,} rows (count + first page of 200), median / p95 in ms:")
    for label, median, p95 in results:
        print(f"  {label:<36} {median:8.1f} {p95:8.1f}")
    print(
        f"  target p95 <= {target:.0f} ms: {'met' if worst <= target else 'NOT met'} (worst {worst:.1f} ms)"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    big = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
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
            print(
                f"  pkiadmin cert import:                {elapsed:7.2f} s  {rate:9,.0f} certificates/s"
            )
            print(
                f"  floor (parse + plain bulk insert):   {reference:7.2f} s  {floor_rate:9,.0f} certificates/s"
            )
            print(
                f"  target >= {TARGET_PER_S:,}/s: {'met' if rate >= TARGET_PER_S else 'NOT met'}; "
                f"{elapsed / reference:.1f}x the floor (target <= 2x: {'met' if elapsed <= 2 * reference else 'NOT met'})"
            )
            bundle.unlink()
            search_scale.decorate(ws.db)
            _print_search(count, search_scale.measure(ws.db))
            grown = time.perf_counter()
            search_scale.grow(ws.db, big)
            search_scale.decorate(ws.db)
            ws.db.execute("PRAGMA optimize")
            rows = int(ws.db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0])
            print(f"(grown to {rows:,} rows in {time.perf_counter() - grown:.0f} s)")
            _print_search(rows, search_scale.measure(ws.db))
        gui = subprocess.run(
            [sys.executable, str(Path(__file__).parent / "gui_scale.py"), str(folder / "ws")],
            check=False,
            capture_output=True,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        print(gui.stdout, end="")
        if gui.returncode != 0:
            print(gui.stderr[-2000:])
            raise SystemExit("the GUI benchmark failed")


if __name__ == "__main__":
    main()
