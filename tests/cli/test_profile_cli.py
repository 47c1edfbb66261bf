"""End-entity profiles and service certificates from the command line: what the operator sees,
and the errors for what the profile does not allow (nothing is stored)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace import folder as workspace
from tests.conftest import PASSPHRASE
from tests.core.issuance.test_end_entity import ISSUING, SUFFIX_PROFILE, csr_for, three_tiers
from tests.core.x509.test_csr import pem


def run(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], input=input, env={"P": PASSPHRASE, "I": ISSUING}
    )


def _audit_count(ws: Path) -> int:
    with workspace.open_workspace(ws) as opened:
        return int(opened.db.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def test_profiles_listed_shown_imported_exported_removed(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    three_tiers(ws).ws.close()
    listed = json.loads(run(ws, "profile", "list", "--json").output)
    assert [p["name"] for p in listed] == [
        "code-signing", "mtls", "ocsp-responder", "tls-client", "tls-server",
    ]  # fmt: skip
    assert 'name = "tls-server"' in run(ws, "profile", "show", "tls-server").output
    bad = tmp_path / "bad.toml"
    bad.write_text(SUFFIX_PROFILE.replace("validity_days = 90", "validity_days = 900"))
    refused = run(ws, "profile", "import", str(bad))
    assert refused.exit_code == 1
    assert (
        "bad.toml: line 6, [profile] validity_days must be between 1 and 180 (the cap)."
        in refused.output
    )
    assert "Traceback" not in refused.output
    good = tmp_path / "gateway.toml"
    good.write_text(SUFFIX_PROFILE)
    assert "Imported the profile partner-gateway" in run(ws, "profile", "import", str(good)).output
    assert "imported" in run(ws, "profile", "list").output
    out = tmp_path / "copy.toml"
    assert run(ws, "profile", "export", "partner-gateway", "--out", str(out)).exit_code == 0
    assert out.read_text() == SUFFIX_PROFILE
    assert (
        "Removed the profile partner-gateway."
        in run(ws, "profile", "remove", "partner-gateway").output
    )
    gone = run(ws, "profile", "show", "partner-gateway")
    assert gone.exit_code == 1 and "There is no end-entity profile 'partner-gateway'" in gone.output


def test_sign_csr_with_an_end_entity_profile(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    three_tiers(ws).ws.close()
    csr = tmp_path / "api.csr"
    request, _key = csr_for("api.example.com", [])
    csr.write_bytes(pem(request))
    assert "Imported as CSR 1." in run(ws, "csr", "import", str(csr)).output
    before = _audit_count(ws)
    # A CA option with an end-entity profile, an unknown profile, a root as the issuer: refused.
    mixed = run(ws, "ca", "sign-csr", "3", "1", "--profile", "tls-server", "--eku", "serverAuth")
    assert mixed.exit_code == 2 and "are for CA certificates" in mixed.output
    unknown = run(ws, "ca", "sign-csr", "3", "1", "--profile", "tls-sever", "--yes")
    assert unknown.exit_code == 1 and "There is no end-entity profile 'tls-sever'" in unknown.output
    root = run(ws, "ca", "sign-csr", "1", "1", "--profile", "tls-server", "--yes")
    assert root.exit_code == 1 and "is a root CA: a root signs CAs only" in root.output
    too_long = run(
        ws, "ca", "sign-csr", "3", "1", "--profile", "tls-server", "--validity-days", "500"
    )
    assert (
        too_long.exit_code == 1
        and "500 days is more than the profile 'tls-server' allows" in too_long.output
    )
    assert _audit_count(ws) == before
    signed = run(
        ws, "ca", "sign-csr", "3", "1", "--profile", "tls-server", "--passphrase-env", "I",
        input="y\n",
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    assert "SAN DNS:api.example.com: added (the CN must also be a SAN)" in signed.output
    assert "Signed certificate 4: CN=api.example.com" in signed.output
    shown = json.loads(run(ws, "csr", "list", "--json").output)[0]
    assert shown["status"] == "signed" and shown["cert_id"] == 4


def test_a_folder_of_csrs_signed_in_one_operation(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    three_tiers(ws).ws.close()
    folder = tmp_path / "csrs"
    folder.mkdir()
    for n in range(5):
        request, _ = csr_for(f"svc{n}.example.com", [])
        (folder / f"svc{n}.csr").write_bytes(pem(request))
    ca_request, _ = csr_for("sub.example.com", [], ca=True)
    (folder / "wants-ca.csr").write_bytes(pem(ca_request))
    (folder / "garbage.pem").write_bytes(b"not a CSR")
    declined = run(ws, "ca", "sign-batch", "3", str(folder), "--profile", "tls-server", input="n\n")
    assert declined.exit_code == 1 and "Error: Nothing was signed." in declined.output
    assert "5 certificate(s):" in declined.output
    assert "- wants-ca.csr: The CSR asks for CA:TRUE" in declined.output
    assert "- garbage.pem: " in declined.output
    assert json.loads(run(ws, "csr", "list", "--json").output) == []  # declined: nothing stored
    before = _audit_count(ws)
    done = run(
        ws, "ca", "sign-batch", "3", str(folder), "--profile", "tls-server", "--passphrase-env",
        "I", "--yes",
    )  # fmt: skip
    assert done.exit_code == 1  # two were left out
    assert "Signed 5 certificate(s): 4 to 8; 2 left out." in done.output
    with workspace.open_workspace(ws) as opened:
        ops = [e.operation for e in audit.entries(opened.db)]
    assert ops[before:].count("ca.sign-end-entity") == 5  # each certificate its own entry


def test_renew_keeps_the_names_and_profile_and_links_the_two(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    three_tiers(ws).ws.close()
    first, _ = csr_for("api.example.com", [])
    (tmp_path / "api.csr").write_bytes(pem(first))
    run(ws, "csr", "import", str(tmp_path / "api.csr"))
    signed = run(
        ws, "ca", "sign-csr", "3", "1", "--profile", "tls-server", "--passphrase-env", "I", "--yes"
    )
    assert "Signed certificate 4" in signed.output
    # The successor's CSR asks for other names; the renewal keeps the certificate's own.
    successor, _ = csr_for("other.example.com", [])
    (tmp_path / "next.csr").write_bytes(pem(successor))
    renewed = run(
        ws, "cert", "renew", "4", "--csr", str(tmp_path / "next.csr"), "--passphrase-env", "I",
        "--yes",
    )  # fmt: skip
    assert renewed.exit_code == 0, renewed.output
    assert "subject and SANs: replaced (kept from certificate 4, renewed)" in renewed.output
    assert "Signed certificate 5, the successor of certificate 4." in renewed.output
    with workspace.open_workspace(ws) as opened:
        row = opened.db.execute(
            "SELECT subject, profile, renews FROM certificates WHERE id = 5"
        ).fetchone()
    assert tuple(row) == ("CN=api.example.com,O=Example Ltd,C=SE", "tls-server", 4)
    ca = run(ws, "cert", "renew", "3", "--csr", str(tmp_path / "next.csr"), "--yes")
    assert ca.exit_code == 1 and "was not issued here under an end-entity profile" in ca.output
