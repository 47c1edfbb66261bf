"""kill -9 at every write step of each operation (pkiadmin-cli as a real process), then the
invariants after the next open (tests/faults.py). Prints kills per operation and invariant
violations (expected: 0). `make test` runs a fixed-seed sample of the same points."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import faults


def main() -> None:
    print(f"{'operation':<28} {'write steps':>11} {'kills':>6} {'violations':>10} {'time':>7}")
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for operation in faults.OPERATIONS:
            template = faults.template(operation, Path(tmp))
            count = faults.steps(operation, template)
            started = time.perf_counter()
            found = {k: faults.kill_at(operation, template, k) for k in range(1, count + 1)}
            bad = {k: v for k, v in found.items() if v}
            total += len(bad)
            elapsed = time.perf_counter() - started
            print(f"{operation.name:<28} {count:>11} {count:>6} {len(bad):>10} {elapsed:>6.0f}s")
            for k, problems in bad.items():
                print(f"    killed at step {k}: {'; '.join(problems)}")
    print(f"\ninvariant violations in all: {total}")


if __name__ == "__main__":
    main()
