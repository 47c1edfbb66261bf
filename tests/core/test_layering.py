"""core and cli never import PySide6; resources are found from a checkout and from an installed wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]

_IMPORT_ALL = """
import importlib, pkgutil, sys
import pkiadmin.core, pkiadmin.cli
for pkg in (pkiadmin.core, pkiadmin.cli):
    for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(info.name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in {"PySide6", "shiboken6"})
print("QT:", qt)
"""


def test_core_and_cli_import_without_pyside6() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "QT: []" in out.stdout


def test_qt_free_run_really_blocks_pyside6() -> None:
    if not os.environ.get("PKIADMIN_TEST_WITHOUT_QT"):
        pytest.skip("only meaningful in the Qt-free run (make pytest)")
    with pytest.raises(ModuleNotFoundError, match="blocked for the Qt-free test run"):
        __import__("PySide6.QtWidgets")


@pytest.mark.slow
def test_resources_are_packaged_in_the_wheel(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheel_dir.glob("pkiadmin-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for resource in (
        "pgp-wordlist.txt",
        "iso3166-alpha2.txt",
        "ceremony-plan-template.toml",
        "pkiadmin.desktop",
        "pkiadmin.svg",
        "style.qss",
        "PROVENANCE.md",
    ):
        assert f"pkiadmin/resources/{resource}" in names
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    probe = (
        "import pkiadmin.core.base.resources as r, pkiadmin.core.base.fingerprint as f;"
        "print(r.resource_root()); print(' '.join(f.pgp_words(bytes([0, 0]))))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {probe}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    root_line, words = out.stdout.splitlines()
    assert root_line.startswith(str(target))
    assert words == "aardvark adroitness"


def _copy_project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT / "pkiadmin", copy / "pkiadmin", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, ahead of the editable install of the checkout.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import pkiadmin; assert pkiadmin.__file__.startswith(sys.argv[1]), pkiadmin.__file__; "
        "from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(project)],
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )


@pytest.mark.slow
def test_an_upward_import_breaks_the_layers_contract(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    kept = _lint_imports(project)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    # base is the bottom layer: a module there that imports a ceremony module must be refused.
    (project / "pkiadmin/core/base/upward.py").write_text(
        "from pkiadmin.core.ceremony import store\n\nSTORE = store\n"
    )
    broken = _lint_imports(project)
    assert broken.returncode != 0
    assert "pkiadmin.core.base is not allowed to import pkiadmin.core.ceremony" in broken.stdout
    assert "pkiadmin.core.base.upward -> pkiadmin.core.ceremony.store" in broken.stdout


def test_no_module_is_part_of_an_import_cycle() -> None:
    """Type-only imports count: a cycle through TYPE_CHECKING is still a cycle in the design."""
    graph = grimp.build_graph("pkiadmin")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("pkiadmin.") and graph.chain_exists(
                imported, module, as_packages=False
            ):
                cycles.append(f"{module} -> {imported}")
    # A package's __init__ importing its own modules is not a cycle between domains.
    cycles = [c for c in cycles if not _is_package_init_edge(c)]
    assert cycles == []


def _is_package_init_edge(edge: str) -> bool:
    importer, imported = edge.split(" -> ")
    return imported.startswith(importer + ".") or importer.startswith(imported + ".")
