"""Command-line start-up: `pkiadmin-cli --help` and `pkiadmin-cli cert list --limit 10` (a
workspace with a root and 1,000 certificates), next to `python -c pass` and `openssl version`,
run in turns in the same run. Targets (#23): both at most 4x `python -c pass`.

Run: make benchmark  (or .venv/bin/python benchmarks/cli_startup.py).
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

RUNS = 15
TARGET_RATIO = 4.0
CLI = str(Path(sys.executable).with_name("pkiadmin-cli"))


def _workspace(folder: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives.asymmetric import ec

    from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
    from pkiadmin.core.workspace import folder as workspace
    from pkiadmin.core.x509.names import SubjectSpec
    from tests.inventory_helpers import import_certs, leaf

    path = folder / "ws"
    with workspace.create(path) as ws:
        create_root_ca(
            ws,
            RootCaRequest(SubjectSpec("Bench Root", "Bench", country="GB")),
            "bench passphrase 2026!",
        )
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        certs = [leaf(f"h{i}.bench.example", now - timedelta(days=1), now + timedelta(days=90), key, 100 + i)
                 for i in range(1000)]  # fmt: skip
        import_certs(ws, folder / "certs", certs)
    return path


def time_command(args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run of a command (its output discarded)."""
    start = time.perf_counter()
    subprocess.run(args, env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    bytecode.ensure()
    with tempfile.TemporaryDirectory() as tmp:
        ws = _workspace(Path(tmp))
        env = {**os.environ, "PKIADMIN_WORKSPACE": str(ws)}
        commands = {
            "python -c pass (reference)": [sys.executable, "-c", "pass"],
            "openssl version (reference)": ["openssl", "version"],
            "pkiadmin-cli --help": [CLI, "--help"],
            "pkiadmin-cli cert list --limit 10": [CLI, "cert", "list", "--limit", "10"],
        }
        for args in commands.values():  # warm the page cache and the .pyc files
            time_command(args, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, args in commands.items():
                times[name].append(time_command(args, env))
    base = statistics.median(times["python -c pass (reference)"])
    print(f"CLI start-up, {RUNS} runs each in turns, Python {sys.version.split()[0]}")
    print(f"{'what':40} {'median':>8} {'min':>8} {'x python':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:40} {median:7.3f}s {min(values):7.3f}s {median / base:8.1f}x")
    for name in ("pkiadmin-cli --help", "pkiadmin-cli cert list --limit 10"):
        ratio = statistics.median(times[name]) / base
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        print(
            f"{name} {verdict} the target: {ratio:.1f}x python -c pass (target {TARGET_RATIO:.0f}x)"
        )


if __name__ == "__main__":
    main()
