"""A fault hook at every write step, for the crash tests (tests/core/base/test_faults.py) and the
longer run in benchmarks/faults.py: with PKIADMIN_FAULT_AT=N in the environment, the process
kills itself (SIGKILL, like kill -9 or a power cut) at its Nth write step; with
PKIADMIN_FAULT_LOG=FILE each step's name is appended there, to count them. Without either
variable a step costs one dictionary lookup."""

from __future__ import annotations

import os
import signal

AT = "PKIADMIN_FAULT_AT"
LOG = "PKIADMIN_FAULT_LOG"
_count = 0


def step(what: str) -> None:
    """A point where a write has just happened (or is about to be committed)."""
    if AT not in os.environ and LOG not in os.environ:
        return
    global _count  # noqa: PLW0603 - one counter per process, by design
    _count += 1
    log = os.environ.get(LOG)
    if log:
        with open(log, "a", encoding="utf-8") as out:  # noqa: PTH123 - test hook
            out.write(f"{_count} {what}\n")
    if os.environ.get(AT) == str(_count):
        os.kill(os.getpid(), signal.SIGKILL)
