"""CSR commands and signing from the command line, with what the operator sees."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from pkiadmin.cli.main import cli
from tests.conftest import PASSPHRASE
from tests.core.x509.test_csr import VECTORS, make_csr, pem


def run(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], input=input, env={"P": PASSPHRASE}
    )


def test_check_import_show_and_sign(root_ws_path: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csr"
    good.write_bytes(pem(make_csr()))
    checked = run(root_ws_path, "csr", "check", str(good))
    assert (
        checked.exit_code == 0
        and "The CSR is acceptable." in checked.output
        and "PGP words:" in checked.output
    )
    imported = run(root_ws_path, "csr", "import", str(good))
    assert "Imported as CSR 1." in imported.output
    assert json.loads(run(root_ws_path, "csr", "list", "--json").output)[0]["status"] == "pending"
    assert "CSR 1 (pending), from good.csr" in run(root_ws_path, "csr", "show", "1").output
    declined = run(root_ws_path, "ca", "sign-csr", "1", "1", "--passphrase-env", "P", input="n\n")
    assert declined.exit_code == 1
    assert "About to sign: CN=Online Issuing CA,O=Example Ltd,C=DE" in declined.output
    assert "Error: Nothing was signed." in declined.output
    signed = run(root_ws_path, "ca", "sign-csr", "1", "1", "--passphrase-env", "P", input="y\n")
    assert signed.exit_code == 0, signed.output
    assert "Signed certificate 2: CN=Online Issuing CA,O=Example Ltd,C=DE" in signed.output
    again = run(root_ws_path, "ca", "sign-csr", "1", "1", "--yes", "--passphrase-env", "P")
    assert again.exit_code == 1 and "CSR 1 was already signed (certificate 2)." in again.output
    log = json.loads(run(root_ws_path, "audit", "list", "--json").output)
    sign_entry = next(e for e in log if e["operation"] == "ca.sign-intermediate")
    assert sign_entry["details"]["mode"] == "quick" and sign_entry["details"]["witnessed"] is False
    chain = tmp_path / "chain.pem"
    assert run(root_ws_path, "cert", "export", "2", "--chain", "--out", str(chain)).exit_code == 0
    assert chain.read_text().count("BEGIN CERTIFICATE") == 2
    der = run(
        root_ws_path,
        "cert",
        "export",
        "2",
        "--chain",
        "--format",
        "der",
        "--out",
        str(tmp_path / "x.der"),
    )
    assert der.exit_code == 1 and "DER holds one certificate" in der.output


def test_refused_csrs_are_not_stored(root_ws_path: Path, tmp_path: Path) -> None:
    weak = tmp_path / "weak.csr"
    weak.write_bytes(
        pem(make_csr(rsa.generate_private_key(65537, 1024), algorithm=hashes.SHA256()))
    )
    checked = run(root_ws_path, "csr", "check", str(weak))
    assert checked.exit_code == 1 and "REFUSED: The RSA key has 1024 bits" in checked.output
    refused = run(root_ws_path, "csr", "import", str(weak))
    assert refused.exit_code == 1 and "weak.csr was refused" in refused.output
    sha1 = run(root_ws_path, "csr", "import", str(VECTORS / "requests" / "rsa_sha1.pem"))
    assert sha1.exit_code == 1 and "signed with SHA1, which is refused" in sha1.output
    assert json.loads(run(root_ws_path, "csr", "list", "--json").output) == []


def test_settings_and_a_policy_violation(root_ws_path: Path, tmp_path: Path) -> None:
    bad = run(root_ws_path, "ca", "settings", "1", "--crl-url", "https://pki.example/root.crl")
    assert bad.exit_code == 1 and "is not an http:// or ldap:// URL" in bad.output
    ok = run(root_ws_path, "ca", "settings", "1", "--crl-url", "http://pki.example/root.crl")
    assert "crl_urls: http://pki.example/root.crl" in ok.output
    other = tmp_path / "other.csr"
    other.write_bytes(pem(make_csr(org="Other Corp")))
    run(root_ws_path, "csr", "import", str(other))
    refused = run(root_ws_path, "ca", "sign-csr", "1", "1", "--yes", "--passphrase-env", "P")
    assert (
        refused.exit_code == 1
        and "name policy requires the issuer's 'Example Ltd'" in refused.output
    )


def test_a_subject_cannot_forge_a_line_the_operator_reads_aloud(
    root_ws_path: Path, tmp_path: Path
) -> None:
    forged = "CA\nSPKI SHA-256:   0000 0000 0000\nPGP words: aardvark\u202e"
    request = tmp_path / "forged.csr"
    request.write_bytes(pem(make_csr(subject=forged)))
    for args in (("csr", "check", str(request)), ("csr", "import", str(request))):
        shown = run(root_ws_path, *args)
        lines = shown.output.splitlines()
        assert [ln for ln in lines if ln.startswith("SPKI SHA-256:")] == [
            ln for ln in lines if ln.startswith("SPKI SHA-256:") and "0000 0000" not in ln
        ]
        assert len([ln for ln in lines if ln.startswith("PGP words:")]) == 1
        assert "\u202e" not in shown.output
        assert "CA\\nSPKI SHA-256:   0000" in shown.output and "\\u202e" in shown.output
    listed = run(root_ws_path, "cert", "list")
    assert "\u202e" not in listed.output
