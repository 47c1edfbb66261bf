"""`pkiadmin-cli ceremony run` with sign-intermediate and sign-end-entity plans, answered at the prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from pkiadmin.core.ceremony import preflight
from tests.conftest import PASSPHRASE
from tests.core.issuance.test_end_entity import ISSUING, csr_for, three_tiers
from tests.core.x509.test_csr import make_csr, pem
from tests.keyuse_helpers import end_entity_plan, signing_plan

YES_YES = "y\ny\n"  # administrator and internal witness acknowledge the step
ANSWERS = (
    "y\n" + YES_YES  # plan hash matches the printout
    + "Ivan Internal\n" + YES_YES  # clock confirmed
    + "Ivan Internal\ny\n" + YES_YES  # the CSR's SHA-256 matches what the requester sent
    + YES_YES  # key unlocked (passphrase from the environment)
    + YES_YES  # signed
    + "Ivan Internal\ny\n" + YES_YES  # fingerprint read back
    + "y\ny\n"  # sign-off
)  # fmt: skip


def run(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], input=input, env={"P": PASSPHRASE}
    )


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preflight, "network_interfaces_up", lambda *_a: ())


def test_sign_intermediate_ceremony_at_the_prompts(root_ws_path: Path, tmp_path: Path) -> None:
    csr_file = tmp_path / "issuing.csr"
    csr_file.write_bytes(pem(make_csr()))
    assert run(root_ws_path, "csr", "import", str(csr_file)).exit_code == 0
    digest = json.loads(run(root_ws_path, "csr", "list", "--json").output)[0]["sha256"]
    template = tmp_path / "template.toml"
    made = run(
        root_ws_path, "ceremony", "plan", "new", "--kind", "sign-intermediate", str(template)
    )
    assert made.exit_code == 0
    assert 'kind = "sign-intermediate"' in template.read_text()
    plan = tmp_path / "sign.toml"
    plan.write_text(signing_plan("Test Root CA", digest))
    checked = run(root_ws_path, "ceremony", "plan", "check", str(plan))
    assert "Ceremony:      SIGN-1 (sign-intermediate)" in checked.output

    done = run(root_ws_path, "ceremony", "run", str(plan), "--passphrase-env", "P", input=ANSWERS)
    assert done.exit_code == 0, done.output
    assert "Read aloud the CSR's SHA-256, as the requester sent it:" in done.output
    assert "Subject:      CN=Online Issuing CA,O=Example Ltd,C=DE" in done.output
    assert "intermediate CA certificate (certificate.pem):" in done.output
    assert "Ceremony SIGN-1 completed (record 1)." in done.output
    assert "  cert id: 2" in done.output
    report_dir = done.output.split("  report: ")[1].splitlines()[0]
    verified = run(root_ws_path, "ceremony", "verify-report", report_dir)
    assert verified.exit_code == 0 and "The report verifies." in verified.output
    assert "Signer SHA-256:" in verified.output
    listing = json.loads(run(root_ws_path, "ceremony", "show", "--json").output)
    assert listing[0]["kind"] == "sign-intermediate" and listing[0]["status"] == "completed"
    again = run(root_ws_path, "ceremony", "run", str(plan), "--passphrase-env", "P", input=ANSWERS)
    assert again.exit_code == 1
    assert "was already signed (certificate 2)" in again.output


def test_declining_an_acknowledgement_aborts_and_signs_nothing(
    root_ws_path: Path, tmp_path: Path
) -> None:
    csr_file = tmp_path / "issuing.csr"
    csr_file.write_bytes(pem(make_csr()))
    run(root_ws_path, "csr", "import", str(csr_file))
    digest = json.loads(run(root_ws_path, "csr", "list", "--json").output)[0]["sha256"]
    plan = tmp_path / "sign.toml"
    plan.write_text(signing_plan("Test Root CA", digest))
    stopped = run(
        root_ws_path, "ceremony", "run", str(plan), "--passphrase-env", "P", input="y\ny\nn\n"
    )
    assert stopped.exit_code == 1
    assert "Ivan Internal did not acknowledge 'Plan review'" in stopped.output
    assert "nothing was signed or stored" in stopped.output
    assert json.loads(run(root_ws_path, "csr", "list", "--json").output)[0]["status"] == "pending"
    assert (
        json.loads(run(root_ws_path, "ceremony", "show", "--json").output)[0]["status"] == "aborted"
    )


def test_sign_end_entity_ceremony_at_the_prompts(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    three_tiers(ws).ws.close()
    request, _ = csr_for("Example Ltd OCSP Responder", [])
    csr_file = tmp_path / "ocsp.csr"
    csr_file.write_bytes(pem(request))
    assert run(ws, "csr", "import", str(csr_file)).exit_code == 0
    digest = json.loads(run(ws, "csr", "list", "--json").output)[0]["sha256"]
    template = tmp_path / "template.toml"
    assert (
        run(ws, "ceremony", "plan", "new", "--kind", "sign-end-entity", str(template)).exit_code
        == 0
    )
    assert 'kind = "sign-end-entity"' in template.read_text()
    plan = tmp_path / "ocsp.toml"
    plan.write_text(end_entity_plan("Example Ltd Issuing CA", digest))
    checked = run(ws, "ceremony", "plan", "check", str(plan))
    assert "Profile:       ocsp-responder (end entity), the profile's validity" in checked.output
    done = CliRunner().invoke(
        cli,
        ["--workspace", str(ws), "ceremony", "run", str(plan), "--passphrase-env", "P"],
        input=ANSWERS,
        env={"P": ISSUING},
    )
    assert done.exit_code == 0, done.output
    assert "Profile:      ocsp-responder" in done.output
    assert (
        "full chain (the certificate, then its chain; for nginx or HAProxy) (fullchain.pem):"
        in done.output
    )
    assert "Ceremony OCSP-1 completed (record 1)." in done.output
    listed = json.loads(run(ws, "cert", "list", "--json").output)
    assert [c for c in listed if c["subject"].startswith("CN=Example Ltd OCSP Responder")]
