"""Time from process start to the pkiadmin main window shown (offscreen), next to bare Qt references.

Run: make benchmark  (or .venv/bin/python benchmarks/startup.py). Target: main window <= 1.0 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bytecode

CHILD = Path(__file__).with_name("startup_child.py")
RUNS = 7
TARGET_S = 1.0


def time_child(mode: str, workspace: Path) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, str(CHILD), mode, str(workspace)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    # CLOCK_MONOTONIC is system-wide on Linux, so the child's stamp compares with ours.
    return float(out.stdout.split()[0]) - start


def prepare_workspace(folder: Path) -> Path:
    from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
    from pkiadmin.core.workspace import folder as workspace
    from pkiadmin.core.x509.names import SubjectSpec

    path = folder / "ws"
    with workspace.create(path) as ws:
        create_root_ca(
            ws,
            RootCaRequest(SubjectSpec("Benchmark Root", "Example", country="DE")),
            "benchmark passphrase 1",
        )
    return path


def main() -> int:
    bytecode.ensure()
    with tempfile.TemporaryDirectory() as tmp:
        ws = prepare_workspace(Path(tmp))
        time_child("pkiadmin", ws)  # warm the file cache once, as a second start would be
        rows = []
        for label, mode in (
            ("import PySide6.QtWidgets (reference)", "import"),
            ("bare QApplication + empty QMainWindow shown (reference)", "bare"),
            ("pkiadmin main window shown", "pkiadmin"),
        ):
            samples = [time_child(mode, ws) for _ in range(RUNS)]
            rows.append((label, statistics.median(samples), min(samples), max(samples)))
    print(
        f"startup, offscreen, {RUNS} runs each, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(f"{'what':<58} {'median':>8} {'min':>8} {'max':>8}")
    for label, median, low, high in rows:
        print(f"{label:<58} {median:>7.3f}s {low:>7.3f}s {high:>7.3f}s")
    ours = rows[-1][1]
    verdict = "meets" if ours <= TARGET_S else "MISSES"
    print(
        f"pkiadmin {verdict} the {TARGET_S:.1f} s target (median {ours:.3f} s; {ours - rows[0][1]:+.3f} s over the bare import)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
