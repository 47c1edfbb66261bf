"""Signing an intermediate as a short witnessed ceremony: plan, acknowledgements, read-back, report."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pkiadmin.core.base.errors import NotFoundError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.keyuse import plan as keyuse_plan
from pkiadmin.core.ceremony.keyuse import report as keyuse_report
from pkiadmin.core.ceremony.keyuse import tasks as keyuse_tasks
from pkiadmin.core.ceremony.keyuse.driver import drive
from pkiadmin.core.ceremony.keyuse.run import KeyUseRun, KeyUseStep
from pkiadmin.core.ceremony.plan_check import PlanError
from pkiadmin.core.ceremony.script import CeremonyAbortedError
from pkiadmin.core.ceremony.step_run import CeremonyError
from pkiadmin.core.issuance import requests
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from tests.conftest import counts
from tests.core.x509.test_csr import make_csr, pem
from tests.keyuse_helpers import ScriptedRoom, signing_plan


def _import(ws: Workspace) -> requests.CsrRecord:
    record, _info = requests.import_csr(ws, pem(make_csr()), "issuing.csr")
    return record


def _start(ws: Workspace, text: str) -> KeyUseRun:
    plan = keyuse_plan.parse(text)
    return KeyUseRun.start(ws, plan, keyuse_tasks.for_plan(ws, plan))


def test_witnessed_signing_stores_the_certificate_and_a_verifiable_report(
    root_ws: Workspace, tmp_path: Path
) -> None:
    record = _import(root_ws)
    run = _start(root_ws, signing_plan("Test Root CA", record.sha256))
    room = ScriptedRoom()
    result = drive(run, room)

    cert_id = result.stored["cert_id"]
    assert requests.get(root_ws, record.id).status == "signed"
    assert requests.get(root_ws, record.id).cert_id == cert_id
    # The witness saw the exact certificate and the CSR's fingerprint before anything was signed.
    assert "Subject:      CN=Online Issuing CA,O=Example Ltd,C=DE" in room.shown
    assert any(line.startswith("Serial:") for line in room.shown)
    entry = next(e for e in audit.entries(root_ws.db) if e.operation == "ca.sign-intermediate")
    assert entry.details["mode"] == "ceremony" and entry.details["witnessed"] is True
    assert entry.objects["ceremony_id"] == run.id
    assert ceremony_store.get(root_ws.db, run.id).kind == "sign-intermediate"
    assert audit.verify(root_ws.db).ok

    folder = result.report_dir
    assert sorted(p.name for p in folder.iterdir()) == [
        "certificate.pem",
        "chain.pem",
        "plan.toml",
        "report.html",
        "report.json",
        "report.json.sig",
        "signer.pem",
    ]
    verdict = keyuse_report.verify(folder)
    assert verdict.ok, verdict.problems
    report = json.loads((folder / "report.json").read_text())
    steps = {s["step"]: s for s in report["steps"]}
    assert [a["name"] for a in steps["signing"]["acknowledged_by"]] == [
        "Alice Administrator",
        "Ivan Internal",
    ]
    assert steps["review"]["result"]["sha256"] == record.sha256
    assert report["stored"]["cert_id"] == cert_id
    # openssl agrees: the report is signed by the root, and the issued chain verifies.
    pub = tmp_path / "signer.pub"
    pub.write_bytes(
        subprocess.run(
            ["openssl", "x509", "-in", folder / "signer.pem", "-pubkey", "-noout"],
            check=True,
            capture_output=True,
        ).stdout
    )
    dgst = subprocess.run(
        [
            "openssl", "dgst", "-sha384", "-verify", pub,
            "-signature", folder / "report.json.sig", folder / "report.json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert dgst.stdout.strip() == "Verified OK"
    verify = subprocess.run(
        [
            "openssl", "verify", "-x509_strict", "-CAfile", folder / "signer.pem",
            folder / "certificate.pem",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert verify.stdout.strip().endswith(": OK"), verify.stderr

    (folder / "certificate.pem").write_text("tampered")
    changed = keyuse_report.verify(folder)
    assert not changed.ok
    assert "certificate.pem was changed: its SHA-256 differs from the report" in changed.problems


def test_a_csr_fingerprint_that_does_not_match_aborts_and_signs_nothing(
    root_ws: Workspace,
) -> None:
    record = _import(root_ws)
    run = _start(root_ws, signing_plan("Test Root CA", record.sha256))
    before = counts(root_ws)[:2]
    with pytest.raises(CeremonyAbortedError, match="does not match"):
        drive(run, ScriptedRoom(review_matches=False))
    assert counts(root_ws)[:2] == before
    assert requests.get(root_ws, record.id).status == "pending"
    assert ceremony_store.get(root_ws.db, run.id).status.value == "aborted"
    assert run.current_step is KeyUseStep.REVIEW


def test_a_wrong_passphrase_is_recorded_and_can_be_retried(root_ws: Workspace) -> None:
    record = _import(root_ws)
    run = _start(root_ws, signing_plan("Test Root CA", record.sha256))
    room = ScriptedRoom(passphrases=["not the passphrase at all", ScriptedRoom().passphrases[0]])
    room.retry = 1
    result = drive(run, room)
    assert any("Unlock the CA key failed" in e for e in room.errors)
    report = json.loads((result.report_dir / "report.json").read_text())
    assert [f["step"] for f in report["failures"]] == ["unlock"]


def test_steps_happen_in_order_and_need_both_acknowledgements(root_ws: Workspace) -> None:
    record = _import(root_ws)
    run = _start(root_ws, signing_plan("Test Root CA", record.sha256))
    with pytest.raises(CeremonyError, match="the current step is 'Plan review'"):
        run.sign()
    run.review_plan()
    run.acknowledge(KeyUseStep.PLAN_REVIEW, "Alice Administrator")
    with pytest.raises(CeremonyError, match="the current step is 'Plan review'"):
        run.run_preflight("Ivan Internal", (), "test")
    with pytest.raises(CeremonyError, match="is not finished"):
        run.finish()


def test_a_plan_naming_an_unknown_ca_or_csr_is_refused_before_anything_is_recorded(
    root_ws: Workspace,
) -> None:
    record = _import(root_ws)
    before = counts(root_ws)
    with pytest.raises(NotFoundError, match="does not hold"):
        _start(root_ws, signing_plan("Some Other CA", record.sha256))
    with pytest.raises(NotFoundError, match="No imported CSR has the SHA-256"):
        _start(root_ws, signing_plan("Test Root CA", "ab" * 32))
    assert counts(root_ws) == before
    assert ceremony_store.list_ceremonies(root_ws.db) == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "sign-intermediate"', 'kind = "rename"'), "is not a key-use ceremony"),
        (('profile = "issuing"', 'profile = "leaf"'), "must be 'issuing'"),
        (('csr_sha256 = "', 'csr_sha256 = "zz'), "must be the CSR's SHA-256"),
        (("validity_days = 1825", "validity_days = 1825\ncolour = 1"), "is not a known key"),
        (('role = "internal-witness"', 'role = "witness"'), "needs an internal-witness"),
    ],
)
def test_plan_errors_name_the_line(change: tuple[str, str], message: str) -> None:
    text = signing_plan("Test Root CA", "ab" * 32).replace(*change)
    with pytest.raises(PlanError, match=message):
        keyuse_plan.parse(text, "sign.toml")
