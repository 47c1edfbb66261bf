"""Importing a folder of 10,000 DER files (one certificate each: SANs, key usage, EKU, CDP, AIA,
policies, key identifiers), their issuing CA already in the inventory, next to a floor measured
in the same run: the same files read and parsed, the same field extraction (pkiadmin's), one
SQLite insert each into an indexed table, one commit. Target (#23): at most 1.5x the floor.

Run: .venv/bin/python benchmarks/der_folder.py [FILES]
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_hierarchy
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.inventory import importer
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.keys import files as keys
from pkiadmin.core.x509 import fields as certfields

FILES = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
TARGET_RATIO = 1.5
ROUNDS = 2


def make_files(folder: Path, ca: x509.Certificate, key: keys.PrivateKey) -> None:
    folder.mkdir()
    now = datetime.now(UTC) - timedelta(hours=1)
    for i in range(FILES):
        subject_key = keys.generate(keys.KeyAlgorithm.EC_P256).public_key()
        cert = bench_hierarchy.service_certificate(
            ca, key, subject_key, f"svc{i}.bench.example", now, 90 + i % 300
        )
        (folder / f"{i:05d}.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))


def floor(folder: Path, db_path: Path) -> float:
    return timed_floor(lambda: (path.read_bytes() for path in sorted(folder.iterdir())), db_path)


def timed_floor(ders: Callable[[], Iterable[bytes]], db_path: Path) -> float:
    """Seconds to read the certificates `ders` yields, parse each, extract its fields
    (pkiadmin's) and insert it into an indexed table, one commit, on one thread."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE t (sha256 TEXT UNIQUE, subject TEXT, issuer TEXT, serial TEXT, not_after TEXT,"
        " sans TEXT, eku TEXT, der BLOB)"
    )
    conn.execute("CREATE INDEX t_subject ON t(subject)")
    start = time.perf_counter()
    names = certfields.NameCache()
    with conn:
        for der in ders():
            f = certfields.read_fields(x509.load_der_x509_certificate(der), names, der)
            conn.execute(
                "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (f.sha256, f.subject, f.issuer, f.serial_hex, f.not_after, f.sans, f.eku, der),
            )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def signatures_alone(folder: Path, ca: x509.Certificate) -> float:
    """What linking each certificate to its issuer needs, whoever does it: every signature
    checked under the issuing CA's key, one thread (the import spreads it over the workers)."""
    start = time.perf_counter()
    for path in sorted(folder.iterdir()):
        x509.load_der_x509_certificate(path.read_bytes()).verify_directly_issued_by(ca)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ws, held = bench_hierarchy.issuing_ca(base / "maker")
        ca = inventory.load_certificate(ws.db, held.issued.cert_id)
        key = keys.load_encrypted(held.key_path, bench_hierarchy.PASSPHRASE)
        ws.close()
        make_files(base / "der", ca, key)
        floors, runs = [], []
        checks = signatures_alone(base / "der", ca)
        for n in range(ROUNDS):
            floors.append(floor(base / "der", base / f"floor-{n}.sqlite"))
            runs.append(pkiadmin_import_with_ca(base / "der", base / f"ws-{n}", base / "maker"))
    best_floor, best = min(floors), min(runs)
    ratio = best / best_floor
    print(
        f"import of {FILES:,} DER files (one certificate each), issuing CA in the inventory; best of {ROUNDS} in turns"
    )
    print(f"{'what':58} {'seconds':>8} {'certs/s':>9}")
    print(
        f"{'floor: parse, extract fields, insert, one commit':58} {best_floor:8.2f} {FILES / best_floor:9.0f}"
    )
    print(f"{'pkiadmin cert import FOLDER':58} {best:8.2f} {FILES / best:9.0f}")
    algorithm = ca.signature_algorithm_oid._name
    print(
        f"{f'signature checks alone ({algorithm}), one thread':58} {checks:8.2f} {FILES / checks:9.0f}"
    )
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"pkiadmin {verdict} the target: {ratio:.2f}x the floor (target {TARGET_RATIO}x)")


def pkiadmin_import_with_ca(folder: Path, ws_folder: Path, maker: Path) -> float:
    """A copy of the workspace that made the files (its issuing CA is their issuer)."""
    import shutil

    shutil.copytree(maker, ws_folder)
    from pkiadmin.core.workspace import folder as workspace

    ws = workspace.open_workspace(ws_folder)
    try:
        start = time.perf_counter()
        summary = importer.import_paths(ws, [folder])
        elapsed = time.perf_counter() - start
    finally:
        ws.close()
    if summary.imported != FILES:
        raise SystemExit(f"imported {summary.imported} of {FILES}: {summary.refused[:3]}")
    return elapsed


if __name__ == "__main__":
    main()
