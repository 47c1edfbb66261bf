"""openssl judges a rehearsal's root and the report's detached signature."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pkiadmin.core.workspace import folder as workspace
from tests.ceremony_helpers import rehearse

pytestmark = pytest.mark.interop


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("openssl")
    assert binary is not None
    return subprocess.run([binary, *args], capture_output=True, text=True, check=False)


def test_openssl_accepts_the_root_and_the_report_signature(tmp_path: Path) -> None:
    with workspace.create(tmp_path / "ws") as ws:
        result = rehearse(ws, tmp_path)
    report = result.report_dir
    verified = openssl(
        "verify",
        "-x509_strict",
        "-check_ss_sig",
        "-CAfile",
        str(report / "root.pem"),
        str(report / "root.pem"),
    )
    assert verified.stdout.strip().endswith(": OK"), verified.stderr
    pub = tmp_path / "root.pub"
    pub.write_text(openssl("x509", "-in", str(report / "root.pem"), "-pubkey", "-noout").stdout)
    signature = openssl(
        "dgst",
        "-sha384",
        "-verify",
        str(pub),
        "-signature",
        str(report / "report.json.sig"),
        str(report / "report.json"),
    )
    assert signature.stdout.strip() == "Verified OK"
    (report / "report.json").write_text(
        (report / "report.json").read_text().replace("EXAMPLE", "EXAMPLF", 1)
    )
    tampered = openssl(
        "dgst",
        "-sha384",
        "-verify",
        str(pub),
        "-signature",
        str(report / "report.json.sig"),
        str(report / "report.json"),
    )
    assert tampered.returncode != 0 and "Verification failure" in tampered.stdout
    backup = tmp_path / "backup" / "example-root-2026.key.pem"
    assert openssl("pkey", "-in", str(backup), "-noout", "-passin", "pass:").returncode != 0
