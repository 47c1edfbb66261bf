"""The issue's acceptance run: a full rehearsal ceremony with the root key on SoftHSM2 (through the
CLI), then an intermediate and a CRL signed with it; openssl and pkilint judge the results."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.cli.main import cli
from pkiadmin.core.ceremony.root import report as ceremony_report
from pkiadmin.core.x509 import lint
from tests.ceremony_helpers import DATA, stage
from tests.conftest import TOKEN_PIN
from tests.core.x509.test_csr import pem


def run(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args], env={"PIN": TOKEN_PIN})


def gb_csr() -> x509.CertificateSigningRequest:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Ltd"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Example Issuing CA"),
        ]
    )
    key = ec.generate_private_key(ec.SECP384R1())
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA384())


def openssl(*args: object) -> str:
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def test_rehearsal_ceremony_with_the_root_key_on_softhsm2(tmp_path: Path, token: str) -> None:
    text = (
        (DATA / "ceremony-plan.toml")
        .read_text()
        .replace(
            'ski_method = "rfc7093"                   # rfc7093 or sha1',
            f'ski_method = "rfc7093"\nbackend = "pkcs11"\ntoken = "{token}"\nkey_label = "example-root"',
        )
    )
    plan, answers = stage(tmp_path / "ceremony", text)
    answers.write_text(answers.read_text() + f'token_pin = "{TOKEN_PIN}"\n')
    ws = tmp_path / "ws"
    assert run(ws, "workspace", "init").exit_code == 0
    checked = run(ws, "ceremony", "plan", "check", str(plan))
    assert f"on token '{token}' as 'example-root' (PKCS#11)" in checked.output
    done = run(ws, "ceremony", "run", str(plan), "--rehearsal", str(answers))
    assert done.exit_code == 0, done.output
    assert "not applicable: the key is on a PKCS#11 token" in done.output
    assert f"key:           pkcs11:token={token};object=example-root" in done.output
    assert list((ws / "keys").iterdir()) == []
    report_dir = Path(done.output.split("  report:        ")[1].splitlines()[0])
    assert ceremony_report.verify(report_dir).ok
    report = json.loads((report_dir / "report.json").read_text())
    assert report["key"]["backend"] == "pkcs11"
    assert report["key"]["token"]["manufacturer"] == "SoftHSM project"
    assert report["key"]["key_attributes"]["CKA_NEVER_EXTRACTABLE"] is True
    steps = {s["step"]: s["result"] for s in report["steps"]}
    assert "not_applicable" in steps["share-distribution"] and "not_applicable" in steps["backup"]

    csr_file = tmp_path / "issuing.csr"
    csr_file.write_bytes(pem(gb_csr()))
    assert run(ws, "csr", "import", str(csr_file)).exit_code == 0
    signed = run(ws, "ca", "sign-csr", "1", "1", "--yes", "--passphrase-env", "PIN")
    assert signed.exit_code == 0, signed.output
    issued = run(
        ws, "crl", "issue", "1", "--passphrase-env", "PIN", "--export", str(tmp_path / "out")
    )
    assert issued.exit_code == 0, issued.output
    root = tmp_path / "root.pem"
    inter = tmp_path / "intermediate.pem"
    assert run(ws, "cert", "export", "1", "--out", str(root)).exit_code == 0
    assert run(ws, "cert", "export", "2", "--out", str(inter)).exit_code == 0
    assert (
        openssl("verify", "-x509_strict", "-check_ss_sig", "-CAfile", root, root)
        .strip()
        .endswith(": OK")
    )
    assert openssl("verify", "-x509_strict", "-CAfile", root, inter).strip().endswith(": OK")
    crl_pem = tmp_path / "out" / "example-root-ca-2026.crl.pem"
    assert "verify OK" in openssl("crl", "-in", crl_pem, "-CAfile", root, "-noout")
    for path in (root, inter):
        findings = lint.lint_certificate(x509.load_pem_x509_certificate(path.read_bytes())).findings
        assert all(f.severity > lint.Severity.NOTICE for f in findings), findings
