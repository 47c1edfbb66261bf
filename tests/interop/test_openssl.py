"""openssl judges what pkiadmin produces: the root certificate and the encrypted key file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pkiadmin.cli.main import cli
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.interop
OPENSSL = shutil.which("openssl")
if OPENSSL is None:
    pytest.fail("openssl is required for the interop tests (make test installs it)", pytrace=False)


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert OPENSSL is not None
    return subprocess.run(
        [OPENSSL, *args], capture_output=True, text=True, check=check, stdin=subprocess.DEVNULL
    )


def cli_root(tmp_path: Path, *extra: str) -> tuple[Path, Path, Path]:
    ws = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["--workspace", str(ws), "workspace", "init"]).exit_code == 0
    created = runner.invoke(
        cli,
        [
            "--workspace",
            str(ws),
            "ca",
            "create-root",
            "--cn",
            "Interop Root",
            "--org",
            "Example",
            "--country",
            "NL",
            "--passphrase-env",
            "P",
            *extra,
        ],
        env={"P": PASSPHRASE},
    )
    assert created.exit_code == 0, created.output
    pem = tmp_path / "root.pem"
    assert (
        runner.invoke(
            cli, ["--workspace", str(ws), "cert", "export", "1", "--out", str(pem)]
        ).exit_code
        == 0
    )
    (key,) = (ws / "keys").glob("*.pem")
    return ws, pem, key


@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("--algorithm", "ec-p256", "--path-length", "1", "--ski-method", "sha1"),
        ("--algorithm", "rsa-4096"),
    ],
    ids=["p384-default", "p256-pathlen1-sha1ski", "rsa4096"],
)
def test_openssl_verifies_the_root_strictly(tmp_path: Path, extra: tuple[str, ...]) -> None:
    _ws, pem, _key = cli_root(tmp_path, *extra)
    verified = openssl("verify", "-x509_strict", "-check_ss_sig", "-CAfile", str(pem), str(pem))
    assert verified.stdout.strip() == f"{pem}: OK"
    text = openssl("x509", "-in", str(pem), "-noout", "-text").stdout
    assert "Subject: C = NL, O = Example, CN = Interop Root" in text
    assert "X509v3 Basic Constraints: critical\n                CA:TRUE" in text
    assert "X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign" in text
    assert "X509v3 Subject Key Identifier" in text
    assert "Extended Key Usage" not in text
    if "--path-length" in extra:
        assert "CA:TRUE, pathlen:1" in text
    if "rsa-4096" in extra:
        assert "Public-Key: (4096 bit)" in text


def test_openssl_opens_the_key_only_with_the_passphrase(tmp_path: Path) -> None:
    _ws, pem, key = cli_root(tmp_path)
    assert key.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    without = openssl("pkey", "-in", str(key), "-noout", "-passin", "pass:", check=False)
    assert without.returncode != 0
    wrong = openssl(
        "pkey", "-in", str(key), "-noout", "-passin", "pass:wrong passphrase here", check=False
    )
    assert wrong.returncode != 0
    public = openssl("pkey", "-in", str(key), "-pubout", "-passin", f"pass:{PASSPHRASE}").stdout
    cert_public = openssl("x509", "-in", str(pem), "-noout", "-pubkey").stdout
    assert public == cert_public


def test_key_file_uses_pbes2_pbkdf2_sha256_aes256(tmp_path: Path) -> None:
    _ws, _pem, key = cli_root(tmp_path)
    parsed = openssl("asn1parse", "-in", str(key)).stdout
    for marker in (
        ":PBES2",
        ":PBKDF2",
        ":hmacWithSHA256",
        ":aes-256-cbc",
        "INTEGER           :0927C0",
    ):
        assert marker in parsed  # 0x0927C0 = 600,000 iterations
