"""core and cli never import PySide6; resources are found from a checkout and from an installed wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

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
