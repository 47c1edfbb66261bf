"""Locate the files in the top-level resources/ folder, and the operator's guides (docs/), from a
checkout, an installed wheel or the frozen build."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Traversable

_PACKAGE = Path(__file__).resolve().parents[2]  # the pkiadmin package
_CHECKOUT = _PACKAGE.parent
_CHECKOUT_RESOURCES = _CHECKOUT / "resources"
# The guides in reading order; any other guide follows, by name.
GUIDE_ORDER = (
    "tour", "ceremonies", "issuance", "revocation", "partners", "inventory", "workspace", "hsm",
    "security", "cli", "install", "benchmarks",
)  # fmt: skip


def resource_root() -> Traversable:
    """The resources folder: packaged as pkiadmin.resources in a wheel, or resources/ in a checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen is not None:  # the PyInstaller build puts them here (packaging/pkiadmin.spec)
        return Path(frozen) / "pkiadmin" / "resources"
    from importlib import resources  # here: a command that reads no resource does not load it

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


@dataclass(frozen=True)
class Guide:
    name: str  # the file's stem: "ceremonies"
    title: str  # its first heading
    path: Path  # a real file (the viewer resolves its links and pictures next to it)


def guide_root() -> Path:
    """The guides folder: pkiadmin/guides in a wheel (pyproject.toml maps docs/ there), docs/ in
    a checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen is not None:  # packaging/pkiadmin.spec puts docs/ here
        return Path(frozen) / "pkiadmin" / "guides"
    installed = _PACKAGE / "guides"
    if (installed / "tour.md").is_file():
        return installed
    return _CHECKOUT / "docs"


def guides() -> list[Guide]:
    """Every guide that travels with pkiadmin, in reading order (no network needed)."""
    found = []
    for path in sorted(guide_root().glob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        title = next((line[2:].strip() for line in lines if line.startswith("# ")), path.stem)
        found.append(Guide(path.stem, title, path))
    rank = {name: n for n, name in enumerate(GUIDE_ORDER)}
    return sorted(found, key=lambda g: (rank.get(g.name, len(rank)), g.name))
