"""pkiadmin's version and the SHA-256 of its installed files (for `--version` and ceremony reports)."""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

from pkiadmin import __version__
from pkiadmin.core.base.resources import resource_root

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


@functools.cache
def package_digest() -> str:
    """SHA-256 over (relative path, SHA-256) of every .py file of pkiadmin and every resource file.

    In the PyInstaller build, over every file of the frozen folder (executables included).
    """
    outer = hashlib.sha256()
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen is not None:
        folder = Path(sys.executable).parent
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            outer.update(f"{rel}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
        return outer.hexdigest()
    files = sorted(p for p in _PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)
    for path in files:
        rel = path.relative_to(_PACKAGE_DIR).as_posix()
        outer.update(f"pkiadmin/{rel}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    root = resource_root()
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_file() and not entry.name.endswith(".py"):
            outer.update(
                f"resources/{entry.name}\0{hashlib.sha256(entry.read_bytes()).hexdigest()}\n".encode()
            )
    return outer.hexdigest()


def version_text() -> str:
    return f"pkiadmin {__version__}\npackage files SHA-256: {package_digest()}"
