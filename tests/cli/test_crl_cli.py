"""`cert revoke` and `crl ...` from the command line, with what the operator sees."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from tests.conftest import PASSPHRASE
from tests.core.x509.test_csr import make_csr, pem


def run(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], input=input, env={"P": PASSPHRASE}
    )


def test_revoke_issue_status_and_export(root_ws_path: Path, tmp_path: Path) -> None:
    csr_file = tmp_path / "issuing.csr"
    csr_file.write_bytes(pem(make_csr()))
    run(root_ws_path, "csr", "import", str(csr_file))
    assert (
        run(root_ws_path, "ca", "sign-csr", "1", "1", "--yes", "--passphrase-env", "P").exit_code
        == 0
    )

    status = run(root_ws_path, "crl", "status")
    assert status.exit_code == 1 and "NO CRL    Test Root CA" in status.output
    issued = run(root_ws_path, "crl", "issue", "1", "--passphrase-env", "P")
    assert issued.exit_code == 0, issued.output
    assert "Signed CRL 1 of 'Test Root CA' (id 1)." in issued.output
    assert run(root_ws_path, "crl", "status").exit_code == 0

    declined = run(root_ws_path, "cert", "revoke", "2", "--reason", "keyCompromise", input="n\n")
    assert (
        "This is a CA certificate" in declined.output and "Nothing was revoked." in declined.output
    )
    serial = json.loads(run(root_ws_path, "cert", "show", "2", "--json").output)["record"][
        "serial_hex"
    ]
    revoked = run(
        root_ws_path, "cert", "revoke", "--serial", serial, "--reason", "keyCompromise",
        "--note", "laptop stolen", "--yes",
    )  # fmt: skip
    assert revoked.exit_code == 0, revoked.output
    assert "reason keyCompromise, not yet in a signed CRL" in revoked.output
    assert "pkiadmin-cli crl issue 1" in revoked.output
    again = run(root_ws_path, "cert", "revoke", "2", "--reason", "superseded", "--yes")
    assert again.exit_code == 1 and "Nothing changed: certificate 2" in again.output
    root = run(root_ws_path, "cert", "revoke", "1", "--reason", "superseded", "--yes")
    assert root.exit_code == 1 and "A root cannot be revoked" in root.output
    assert "revoked" in run(root_ws_path, "cert", "list").output
    assert "REVOKED: certificate 2" in run(root_ws_path, "cert", "show", "2").output

    pending = run(root_ws_path, "crl", "status")
    assert pending.exit_code == 1 and "DUE SOON" in pending.output
    assert "pending: certificate 2 (CN=Online Issuing CA,O=Example Ltd,C=DE)" in pending.output
    out = tmp_path / "publish"
    second = run(root_ws_path, "crl", "issue", "1", "--passphrase-env", "P", "--export", str(out))
    assert second.exit_code == 0 and "Signed CRL 2" in second.output
    shown = run(root_ws_path, "crl", "show", "2")
    assert "CRL 2 of 'Test Root CA'" in shown.output and f"{serial}  revoked" in shown.output
    listing = json.loads(run(root_ws_path, "crl", "show", "--json").output)
    assert [c["number"] for c in listing] == [1, 2]
    text = subprocess.run(
        ["openssl", "crl", "-in", str(out / "test-root-ca.crl"), "-inform", "DER", "-noout", "-text"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Key Compromise" in text
    wrong = run(
        root_ws_path, "crl", "settings", "1", "--period-days", "400", "--overlap-days", "10"
    )
    assert wrong.exit_code == 1 and "at most twelve months" in wrong.output


def test_confirm_clock_is_recorded(root_ws_path: Path) -> None:
    runner = CliRunner()
    refused = runner.invoke(
        cli,
        ["--workspace", str(root_ws_path), "workspace", "confirm-clock", "--by", "Alice"],
        input="n\n",
    )
    assert refused.exit_code == 1 and "Nothing was recorded." in refused.output
    done = runner.invoke(
        cli,
        ["--workspace", str(root_ws_path), "workspace", "confirm-clock", "--by", "Alice", "--yes"],
    )
    assert (
        done.exit_code == 0
        and "the clock was confirmed at" in done.output
        and "by Alice" in done.output
    )
    listed = runner.invoke(cli, ["--workspace", str(root_ws_path), "audit", "list", "--json"])
    assert '"clock.confirmed"' in listed.output


def test_the_crl_signed_is_the_one_shown(
    root_ws_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`crl issue` shows the draft, then signs that draft (signing checks that it still lists
    every revocation recorded), not one prepared again after the passphrase was typed: what
    was shown is what is signed, and a 100,000-entry CRL is not read twice."""
    from pkiadmin.core.revocation import crl

    prepared: list[crl.CrlDraft] = []
    real = crl.prepare

    def spy(*args: object, **kwargs: object) -> crl.CrlDraft:
        draft = real(*args, **kwargs)  # type: ignore[arg-type]
        prepared.append(draft)
        return draft

    monkeypatch.setattr(crl, "prepare", spy)
    issued = run(root_ws_path, "crl", "issue", "1", "--passphrase-env", "P")
    assert issued.exit_code == 0, issued.output
    assert len(prepared) == 1
    shown = prepared[0]
    assert f"thisUpdate {shown.this_update:%Y-%m-%d %H:%M:%S} UTC" in issued.output
    signed = json.loads(run(root_ws_path, "crl", "show", "1", "--json").output)
    assert signed["crl"]["this_update"].startswith(f"{shown.this_update:%Y-%m-%dT%H:%M:%S}")
