"""The package's metadata tells the truth: every runtime dependency the code imports is declared
in pyproject.toml exactly as in requirements/app.in, and the version has one source."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp

import pkiadmin

ROOT = Path(__file__).resolve().parents[2]
BUILD_ONLY = {"setuptools"}  # in app.in so the venv can build pkiadmin itself offline
# The import name of each distribution, where it differs.
IMPORT_NAMES = {
    "PySide6-Essentials": "PySide6",
    "PySide6-Addons": "PySide6",
    "sqlite-utils": "sqlite_utils",
    "shamir-mnemonic": "shamir_mnemonic",
    "fpdf2": "fpdf",
    "python-pkcs11": "pkcs11",
    "python-gnupg": "gnupg",
    "pyhanko-certvalidator": "pyhanko_certvalidator",
}


def _requirements(lines: list[str]) -> dict[str, str]:
    found = {}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if line:
            name = re.split(r"[<>=!~ ;\[]", line, maxsplit=1)[0]
            found[name.lower()] = line.replace(" ", "")
    return found


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_pyproject_declares_what_app_in_pins() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    declared = _requirements(list(project["dependencies"]))
    wanted = _requirements((ROOT / "requirements" / "app.in").read_text().splitlines())
    for name in BUILD_ONLY:
        wanted.pop(name)
    assert declared == wanted


def test_every_third_party_import_is_a_declared_dependency() -> None:
    graph = grimp.build_graph("pkiadmin", include_external_packages=True)
    external = {m for m in graph.modules if not m.startswith("pkiadmin")}
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    declared = {
        IMPORT_NAMES.get(name, name)
        for name in (re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0] for d in project["dependencies"])
    }
    imported = {m.split(".")[0] for m in external} - _stdlib()
    assert imported - declared == set()


def _stdlib() -> set[str]:
    import sys

    return set(sys.stdlib_module_names) | {"_typeshed"}


def test_the_version_has_one_source() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert "version" not in project and project["dynamic"] == ["version"]
    setuptools = _pyproject()["tool"]
    assert isinstance(setuptools, dict)
    assert setuptools["setuptools"]["dynamic"]["version"] == {"attr": "pkiadmin.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", pkiadmin.__version__)


def test_the_pdf_font_is_a_resource_and_declared_as_package_data() -> None:
    assert (ROOT / "resources" / "DejaVuSans.ttf").stat().st_size > 100_000
    data = _pyproject()["tool"]
    assert isinstance(data, dict)
    assert "*.ttf" in data["setuptools"]["package-data"]["pkiadmin.resources"]


def test_every_package_of_the_source_tree_is_in_the_wheel() -> None:
    tool = _pyproject()["tool"]
    assert isinstance(tool, dict)
    listed = set(tool["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "pkiadmin").rglob("__init__.py")
    }
    assert found - listed == set()
