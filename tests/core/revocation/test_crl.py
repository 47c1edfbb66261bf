"""Revocation and CRLs: numbering, dates, entries, lint, the calendar, export; checked with openssl."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.ceremony.keyuse import plan as keyuse_plan
from pkiadmin.core.ceremony.keyuse import report as keyuse_report
from pkiadmin.core.ceremony.keyuse import tasks as keyuse_tasks
from pkiadmin.core.ceremony.keyuse.driver import drive
from pkiadmin.core.ceremony.keyuse.run import KeyUseRun
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import intermediate, requests
from pkiadmin.core.issuance.held_ca import create_intermediate
from pkiadmin.core.revocation import calendar as crl_status
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.revocation.calendar import CrlState
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import PASSPHRASE, counts, make_root
from tests.core.x509.test_csr import make_csr, pem
from tests.keyuse_helpers import PARTICIPANTS, ScriptedRoom


def issue_intermediate(ws: Workspace, cn: str = "Online Issuing CA") -> int:
    record, _ = requests.import_csr(ws, pem(make_csr(subject=cn)), f"{cn}.csr")
    plan = intermediate.prepare(
        ws, 1, requests.load_request(ws, record.id), intermediate.IntermediateRequest()
    )
    return intermediate.sign(ws, plan, PASSPHRASE, csr_id=record.id).cert_id


def write_pem(path: Path, obj: x509.Certificate | x509.CertificateRevocationList) -> Path:
    path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
    return path


def openssl(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=False)


def test_revoked_intermediate_is_rejected_by_openssl_and_a_good_one_accepted(
    root_ws: Workspace, tmp_path: Path
) -> None:
    empty = crl.issue(root_ws, 1, PASSPHRASE)  # right after creation: an empty CRL is normal
    assert empty.signed.number == 1 and len(list(empty.signed.crl)) == 0
    bad, good = issue_intermediate(root_ws, "Bad CA"), issue_intermediate(root_ws, "Good CA")
    revoked = revocation.revoke(
        root_ws,
        bad,
        "keyCompromise",
        invalidity_date=datetime.now(UTC) - timedelta(days=2),
        note="key found on a file share",
    )
    assert revoked.pending and revoked.crl_deadline == revoked.recorded_at + timedelta(hours=24)
    issued = crl.issue(root_ws, 1, PASSPHRASE)
    assert issued.signed.number == 2
    assert issued.signed.lint_after.profile == "pkilint RFC 5280 ARL (PKIX)"
    assert issued.signed.lint_after.ok
    assert revocation.for_certificate(root_ws.db, bad).crl_number == 2  # type: ignore[union-attr]

    root = write_pem(tmp_path / "root.pem", inventory.load_certificate(root_ws.db, 1))
    crl_pem = write_pem(tmp_path / "crl.pem", issued.signed.crl)
    checked = openssl("crl", "-in", crl_pem, "-CAfile", root, "-noout", "-text")
    assert "verify OK" in checked.stderr + checked.stdout  # it exits 0 even on failure
    assert "Only CA Certificates" in checked.stdout and "Key Compromise" in checked.stdout
    assert (
        "Invalidity Date" in checked.stdout
        and "X509v3 CRL Number: \n                2" in checked.stdout
    )
    for cert_id, expected in ((bad, "certificate revoked"), (good, ": OK")):
        target = write_pem(
            tmp_path / f"{cert_id}.pem", inventory.load_certificate(root_ws.db, cert_id)
        )
        result = openssl("verify", "-crl_check", "-CRLfile", crl_pem, "-CAfile", root, target)
        assert expected in result.stdout + result.stderr
    assert audit.verify(root_ws.db).ok


def test_bad_revocations_change_nothing(root_ws: Workspace) -> None:
    cert_id = issue_intermediate(root_ws)
    revocation.revoke(root_ws, cert_id, "superseded")
    before = counts(root_ws)
    with pytest.raises(
        revocation.AlreadyRevokedError, match=r"Nothing changed: certificate 2 .* reason superseded"
    ):
        revocation.revoke(root_ws, cert_id, "keyCompromise")
    with pytest.raises(ValidationError, match="A root cannot be revoked by a CRL it signs itself"):
        revocation.revoke(root_ws, 1, "cessationOfOperation")
    with pytest.raises(
        NotFoundError, match="No certificate in the inventory has the serial 0BADC0DE"
    ):
        revocation.find_by_serial(root_ws.db, "0BADC0DE")
    with pytest.raises(ValidationError, match="'certificateHold' is not a reason"):
        revocation.revoke(root_ws, cert_id, "certificateHold")
    # A partner's certificate, in the inventory but issued by a CA whose key is elsewhere.
    other = workspace_root_cert()
    with root_ws.db.atomic():
        foreign = inventory.insert_certificate(root_ws.db, other, certrecord.Source.IMPORTED)
    before = counts(root_ws)
    with pytest.raises(
        ValidationError, match="was not issued by a CA whose key this workspace holds"
    ):
        revocation.revoke(root_ws, foreign, "superseded")
    assert counts(root_ws) == before


def test_an_imported_certificate_is_revoked_with_proof_it_chains(root_ws: Workspace) -> None:
    cert_id = issue_intermediate(root_ws)
    copy = inventory.load_certificate(root_ws.db, cert_id)
    with root_ws.db.atomic():  # as if it had come back from the online side, unlinked
        root_ws.db.execute("UPDATE csrs SET cert_id = NULL")
        root_ws.db.execute("DELETE FROM certificates WHERE id = ?", (cert_id,))
        imported = inventory.insert_certificate(root_ws.db, copy, certrecord.Source.IMPORTED)
    assert inventory.get_record(root_ws.db, imported).issuer_cert_id is None
    done = revocation.revoke(root_ws, imported, "superseded")
    assert done.ca_id == 1
    issued = crl.issue(root_ws, 1, PASSPHRASE)
    assert [e.serial_number for e in issued.signed.crl] == [copy.serial_number]


def workspace_root_cert() -> x509.Certificate:
    from pkiadmin.core.issuance import root as rootca
    from pkiadmin.core.keys import files as keys

    key = keys.generate(keys.KeyAlgorithm.EC_P256)
    builder = rootca.root_builder(
        SubjectSpec("Partner Root", "Partner", country="FR").to_name(),
        key.public_key(),
        rootca.RootCaRequest(SubjectSpec("Partner Root", "Partner", country="FR")),
    )
    return builder.sign(key, keys.signature_hash(key.public_key()))


def test_crl_dates_period_and_clock(tmp_path: Path) -> None:
    from pkiadmin.core.workspace import folder as workspace

    with workspace.create(tmp_path / "ws") as ws:
        make_root(ws, validity_days=100)
        with pytest.raises(ValidationError, match="reaches beyond the validity"):
            crl.set_settings(ws, 1, 200, 10)
        with pytest.raises(ValidationError, match="shorter than the CRL period"):
            crl.set_settings(ws, 1, 30, 30)
        first = crl.issue(ws, 1, PASSPHRASE)
        authority_end = inventory.load_certificate(ws.db, 1).not_valid_after_utc
        assert first.signed.draft.next_update == authority_end  # 365 days capped at notAfter
        assert "capped at the issuer's notAfter" in first.signed.draft.notes[0]
        before = counts(ws)
        with pytest.raises(ValidationError, match="is before the thisUpdate of CRL 1"):
            crl.issue(ws, 1, PASSPHRASE, now=datetime.now(UTC) - timedelta(days=1))
        assert counts(ws) == before and crl.settings(ws.db, 1).last_number == 1


def test_the_crl_number_never_repeats_across_a_killed_issuance(root_ws_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from pkiadmin.core.revocation import crl
        from pkiadmin.core.x509 import lint
        from pkiadmin.core.workspace import folder as workspace
        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        lint.lint_crl = killed
        ws = workspace.open_workspace(Path({str(root_ws_path)!r}))
        crl.issue(ws, 1, {PASSPHRASE!r})
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], check=False, cwd=Path.cwd())
    assert killed.returncode == -9
    from pkiadmin.core.workspace import folder as workspace

    with workspace.open_workspace(root_ws_path) as ws:
        assert crl.list_crls(ws.db) == ()
        again = crl.issue(ws, 1, PASSPHRASE)
        assert again.signed.number == 2  # number 1 was taken by the killed run, never reused
        third = crl.issue(ws, 1, PASSPHRASE)
        assert [r.number for r in crl.list_crls(ws.db)] == [2, 3] and third.signed.number == 3
        assert audit.verify(ws.db).ok


def test_status_turns_red_before_the_crl_expires(root_ws: Workspace) -> None:
    (missing,) = crl_status.status(root_ws.db)
    assert missing.state is CrlState.MISSING
    crl.set_settings(root_ws, 1, 90, 20)
    issued = crl.issue(root_ws, 1, PASSPHRASE)
    next_update = issued.signed.draft.next_update

    def at(when: datetime) -> crl_status.CrlStatus:
        return crl_status.status(root_ws.db, when)[0]

    assert at(datetime.now(UTC)).state is CrlState.OK
    assert at(next_update - timedelta(days=25)).state is CrlState.DUE_SOON
    overdue = at(next_update - timedelta(days=19))
    assert overdue.state is CrlState.OVERDUE and overdue.days_left == 19  # red, before expiry
    assert at(next_update + timedelta(seconds=1)).state is CrlState.EXPIRED
    revocation.revoke(root_ws, issue_intermediate(root_ws), "superseded")
    waiting = at(datetime.now(UTC))
    assert waiting.state is CrlState.DUE_SOON and len(waiting.pending) == 1
    assert at(datetime.now(UTC) + timedelta(hours=25)).state is CrlState.OVERDUE


def test_export_uses_stable_names_and_replaces_only_an_older_crl(
    root_ws: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "publish"
    first = crl.issue(root_ws, 1, PASSPHRASE)
    exported = crl_status.export(root_ws, first.crl_id, out)
    assert exported.der_path == out / "test-root-ca.crl"
    second = crl.issue(root_ws, 1, PASSPHRASE)
    with pytest.raises(ValidationError, match="superseded by CRL 2"):
        crl_status.export(root_ws, first.crl_id, out)
    crl_status.export(root_ws, second.crl_id, out)
    published = x509.load_der_x509_crl((out / "test-root-ca.crl").read_bytes())
    assert published.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
    (out / "test-root-ca.crl.pem").write_text("my notes")
    with pytest.raises(Exception, match="is not a CRL of this CA; it was left alone"):
        crl_status.export(root_ws, second.crl_id, out)
    assert (out / "test-root-ca.crl.pem").read_text() == "my notes"


def test_batch_crl_ceremony_re_signs_root_and_policy_ca(root_ws: Workspace) -> None:
    policy = create_intermediate(
        root_ws,
        1,
        SubjectSpec("Policy CA", "Example Ltd", country="DE"),
        intermediate.IntermediateRequest(profile=intermediate.CaProfile.POLICY),
        PASSPHRASE,
        issuer_passphrase=PASSPHRASE,
    )
    text = f"""[ceremony]
kind = "crl"
id = "CRL-2026-11"
purpose = "Scheduled CRL re-signing"
cps_reference = "CPS 4.9.7"
{PARTICIPANTS}
[crl]
authorities = []
"""
    plan = keyuse_plan.parse(text)
    run = KeyUseRun.start(root_ws, plan, keyuse_tasks.for_plan(root_ws, plan))
    room = ScriptedRoom(passphrases=[PASSPHRASE, PASSPHRASE])
    result = drive(run, room)
    assert "CRL of 'Test Root CA' (CA certificates only)" in room.shown
    assert "CRL of 'Policy CA' (CA certificates only)" in room.shown
    records = crl.list_crls(root_ws.db)
    assert [(r.ca_id, r.number, r.ceremony_id) for r in records] == [
        (1, 1, run.id),
        (policy.ca_id, 1, run.id),
    ]
    assert keyuse_report.verify(result.report_dir).ok
    report = json.loads((result.report_dir / "report.json").read_text())
    # The root issued the policy CA: its OCSP responses are signed too, their manifest read
    # aloud with the CRLs, and published when the ceremony finished.
    assert [o["file"] for o in report["outputs"]] == [
        "test-root-ca.crl.pem",
        "policy-ca.crl.pem",
        "test-root-ca-ocsp-manifest.json",
    ]
    (batch,) = root_ws.db.execute("SELECT folder, responses FROM ocsp_batches").fetchall()
    manifest = Path(batch[0]) / "manifest.json"
    assert (
        manifest.read_bytes()
        == (result.report_dir / "test-root-ca-ocsp-manifest.json").read_bytes()
    )
    assert batch[1] == 1 and not list(Path(batch[0]).parent.glob(".*.partial"))
    signed_ocsp = next(e for e in audit.entries(root_ws.db) if e.operation == "ocsp.sign")
    assert signed_ocsp.objects["ceremony_id"] == run.id
    entry = next(e for e in audit.entries(root_ws.db) if e.operation == "crl.issue")
    assert entry.details["witnessed"] is True and entry.objects["ceremony_id"] == run.id
    assert all(s.state is CrlState.OK for s in crl_status.status(root_ws.db))
