"""The PyInstaller one-folder build: both executables run, with their resources and hidden imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ceremony_helpers import stage

pytestmark = [pytest.mark.interop, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)  # PyInstaller's build alone takes most of the usual 120 s here
def test_frozen_build_runs_a_rehearsal_and_opens_the_window(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(tmp_path / "dist"),
            "--workpath",
            str(tmp_path / "build"),
            str(ROOT / "packaging" / "pkiadmin.spec"),
        ],
        check=True,
        capture_output=True,
    )
    folder = tmp_path / "dist" / "pkiadmin"
    cli, gui = folder / "pkiadmin-cli", folder / "pkiadmin"
    work = tmp_path / "work"
    plan, answers = stage(work)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PKIADMIN_WORKSPACE": str(work / "ws"),
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(cli), *args], capture_output=True, text=True, env=env, cwd=work, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert run("--version").startswith("pkiadmin 0.1.0\npackage files SHA-256: ")
    run("workspace", "init")
    assert "Ceremony EXAMPLE-ROOT-2026 completed" in run(
        "ceremony", "run", str(plan), "--rehearsal", str(answers)
    )
    assert "The report verifies." in run(
        "ceremony",
        "verify-report",
        str(work / "ws" / "exports" / "ceremonies" / "EXAMPLE-ROOT-2026-1"),
    )
    # A bundle large enough to be read by worker processes: in the frozen executable they start
    # through multiprocessing.freeze_support().
    bundle = work / "bundle.pem"
    _write_bundle(bundle, 5_000)
    assert "5000 certificate(s) imported" in run("cert", "import", str(bundle))
    version = subprocess.run(
        [str(gui), "--version"], capture_output=True, text=True, env=env, check=True
    )
    assert version.stdout.startswith("pkiadmin 0.1.0\n")
    # The windowed program keeps running with its window open until it is closed.
    with subprocess.Popen(
        [str(gui), "--workspace", str(work / "ws")],
        env={**env, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as window:
        try:
            window.wait(timeout=6)
        except subprocess.TimeoutExpired:
            window.terminate()
            try:
                assert window.wait(timeout=10) == 0  # SIGTERM closes it the normal way
            except subprocess.TimeoutExpired:
                window.kill()  # never leave the test (and `make test`) waiting on it
                pytest.fail("the frozen GUI did not quit within 10 s of SIGTERM")
        else:
            pytest.fail(
                f"the frozen GUI exited at once: {window.stderr.read().decode() if window.stderr else ''}"
            )


def _write_bundle(path: Path, count: int) -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Frozen Test CA")])
    now = datetime.now(UTC)
    with path.open("wb") as out:
        for i in range(count):
            cert = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"f{i}.example")]))
                .issuer_name(issuer)
                .public_key(key.public_key())
                .serial_number(1000 + i)
                .not_valid_before(now)
                .not_valid_after(now + timedelta(days=30))
                .sign(key, hashes.SHA256())
            )
            out.write(cert.public_bytes(serialization.Encoding.PEM))
