"""Start-up benchmarks measure what an installed pkiadmin does, which reads its modules from
.pyc files. Where PYTHONDONTWRITEBYTECODE is set (this machine sets it) Python never writes
them, so each run would compile every module from source: compile them first, as `make run`
does."""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pkiadmin"


def ensure() -> None:
    """Write the .pyc of every pkiadmin module that lacks a current one."""
    if not compileall.compile_dir(str(PACKAGE), quiet=1):
        raise SystemExit(f"could not compile {PACKAGE}")
