"""Pre-signed OCSP responses as relying parties read them: `openssl ocsp -respin` verifies each
response (signed by the CA key, and by a delegated responder) and reports good or revoked with
the reason; `openssl s_server -status_file` staples one and `openssl s_client -status` shows it
verified. Bad requests are refused and record nothing; the calendar and the audit replay follow
the responses."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.cli.main import cli
from pkiadmin.core.base.errors import StorageError, ValidationError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import end_entity, key_and_cert, profiles, requests
from pkiadmin.core.keys import files as keys
from pkiadmin.core.revocation import calendar, ocsp
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import audit
from tests.core.issuance.test_end_entity import ISSUING, Hierarchy, csr_for, issue, three_tiers

pytestmark = pytest.mark.interop
PEM = serialization.Encoding.PEM
RESPONDER_PASSWORD = "responder key file password, for the test"


@dataclass
class Setup:
    tiers: Hierarchy
    folder: Path
    good: x509.Certificate
    good_key: ec.EllipticCurvePrivateKey
    revoked: x509.Certificate
    issuer_pem: Path
    chain_pem: Path  # issuing CA, policy CA, root


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    tiers = three_tiers(tmp_path / "ws")
    request, key = csr_for("www.example.com", [x509.DNSName("www.example.com")])
    record, _ = requests.import_csr(tiers.ws, request.public_bytes(PEM), "www.csr")
    plan = end_entity.prepare(
        tiers.ws, tiers.issuing_ca, requests.load_request(tiers.ws, record.id),
        profiles.get(tiers.ws.db, "tls-server"),
    )  # fmt: skip
    good = end_entity.sign(tiers.ws, plan, ISSUING, csr_id=record.id).certificate
    bad = issue(tiers, "tls-server", "old.example.com", [x509.DNSName("old.example.com")])
    revocation.revoke(tiers.ws, bad.cert_id, "keyCompromise")
    issuer_pem = tmp_path / "issuer.pem"
    issuer_pem.write_bytes(inventory.load_certificate(tiers.ws.db, 3).public_bytes(PEM))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    yield Setup(tiers, tmp_path, good, key, bad.certificate, issuer_pem, tiers.chain)
    tiers.ws.close()


def _respin(s: Setup, response: Path) -> str:
    done = subprocess.run(
        [
            "openssl", "ocsp", "-respin", str(response), "-issuer", str(s.issuer_pem),
            "-CAfile", str(s.chain_pem), "-resp_text",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


def _response(folder: Path, cert: x509.Certificate) -> Path:
    return folder / "by-serial" / f"{inventory.serial_hex(cert.serial_number).upper()}.der"


def test_responses_signed_by_the_ca_key_verify_and_say_good_or_revoked(setup: Setup) -> None:
    out = setup.folder / "ocsp"
    done = ocsp.issue(setup.tiers.ws, setup.tiers.issuing_ca, ISSUING, folder=out, days=7)
    assert (done.responses, done.revoked) == (2, 1)
    good = _respin(setup, _response(out, setup.good))
    assert "Response verify OK" in good and "Cert Status: good" in good
    bad = _respin(setup, _response(out, setup.revoked))
    assert "Response verify OK" in bad and "Cert Status: revoked" in bad
    assert "Revocation Reason: keyCompromise" in bad
    # The same bytes by CertID, and a manifest naming each with its SHA-256.
    manifest = json.loads((out / "manifest.json").read_text())
    entry = next(r for r in manifest["responses"] if r["status"] == "revoked")
    certid = out / entry["files"][1]
    assert certid.read_bytes() == _response(out, setup.revoked).read_bytes()
    assert entry["files"][1].startswith("by-certid/") and entry["serial"] in certid.name
    assert manifest["responder"]["kind"] == "ca" and manifest["certid_hash"] == "sha1"
    # Valid no longer than asked, and audited with the manifest.
    assert (done.next_update - done.this_update).days == 7
    entry_log = next(e for e in audit.entries(setup.tiers.ws.db) if e.operation == "ocsp.sign")
    assert entry_log.artefacts[0].name == str(out / "manifest.json")
    assert audit.verify(setup.tiers.ws.db).ok


def test_a_delegated_responder_signs_and_openssl_verifies_it(setup: Setup) -> None:
    bundle = key_and_cert.issue(
        setup.tiers.ws, setup.tiers.issuing_ca, profiles.get(setup.tiers.ws.db, "ocsp-responder"),
        "Example Ltd OCSP Responder", [], keys.KeyAlgorithm.EC_P256, RESPONDER_PASSWORD,
        setup.folder / "responder", issuer_passphrase=ISSUING,
    )  # fmt: skip
    p12 = next(iter(bundle.files))
    # The GUI offers exactly the CA's own OCSP responders (not its TLS certificates).
    candidates = ocsp.responder_candidates(setup.tiers.ws.db, setup.tiers.issuing_ca)
    assert [cert_id for cert_id, _ in candidates] == [bundle.cert_id]
    key = ocsp.load_responder_key(p12, RESPONDER_PASSWORD)
    out = setup.folder / "delegated"
    ocsp.issue(
        setup.tiers.ws, setup.tiers.issuing_ca, folder=out, days=7,
        delegated=(bundle.cert_id, key),
    )  # fmt: skip
    text = _respin(setup, _response(out, setup.revoked))
    assert "Response verify OK" in text and "Cert Status: revoked" in text
    assert "Responder Id: " in text
    shown = ocsp.describe(
        _response(out, setup.good).read_bytes(), ocsp.known_issuers(setup.tiers.ws.db)
    )
    assert any(
        line.startswith("Signature:       verified, by delegated responder CN=Example Ltd OCSP")
        for line in shown
    ), shown
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["responder"]["kind"] == "delegated"


def test_what_cannot_sign_or_be_written_is_refused_and_records_nothing(setup: Setup) -> None:
    ws, ca = setup.tiers.ws, setup.tiers.issuing_ca
    before = len(audit.entries(ws.db))
    tls_cert = inventory.get_record(ws.db, 4)
    with pytest.raises(ValidationError, match="has no OCSPSigning EKU"):
        ocsp.issue(ws, ca, days=7, delegated=(tls_cert.id, setup.good_key))
    with pytest.raises(ValidationError, match="its CRL period"):
        ocsp.issue(ws, ca, ISSUING, days=400)
    full = setup.folder / "not-empty"
    full.mkdir()
    (full / "something").write_text("x")
    with pytest.raises(StorageError, match="is not empty"):
        ocsp.issue(ws, ca, ISSUING, folder=full, days=7)
    not_a_key = setup.folder / "nothing.p12"
    not_a_key.write_bytes(b"\x30\x03\x02\x01\x03")
    with pytest.raises(ValidationError, match="password is wrong"):
        ocsp.load_responder_key(not_a_key, "x")
    assert len(audit.entries(ws.db)) == before
    assert ws.db.execute("SELECT COUNT(*) FROM ocsp_batches").fetchone()[0] == 0


def test_the_calendar_says_when_responses_are_stale_and_the_replay_sees_edits(
    setup: Setup,
) -> None:
    ws = setup.tiers.ws
    ocsp.issue(ws, setup.tiers.issuing_ca, ISSUING, folder=setup.folder / "o", days=7)
    line = next(s for s in calendar.status(ws.db) if s.ca_id == setup.tiers.issuing_ca)
    assert line.ocsp_next_update is not None and line.ocsp_problem == ""
    time.sleep(1.1)  # recorded_at has whole seconds
    revocation.revoke(ws, 4, "superseded")
    line = next(s for s in calendar.status(ws.db) if s.ca_id == setup.tiers.issuing_ca)
    assert "still answer good for them" in line.ocsp_problem and line.needs_attention
    with ws.db.atomic():
        ws.db.execute("UPDATE ocsp_batches SET next_update = '2099-01-01T00:00:00+00:00'")
    assert any("OCSP batch 1" in d for d in audit_replay.differences(ws.db))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_openssl_staples_a_response_and_the_client_verifies_it(setup: Setup) -> None:
    openssl = shutil.which("openssl")
    assert openssl is not None
    out = setup.folder / "stapled"
    ocsp.issue(setup.tiers.ws, setup.tiers.issuing_ca, ISSUING, folder=out, days=7)
    key_file = setup.folder / "www.key"
    key_file.write_bytes(
        setup.good_key.private_bytes(
            PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_file = setup.folder / "www.pem"
    cert_file.write_bytes(setup.good.public_bytes(PEM))
    untrusted = setup.folder / "intermediates.pem"
    chain = x509.load_pem_x509_certificates(setup.chain_pem.read_bytes())
    untrusted.write_bytes(b"".join(c.public_bytes(PEM) for c in chain[:2]))
    root = setup.folder / "root.pem"
    root.write_bytes(chain[2].public_bytes(PEM))
    port = _free_port()
    server = subprocess.Popen(
        [
            openssl, "s_server", "-accept", str(port), "-cert", str(cert_file), "-key",
            str(key_file), "-cert_chain", str(untrusted), "-status_file",
            str(_response(out, setup.good)), "-quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(50):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        client = subprocess.run(
            [
                openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-status", "-CAfile",
                str(root), "-verify_return_error", "-verify_hostname", "www.example.com",
            ],
            input="",
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )  # fmt: skip
    finally:
        server.kill()
        server.wait()
    text = client.stdout + client.stderr
    assert "OCSP Response Status: successful" in text, text
    assert "Cert Status: good" in text
    assert "Verify return code: 0 (ok)" in text


def test_the_cli_signs_them_with_the_crl_and_shows_one(setup: Setup) -> None:
    ws_path = setup.tiers.ws.path
    setup.tiers.ws.close()
    runner = CliRunner()
    done = runner.invoke(
        cli,
        ["--workspace", str(ws_path), "crl", "issue", "3", "--passphrase-env", "P",
         "--ocsp-dir", str(setup.folder / "with-crl"), "--ocsp-days", "10"],
        env={"P": ISSUING},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Signed 2 OCSP response(s) (1 revoked)" in done.output
    manifest = json.loads((setup.folder / "with-crl" / "manifest.json").read_text())
    valid = datetime.fromisoformat(manifest["next_update"]) - datetime.fromisoformat(
        manifest["this_update"]
    )
    assert valid.days == 10
    shown = runner.invoke(
        cli,
        ["--workspace", str(ws_path), "ocsp", "show",
         str(_response(setup.folder / "with-crl", setup.revoked))],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "Status:          revoked" in shown.output
    assert "reason keyCompromise" in shown.output
    assert "Signature:       verified, by CN=Example Ltd Issuing CA" in shown.output
    again = runner.invoke(
        cli,
        ["--workspace", str(ws_path), "ocsp", "export", "3", "--days", "3",
         "--passphrase-env", "P", "--out-dir", str(setup.folder / "again")],
        env={"P": ISSUING},
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "valid" in again.output and "manifest SHA-256:" in again.output
    garbage = setup.folder / "garbage.der"
    garbage.write_bytes(b"\x30\x03\x02\x01\x00")
    bad = runner.invoke(cli, ["--workspace", str(ws_path), "ocsp", "show", str(garbage)])
    assert bad.exit_code == 1 and "not a DER OCSP response" in bad.output
    assert "Traceback" not in bad.output
    setup.tiers.ws = __import__("pkiadmin.core.workspace.folder", fromlist=["x"]).open_workspace(
        ws_path
    )
