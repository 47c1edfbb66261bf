"""Locate the files in the top-level resources/ folder, from a checkout or an installed wheel."""

from __future__ import annotations

import sys
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

_CHECKOUT_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def resource_root() -> Traversable:
    """The resources folder: packaged as pkiadmin.resources in a wheel, or resources/ in a checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen is not None:  # the PyInstaller build puts them here (packaging/pkiadmin.spec)
        return Path(frozen) / "pkiadmin" / "resources"
    try:
        packaged = resources.files("pkiadmin.resources")
    except ModuleNotFoundError:
        packaged = None
    if packaged is not None and packaged.joinpath("pgp-wordlist.txt").is_file():
        return packaged
    return _CHECKOUT_RESOURCES


def read_text(name: str) -> str:
    """The text of one resource file (UTF-8)."""
    return resource_root().joinpath(name).read_text(encoding="utf-8")


def read_bytes(name: str) -> bytes:
    """The bytes of one resource file."""
    return resource_root().joinpath(name).read_bytes()
