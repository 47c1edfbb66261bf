"""`hsm list`, `hsm keys`, and a root on a SoftHSM2 token signing from the command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from tests.conftest import TOKEN_PIN
from tests.core.x509.test_csr import make_csr, pem


def run(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], input=input, env={"PIN": TOKEN_PIN}
    )


def test_root_on_a_token_signs_an_intermediate_and_a_crl(tmp_path: Path, token: str) -> None:
    ws = tmp_path / "ws"
    assert run(ws, "workspace", "init").exit_code == 0
    listed = run(ws, "hsm", "list")
    assert listed.exit_code == 0 and token in listed.output and "SoftHSM project" in listed.output
    created = run(
        ws, "ca", "create-root", "--cn", "HSM Root CA", "--org", "Example Ltd", "--country", "DE",
        "--token", token, "--key-label", "root-2026", "--passphrase-env", "PIN",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert (
        f"key:            pkcs11:token={token};object=root-2026 (EC P-384, never leaves the token)"
        in created.output
    )
    assert "CKA_NEVER_EXTRACTABLE=yes" in created.output
    assert list((ws / "keys").iterdir()) == []
    keys_listed = run(ws, "hsm", "keys", token, "--passphrase-env", "PIN")
    assert "root-2026" in keys_listed.output and "EC P-384" in keys_listed.output
    again = run(
        ws, "ca", "create-root", "--cn", "Second", "--token", token, "--key-label", "root-2026",
        "--passphrase-env", "PIN",
    )  # fmt: skip
    assert again.exit_code == 1 and "already holds an object labelled 'root-2026'" in again.output

    csr_file = tmp_path / "issuing.csr"
    csr_file.write_bytes(pem(make_csr()))
    run(ws, "csr", "import", str(csr_file))
    wrong = CliRunner().invoke(
        cli, ["--workspace", str(ws), "ca", "sign-csr", "1", "1", "--yes", "--passphrase-env", "BAD"],
        env={"BAD": "1111"},
    )  # fmt: skip
    assert (
        wrong.exit_code == 1 and "The PIN of token" in wrong.output and "is wrong" in wrong.output
    )
    signed = run(ws, "ca", "sign-csr", "1", "1", "--yes", "--passphrase-env", "PIN")
    assert signed.exit_code == 0, signed.output
    issued = run(ws, "crl", "issue", "1", "--passphrase-env", "PIN")
    assert issued.exit_code == 0 and "Signed CRL 1" in issued.output
    verified = run(ws, "ca", "verify-key", "1", "--passphrase-env", "PIN")
    assert verified.exit_code == 0, verified.output
    cross = tmp_path / "cross.csr"
    made = run(ws, "ca", "make-csr", "1", "--out", str(cross), "--passphrase-env", "PIN")
    assert made.exit_code == 0, made.output
    assert "CN=HSM Root CA,O=Example Ltd,C=DE" in made.output
    checked = subprocess.run(
        ["openssl", "req", "-in", str(cross), "-noout", "-verify"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "verify OK" in checked.stdout + checked.stderr
    again = run(ws, "ca", "make-csr", "1", "--out", str(cross), "--passphrase-env", "PIN")
    assert again.exit_code == 1 and "never overwrites" in again.output
    cas = json.loads(run(ws, "ca", "list", "--json").output)
    assert cas[0]["key_backend"] == "pkcs11" and cas[0]["key_protection"] == "pin"
