"""The offline bundle: built without a registry, installed with no network, used from the installed copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ceremony_helpers import stage

pytestmark = [pytest.mark.interop, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = ROOT / "build" / "wheelhouse"


def no_network() -> list[str]:
    """Run inside a new network namespace (no interface but a downed loopback) where we may."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return ["unshare", "-n"] if probe.returncode == 0 else []


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (WHEELHOUSE / ".complete").is_file():
        pytest.fail(
            "build/wheelhouse is missing: run `make test` (its set-up step fetches it)",
            pytrace=False,
        )
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "bundle.py"),
            "--wheelhouse",
            str(WHEELHOUSE),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    (folder,) = (p for p in out.iterdir() if p.is_dir())
    assert (out / f"{folder.name}.tar.gz").is_file()
    return folder


def install(bundle: Path, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        # Belt and braces where no namespace can be made: any HTTP attempt would fail.
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    return subprocess.run(
        [
            *no_network(),
            str(bundle / "install.sh"),
            "--prefix",
            str(home / "app"),
            "--bindir",
            str(home / "bin"),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_bundle_installs_offline_and_the_installed_copy_works(bundle: Path, tmp_path: Path) -> None:
    manifest = (bundle / "SHA256SUMS").read_text()
    for name in (
        "install.sh",
        "requirements.txt",
        "README.txt",
        "pkiadmin.desktop",
        "pkiadmin.svg",
        "debian-packages.txt",
    ):
        assert f"  {name}\n" in manifest
    home = tmp_path / "home"
    done = install(bundle, home)
    assert done.returncode == 0, done.stderr
    assert "Bundle verified: every file matches SHA256SUMS." in done.stdout
    cli = home / "bin" / "pkiadmin-cli"
    version = subprocess.run(
        [str(cli), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("pkiadmin 0.1.0\npackage files SHA-256: ")
    desktop = (home / "share" / "applications" / "pkiadmin.desktop").read_text()
    assert f"Exec={home / 'bin' / 'pkiadmin'}" in desktop and "Icon=pkiadmin" in desktop
    assert (home / "share" / "icons" / "hicolor" / "scalable" / "apps" / "pkiadmin.svg").is_file()

    # A short scenario from the installed copy, away from the source tree: a rehearsal ceremony.
    work = tmp_path / "work"
    plan, answers = stage(work)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PKIADMIN_WORKSPACE": str(work / "ws")}

    def run(*args: str) -> str:
        result = subprocess.run(
            [*no_network(), str(cli), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("workspace", "init")
    run(
        "ceremony", "plan", "new", str(work / "from-template.toml")
    )  # the template is a packaged resource
    assert "The plan is valid." in run(
        "ceremony", "plan", "check", str(work / "from-template.toml")
    )
    assert "Ceremony EXAMPLE-ROOT-2026 completed" in run(
        "ceremony", "run", str(plan), "--rehearsal", str(answers)
    )
    report = work / "ws" / "exports" / "ceremonies" / "EXAMPLE-ROOT-2026-1"
    assert "The report verifies." in run("ceremony", "verify-report", str(report))
    assert "PGP words:" in run("cert", "show", "1")  # the word list is a packaged resource

    # The installed GUI opens its window (offscreen), icon and stylesheet included.
    python = home / "app" / "venv" / "bin" / "python"
    # The certificates table is filled by its reader thread: the probe waits for it (up to 10 s).
    probe = (
        "import sys, time; from pathlib import Path; from pkiadmin.gui.app import create_application\n"
        "from pkiadmin.gui.main_window import MainWindow; from pkiadmin.gui.worker import InlineCaWorker\n"
        "app = create_application(sys.argv[:1]); ws = Path(sys.argv[1])\n"
        "w = MainWindow(InlineCaWorker(ws), ws); w.show(); app.processEvents(); start = time.time()\n"
        "while w.certificates.model.rowCount() == 0 and time.time() - start < 10:\n"
        "    app.processEvents(); time.sleep(0.01)\n"
        "print('shown', w.isVisible(), not app.windowIcon().isNull(), w.certificates.model.rowCount()); w.close()\n"
        "from pkiadmin.core.base import resources; root = resources.guide_root()\n"
        "print('guides', len(resources.guides()), (root / 'screenshots' / 'tour.png').is_file() or"
        " (root / 'screenshots' / 'dashboard.png').is_file(), 'site-packages' in str(root))"
    )
    shown = subprocess.run(
        [str(python), "-c", probe, str(work / "ws")],
        capture_output=True,
        text=True,
        env={**env, "QT_QPA_PLATFORM": "offscreen"},
        cwd=work,
        check=True,
    )
    window_line, guides_line = shown.stdout.strip().splitlines()
    assert window_line == "shown True True 1"
    # Help → Guides reads the guides the wheel carries, with their screenshots, not the source's.
    label, count, pictures, installed = guides_line.split()
    assert label == "guides" and int(count) >= 10 and (pictures, installed) == ("True", "True")

    removed = install(bundle, home, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not (home / "bin" / "pkiadmin-cli").exists() and not (home / "app").exists()
    assert (work / "ws" / "pkiadmin.db").is_file()  # workspaces are never touched


@pytest.mark.parametrize("tamper", ["edit", "add"])
def test_a_tampered_bundle_is_refused_and_installs_nothing(
    bundle: Path, tmp_path: Path, tamper: str
) -> None:
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    if tamper == "edit":
        requirements = copy / "requirements.txt"
        requirements.write_text(requirements.read_text() + "# harmless-looking change\n")
        message = "does not match its SHA-256 in SHA256SUMS"
    else:
        (copy / "wheels" / "evil-1.0-py3-none-any.whl").write_bytes(b"PK")
        message = "files that SHA256SUMS does not list: wheels/evil-1.0-py3-none-any.whl"
    home = tmp_path / "home"
    result = install(copy, home)
    assert result.returncode == 1
    assert message in result.stderr
    assert not (home / "app").exists() and not (home / "bin").exists()
