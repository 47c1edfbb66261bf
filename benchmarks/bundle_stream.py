"""Streaming import: peak memory of `pkiadmin-cli cert import` on one PEM bundle at three
sizes, the largest well above the 80 MiB a file used to be refused at. The bundles are built as
benchmarks/inventory.py builds them (an issuing CA's leaves). Target (#23): peak RSS independent
of the file's size beyond a batch. The writer's SQLite page cache (capped at 128 MB) fills as the
inventory grows, so memory rises until the cache is full and then stays: the verdict compares
the two larger sizes (at most 1.15x for twice the certificates); each bundle's size is printed
next to it (what reading it whole would hold, before any parsing).

Run: .venv/bin/python benchmarks/bundle_stream.py [SMALL MEDIUM LARGE]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from inventory import make_bundle

CLI = Path(sys.executable).with_name("pkiadmin-cli")


def peak_import(bundle: Path, ws: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB of the CLI and its worker processes, last output line)."""
    subprocess.run([str(CLI), "--workspace", str(ws), "workspace", "init"], check=True,
                   capture_output=True)  # fmt: skip
    start = time.perf_counter()
    with subprocess.Popen(
        [str(CLI), "--workspace", str(ws), "cert", "import", str(bundle)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as child:  # fmt: skip
        output = child.stdout.read() if child.stdout else ""
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"the import failed: {output}")
    return elapsed, usage.ru_maxrss / 1024, output.strip().splitlines()[-1]


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:4]] if len(sys.argv) > 3 else [25_000, 150_000, 300_000]
    print(f"Streaming import of one PEM bundle, {os.cpu_count()} CPUs")
    print(f"{'certificates':>12} {'bundle MB':>10} {'seconds':>8} {'peak RSS MB':>12}  result")
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in sizes:
            bundle = Path(tmp) / f"bundle-{count}.pem"
            make_bundle(bundle, count)
            size = bundle.stat().st_size / 1_000_000
            seconds, peak, last = peak_import(bundle, Path(tmp) / f"ws-{count}")
            peaks.append(peak)
            print(f"{count:>12,} {size:>10.0f} {seconds:>8.1f} {peak:>12.0f}  {last}")
            bundle.unlink()
    growth = peaks[2] / peaks[1]
    verdict = "meets" if growth <= 1.15 else "MISSES"
    print(
        f"peak RSS grows {growth:.2f}x from {sizes[1]:,} to {sizes[2]:,} certificates: {verdict} "
        "the target (independent of the size once the page cache is full: at most 1.15x)"
    )


if __name__ == "__main__":
    main()
