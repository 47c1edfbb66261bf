"""Importing 100,000 realistic certificates (SANs, key usage, EKU, policies, CDP, AIA, key
identifiers) as one PEM bundle over 80 MB, their issuing CA (EC P-384) already in the inventory,
with `pkiadmin-cli cert import`, next to a floor measured in the same run: the same bundle read,
split and parsed, pkiadmin's field extraction, one SQLite insert each into an indexed table, one
commit, single-threaded and without the signature check. Targets (#23): at most 1.5x the floor,
peak RSS at most 250 MB.

Also printed, to show what the machine allows: the signature checks that link each certificate
to its issuer, on one thread (measured on the first CHECKED certificates and scaled), and the
least any import that makes them could take with every CPU busy: (floor + checks) / CPUs.

Memory is sampled from /proc every 20 ms over the CLI and its worker processes: the largest
single process (what `/usr/bin/time` reports) and all of them together.

Run: .venv/bin/python benchmarks/bundle_with_ca.py [CERTIFICATES]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_hierarchy
import der_folder
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.keys import files as keys
from pkiadmin.core.x509 import pembundle

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CHECKED = 10_000
TARGET_RATIO = 1.5
TARGET_RSS_MB = 250.0
BUILD_CHUNK = 5_000
READ_BLOCK = 4 * 1024 * 1024
CLI = Path(sys.executable).with_name("pkiadmin-cli")


def _build(ca_der: bytes, key_path: str, first: int, count: int) -> bytes:
    """PEM of `count` service certificates signed by the issuing CA (run in a build worker)."""
    ca = x509.load_der_x509_certificate(ca_der)
    key = keys.load_encrypted(Path(key_path), bench_hierarchy.PASSPHRASE)
    now = datetime.now(UTC) - timedelta(hours=1)
    out = bytearray()
    for i in range(first, first + count):
        subject_key = keys.generate(keys.KeyAlgorithm.EC_P256).public_key()
        cert = bench_hierarchy.service_certificate(
            ca, key, subject_key, f"svc{i}.bench.example", now, 90 + i % 300
        )
        out += cert.public_bytes(serialization.Encoding.PEM)
    return bytes(out)


def make_bundle(path: Path, ca: x509.Certificate, key_path: Path) -> None:
    ca_der = ca.public_bytes(serialization.Encoding.DER)
    starts = range(0, COUNT, BUILD_CHUNK)
    with ProcessPoolExecutor(os.cpu_count()) as pool, path.open("wb") as out:
        futures = [
            pool.submit(_build, ca_der, str(key_path), s, min(BUILD_CHUNK, COUNT - s))
            for s in starts
        ]
        for future in futures:
            out.write(future.result())


def _ders(path: Path) -> list[bytes]:
    """The bundle's certificates as DER, read block by block."""
    ders: list[bytes] = []
    buffer = b""
    with path.open("rb") as f:
        while block := f.read(READ_BLOCK):
            buffer += block
            cut = buffer.rfind(pembundle.END)
            if cut < 0:
                continue
            cut += len(pembundle.END)
            ders += pembundle.certificate_ders(buffer[:cut]) or []
            buffer = buffer[cut:]
    ders += pembundle.certificate_ders(buffer) or []
    return ders


def floor(bundle: Path, db_path: Path) -> float:
    return der_folder.timed_floor(lambda: _ders(bundle), db_path)


def signature_checks(bundle: Path, ca: x509.Certificate) -> float:
    """Seconds the signature checks of every certificate take on one thread, scaled from the
    first CHECKED of them."""
    ders = _ders(bundle)[:CHECKED]
    certs = [x509.load_der_x509_certificate(der) for der in ders]
    start = time.perf_counter()
    for cert in certs:
        cert.verify_directly_issued_by(ca)
    return (time.perf_counter() - start) * COUNT / len(certs)


def _tree_rss_mb(root: int) -> tuple[float, float]:
    """(largest process, all together) resident MB of `root` and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    sizes = [rss.get(pid, 0.0) for pid in tree]
    return max(sizes), sum(sizes)


def pkiadmin_import(bundle: Path, ws: Path) -> tuple[float, float, float, str]:
    """(seconds, peak MB of one process, peak MB of all together, last output line)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [str(CLI), "--workspace", str(ws), "cert", "import", str(bundle)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    peaks = [0.0, 0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            one, total = _tree_rss_mb(child.pid)
            peaks[0], peaks[1] = max(peaks[0], one), max(peaks[1], total)

    sampler = threading.Thread(target=sample)
    sampler.start()
    output = child.stdout.read() if child.stdout else ""
    child.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"the import failed: {output}")
    return elapsed, peaks[0], peaks[1], output.strip().splitlines()[-1]


def main() -> None:
    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ws, held = bench_hierarchy.issuing_ca(base / "maker")
        ca = inventory.load_certificate(ws.db, held.issued.cert_id)
        ws.close()
        bundle = base / "bundle.pem"
        built = time.perf_counter()
        make_bundle(bundle, ca, held.key_path)
        built = time.perf_counter() - built
        size = bundle.stat().st_size / 1_000_000
        shutil.copytree(base / "maker", base / "ws")
        seconds, one, together, last = pkiadmin_import(bundle, base / "ws")
        reference = floor(bundle, base / "floor.sqlite")
        checks = signature_checks(bundle, ca)
    bound = (reference + checks) / cpus
    ratio = seconds / reference
    print(
        f"import of {COUNT:,} certificates as one PEM bundle ({size:.0f} MB, built in {built:.0f} s),"
        f" issuing CA ({ca.signature_algorithm_oid._name}) in the inventory, {cpus} CPUs"
    )
    print(f"{'what':62} {'seconds':>8} {'x floor':>8}")
    print(
        f"{'floor: read, split, parse, extract fields, insert, one commit':62} {reference:8.2f} {1:8.2f}"
    )
    print(
        f"{'pkiadmin-cli cert import (streamed, issuer links checked)':62} {seconds:8.2f} {ratio:8.2f}"
    )
    print(
        f"{f'signature checks alone, one thread (scaled from {CHECKED:,})':62} {checks:8.2f} {checks / reference:8.2f}"
    )
    print(
        f"{f'least with the checks, every CPU busy: (floor + checks) / {cpus}':62} {bound:8.2f} {bound / reference:8.2f}"
    )
    print(f"peak RSS: {together:.0f} MB all processes together, {one:.0f} MB the largest one")
    print(f"result: {last}")
    time_verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    rss_verdict = "meets" if together <= TARGET_RSS_MB else "MISSES"
    print(
        f"pkiadmin {time_verdict} the time target: {ratio:.2f}x the floor (target {TARGET_RATIO}x)"
    )
    print(
        f"pkiadmin {rss_verdict} the memory target: {together:.0f} MB (target {TARGET_RSS_MB:.0f} MB)"
    )


if __name__ == "__main__":
    main()
