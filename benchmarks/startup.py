"""Time from process start to the pkiadmin main window shown (offscreen, .pyc present), next to
bare Qt references measured in turns in the same run, on a workspace with one root and on one
with 1,000,000 certificates. Targets: at most 1.0 s; at most 2.5x a bare QMainWindow shown (#23),
at 0 and at 1,000,000 rows.

Run: make benchmark  (or .venv/bin/python benchmarks/startup.py [ROWS]).
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
TARGET_RATIO = 2.5
BIG = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


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
    folder.mkdir(parents=True, exist_ok=True)
    with workspace.create(path) as ws:
        create_root_ca(
            ws,
            RootCaRequest(SubjectSpec("Benchmark Root", "Example", country="DE")),
            "benchmark passphrase 1",
        )
    return path


def prepare_big_workspace(folder: Path, rows: int) -> Path:
    """One root, 100,000 imported certificates, then copies made in SQL up to `rows` (as the
    inventory benchmark grows them: names, SANs, metadata, revocations, findings)."""
    import inventory
    import search_scale

    from pkiadmin.core.inventory import importer
    from pkiadmin.core.workspace import folder as workspace

    path = prepare_workspace(folder)
    bundle = folder / "bundle.pem"
    inventory.make_bundle(bundle, min(rows, 100_000))
    with workspace.open_workspace(path) as ws:
        importer.import_paths(ws, [bundle])
        bundle.unlink()
        search_scale.grow(ws.db, rows)
        search_scale.decorate(ws.db)
        ws.db.execute("PRAGMA optimize")
    return path


def main() -> int:
    bytecode.ensure()
    with tempfile.TemporaryDirectory() as tmp:
        small = prepare_workspace(Path(tmp) / "small")
        big = prepare_big_workspace(Path(tmp) / "big", BIG)
        kinds = (
            ("import PySide6.QtWidgets (reference)", "import", small),
            ("bare QApplication + empty QMainWindow shown (reference)", "bare", small),
            ("pkiadmin main window shown, one root", "pkiadmin", small),
            (f"pkiadmin main window shown, {BIG:,} certificates", "pkiadmin", big),
        )
        for _label, mode, ws in kinds:  # warm the file cache once, as a second start would be
            time_child(mode, ws)
        samples: dict[str, list[float]] = {label: [] for label, _, _ in kinds}
        for _ in range(RUNS):
            for label, mode, ws in kinds:
                samples[label].append(time_child(mode, ws))
    rows = [(label, statistics.median(v), min(v), max(v)) for label, v in samples.items()]
    bare = rows[1][1]
    print(
        f"startup, offscreen, .pyc present, {RUNS} runs each in turns, {os.cpu_count()} CPUs,"
        f" Python {sys.version.split()[0]}"
    )
    print(f"{'what':<58} {'median':>8} {'min':>8} {'max':>8} {'x bare':>7}")
    for label, median, low, high in rows:
        print(f"{label:<58} {median:>7.3f}s {low:>7.3f}s {high:>7.3f}s {median / bare:>6.1f}x")
    for label, median, _low, _high in rows[2:]:
        ratio = median / bare
        verdict = "meets" if median <= TARGET_S and ratio <= TARGET_RATIO else "MISSES"
        print(
            f"{label}: {verdict} the targets ({median:.3f} s, target {TARGET_S:.1f} s;"
            f" {ratio:.1f}x the bare window, target {TARGET_RATIO:.1f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
