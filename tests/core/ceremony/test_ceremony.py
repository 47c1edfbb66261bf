"""The ceremony engine: a whole rehearsal, the rules each step enforces, failures, abort and interruption."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from pkiadmin.core.base.errors import PassphraseError, StorageError
from pkiadmin.core.ceremony import preflight
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.root import plan as ceremony_plan
from pkiadmin.core.ceremony.root import report as ceremony_report
from pkiadmin.core.ceremony.root.run import CeremonyRun
from pkiadmin.core.ceremony.root.steps import Step
from pkiadmin.core.ceremony.step_run import CeremonyError
from pkiadmin.core.ceremony.store import CeremonyStatus
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import lint
from tests.ceremony_helpers import rehearse, share_lines, stage
from tests.conftest import counts


def started(ws: Workspace, folder: Path) -> CeremonyRun:
    plan_path, _answers = stage(folder)
    return CeremonyRun.start(ws, ceremony_plan.load(plan_path), rehearsal=True)


def ack(run: CeremonyRun, step: Step) -> None:
    run.acknowledge(step, "Alice Administrator")
    run.acknowledge(step, "Ivan Internal")


def through_shares(run: CeremonyRun) -> dict[str, str]:
    run.review_plan()
    ack(run, Step.PLAN_REVIEW)
    run.run_preflight(
        "Ivan Internal", ["Carol Custodian", "Dave Custodian"], "test machine has a network"
    )
    ack(run, Step.PREFLIGHT)
    run.generate_key()
    ack(run, Step.KEY_GENERATION)
    given = {s.custodian: s.mnemonic for s in run.split_shares()}
    for name in given:
        run.confirm_share_received(name)
    ack(run, Step.SHARE_DISTRIBUTION)
    return given


def test_rehearsal_produces_a_linted_root_a_verified_report_and_working_shares(
    ws: Workspace, tmp_path: Path
) -> None:
    result = rehearse(ws, tmp_path)
    cert = inventory.load_certificate(ws.db, result.cert_id)
    assert cert.subject.rfc4514_string() == "CN=Example Root CA 2026,O=Example Ltd,C=GB"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 1
    report = lint.lint_certificate(cert)
    assert all(f.severity > lint.Severity.NOTICE for f in report.findings), report.findings
    verdict = ceremony_report.verify(result.report_dir)
    assert verdict.ok, verdict.problems
    assert sorted(p.name for p in result.report_dir.iterdir()) == [
        "plan.toml",
        "report.html",
        "report.json",
        "report.json.sig",
        "report.pdf",
        "root.pem",
    ]
    record = ceremony_store.get(ws.db, result.ceremony_id)
    assert record.status is CeremonyStatus.COMPLETED and record.ca_id == result.ca_id
    assert authorities.get_authority(ws.db, result.ca_id).needs_shares
    shares = share_lines(tmp_path)
    authorities.verify_key(
        ws, result.ca_id, share_words=[shares["Dave Custodian"], shares["Erin Custodian"]]
    )
    with pytest.raises(PassphraseError, match="Not enough shares: 2 are needed"):
        authorities.verify_key(ws, result.ca_id, share_words=[shares["Dave Custodian"]])
    with pytest.raises(PassphraseError, match="protected by custodian shares"):
        authorities.verify_key(ws, result.ca_id, key_passphrase="any passphrase at all here")
    assert audit.verify(ws.db).ok
    backup = tmp_path / "backup" / "example-root-2026.key.pem"
    assert result.key_path is not None and backup.read_bytes() == result.key_path.read_bytes()


def test_report_contents(ws: Workspace, tmp_path: Path) -> None:
    result = rehearse(ws, tmp_path)
    report = json.loads((result.report_dir / "report.json").read_text())
    assert report["ceremony"]["rehearsal"] is True
    assert [s["step"] for s in report["steps"]] == [s.value for s in Step]
    assert all(s["completed_at"] for s in report["steps"])
    assert {a["name"] for a in report["steps"][0]["acknowledged_by"]} == {
        "Alice Administrator",
        "Ivan Internal",
    }
    assert all(p["signed_off_at"] for p in report["participants"])
    assert report["shares"]["description"] == "2 of 3 custodians"
    assert set(report["shares"]["share_ids"]) == {
        "Carol Custodian",
        "Dave Custodian",
        "Erin Custodian",
    }
    assert report["environment"]["pkiadmin_files_sha256"]
    assert report["lint"]["profile"] == "pkilint RFC 5280 certificate"
    assert report["steps"][5]["result"]["tbs_equals_linted"] is True
    root_sha = next(a for a in report["artefacts"] if a["file"] == "root.pem")
    assert len(root_sha["pgp_words"].split()) == 32
    html = (result.report_dir / "report.html").read_text()
    assert "Key ceremony report: EXAMPLE-ROOT-2026 (REHEARSAL)" in html
    assert (result.report_dir / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_no_share_or_passphrase_is_stored(ws: Workspace, tmp_path: Path) -> None:
    result = rehearse(ws, tmp_path)
    ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = b"".join(p.read_bytes() for p in ws.path.rglob("*") if p.is_file()).decode("latin-1")
    for mnemonic in share_lines(tmp_path).values():
        for chunk in (mnemonic, " ".join(mnemonic.split()[:4])):
            assert chunk not in stored
    assert "REHEARSAL ONLY" not in stored
    assert result.key_path is not None
    assert result.key_path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


@pytest.mark.parametrize(
    ("victim", "change", "problem"),
    [
        (
            "report.json",
            lambda b: b.replace(b'"Alice Administrator"', b'"Mallory Mallory"', 1),
            "not a valid signature",
        ),
        ("root.pem", None, "root.pem was changed"),
        ("report.pdf", lambda b: b + b"%", "report.pdf was changed"),
        (
            "plan.toml",
            lambda b: b.replace(b"threshold = 2", b"threshold = 3"),
            "plan.toml was changed",
        ),
        ("report.json.sig", lambda b: bytes([b[0] ^ 1]) + b[1:], "not a valid signature"),
    ],
)
def test_tampering_with_any_artefact_fails_verification(
    ws: Workspace, tmp_path: Path, victim: str, change: object, problem: str
) -> None:
    result = rehearse(ws, tmp_path)
    path = result.report_dir / victim
    if change is None:
        path.write_bytes(_other_self_signed_pem())  # a different, valid root
    else:
        path.write_bytes(change(path.read_bytes()))  # type: ignore[operator]
    verdict = ceremony_report.verify(result.report_dir)
    assert not verdict.ok
    assert any(problem in p for p in verdict.problems), verdict.problems


def _other_self_signed_pem() -> bytes:
    import datetime

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Example Root CA 2026")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA384())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def test_steps_cannot_be_skipped_or_done_out_of_order(ws: Workspace, tmp_path: Path) -> None:
    run = started(ws, tmp_path)
    with pytest.raises(
        CeremonyError,
        match="'Root certificate' cannot be done now: the current step is 'Plan review'",
    ):
        run.sign_root()
    run.review_plan()
    with pytest.raises(CeremonyError, match="'Pre-flight checks' cannot be done now"):
        run.run_preflight("Ivan Internal", ["Carol Custodian", "Dave Custodian"], "x")
    run.acknowledge(Step.PLAN_REVIEW, "Alice Administrator")
    with pytest.raises(CeremonyError, match="cannot be done now"):
        run.run_preflight("Ivan Internal", ["Carol Custodian", "Dave Custodian"], "x")
    with pytest.raises(
        CeremonyError,
        match="Carol Custodian is a custodian; steps are acknowledged by the administrator",
    ):
        run.acknowledge(Step.PLAN_REVIEW, "Carol Custodian")
    run.acknowledge(Step.PLAN_REVIEW, "Ivan Internal")
    assert run.current_step is Step.PREFLIGHT
    with pytest.raises(CeremonyError, match="has not been performed yet"):
        run.acknowledge(Step.PREFLIGHT, "Alice Administrator")
    with pytest.raises(CeremonyError, match="not finished"):
        run.finish()


def test_preflight_refuses_missing_quorum_and_unwaived_network(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = started(ws, tmp_path)
    run.review_plan()
    ack(run, Step.PLAN_REVIEW)
    with pytest.raises(
        CeremonyError,
        match=r"Not enough custodians are present for the quorum \(2 of 3 custodians\)",
    ):
        run.run_preflight("Ivan Internal", ["Carol Custodian"], "waived")
    monkeypatch.setattr(preflight, "network_interfaces_up", lambda _path: ("eth0",))
    with pytest.raises(
        CeremonyError, match="interfaces up: eth0 .* cannot continue without a recorded waiver"
    ):
        run.run_preflight("Ivan Internal", ["Carol Custodian", "Dave Custodian"], None)
    with pytest.raises(CeremonyError, match="confirmed by a witness, not by Carol Custodian"):
        run.run_preflight("Carol Custodian", ["Carol Custodian", "Dave Custodian"], "w")
    checks = run.run_preflight("Ivan Internal", ["Carol Custodian", "Dave Custodian"], "CI machine")
    assert {c.name for c in checks} == {"network", "clock", "software", "workspace"}
    failures = [e for e in ceremony_store.events(ws.db, run.id) if e.kind == "step-failed"]
    assert len(failures) == 3


def test_recovery_test_rejects_bad_shares_then_accepts_a_quorum(
    ws: Workspace, tmp_path: Path
) -> None:
    run = started(ws, tmp_path)
    given = through_shares(run)
    carol, dave = given["Carol Custodian"], given["Dave Custodian"]
    words = dave.split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    with pytest.raises(
        CeremonyError, match="Recovery test failed: Share 2 is not valid .*checksum"
    ):
        run.recovery_test([carol, " ".join(words)])
    with pytest.raises(CeremonyError, match="Not enough shares"):
        run.recovery_test([carol])
    other = started(ws, tmp_path / "other")
    foreign = through_shares(other)
    with pytest.raises(CeremonyError, match="Share 2 comes from another split"):
        run.recovery_test([carol, foreign["Dave Custodian"]])
    run.recovery_test([carol.upper(), "  " + dave])  # case and spacing do not matter
    assert run.is_done(Step.RECOVERY_TEST)


def test_abort_keeps_the_record_and_creates_no_ca(ws: Workspace, tmp_path: Path) -> None:
    before = counts(ws)
    run = started(ws, tmp_path)
    through_shares(run)
    run.record_exception(
        "three custodians",
        "Erin arrived late",
        "continue; Erin's share given later",
        "Ivan Internal",
    )
    run.abort("fire alarm", "Alice Administrator")
    record = ceremony_store.get(ws.db, run.id)
    assert record.status is CeremonyStatus.ABORTED and record.ca_id is None
    assert counts(ws)[:2] == before[:2] and counts(ws)[3] == before[3]
    kinds = [e.kind for e in ceremony_store.events(ws.db, run.id)]
    assert kinds[-2:] == ["exception", "aborted"]
    with pytest.raises(CeremonyError, match="The ceremony is aborted"):
        run.recovery_test(["x"])
    assert audit.verify(ws.db).ok


def test_killed_ceremony_is_shown_as_interrupted(ws: Workspace, tmp_path: Path) -> None:
    run = started(ws, tmp_path)
    run.review_plan()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    ws.db.execute("UPDATE ceremonies SET pid = ? WHERE id = ?", (int(dead.stdout), run.id))
    assert ceremony_store.mark_interrupted(ws.db) == (run.id,)
    record = ceremony_store.get(ws.db, run.id)
    assert record.status is CeremonyStatus.INTERRUPTED and record.ca_id is None
    assert [e.kind for e in ceremony_store.events(ws.db, run.id)][-1] == "interrupted"
    assert (
        ceremony_store.mark_interrupted(ws.db) == ()
    )  # a live ceremony of this process is left alone
    assert os.getpid() != int(dead.stdout)


def test_full_disk_while_finishing_keeps_nothing_and_can_be_retried(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pkiadmin.core.ceremony.root import driver as ceremony_driver

    plan_path, answers_path = stage(tmp_path)
    run = CeremonyRun.start(ws, ceremony_plan.load(plan_path), rehearsal=True)
    real_render = ceremony_report.render_pdf

    def full(_report: object) -> bytes:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(ceremony_report, "render_pdf", full)
    before = counts(ws)
    with pytest.raises(StorageError, match="No space left on device.*nothing was kept"):
        ceremony_driver.drive(
            run, ceremony_driver.RehearsalResponder(ceremony_driver.load_answers(answers_path))
        )
    assert counts(ws)[:2] == before[:2]
    assert counts(ws)[3] == before[3]
    assert not (ws.exports_dir / "ceremonies").exists() or not any(
        (ws.exports_dir / "ceremonies").iterdir()
    )
    assert ceremony_store.get(ws.db, run.id).status is CeremonyStatus.RUNNING
    monkeypatch.setattr(ceremony_report, "render_pdf", real_render)
    result = run.finish()
    assert ceremony_report.verify(result.report_dir).ok


def test_a_completed_ceremony_id_cannot_be_reused(ws: Workspace, tmp_path: Path) -> None:
    rehearse(ws, tmp_path / "first", rehearsal=False)
    with pytest.raises(CeremonyError, match="already completed"):
        rehearse(ws, tmp_path / "second", rehearsal=False)
    with pytest.raises(CeremonyError, match="holds a real CA"):
        rehearse(ws, tmp_path / "third", rehearsal=True)


def test_run_repr_shows_no_secrets(ws: Workspace, tmp_path: Path) -> None:
    run = started(ws, tmp_path)
    given = through_shares(run)
    text = repr(run) + repr(vars(run).keys())
    assert all(m.split()[0] not in text for m in given.values())


def test_a_root_made_in_a_ceremony_is_not_flagged_as_missing_from_the_audit_log(
    ws: Workspace, tmp_path: Path
) -> None:
    """The ceremony's completion records the root (in its details): compliance must see it, or a
    clean workspace fails `compliance summary` with a false not-audited finding."""
    from datetime import UTC, datetime

    from pkiadmin.core.inventory import compliance

    rehearse(ws, tmp_path / "ceremony", rehearsal=False)
    cert_id = int(ws.db.execute("SELECT id FROM certificates").fetchone()[0])
    assert "not-audited" not in compliance.findings_of(ws.db, cert_id, datetime.now(UTC))


def test_an_aborted_run_removes_the_key_backup_and_the_rehearsal_shares(
    ws: Workspace, tmp_path: Path
) -> None:
    """Stopped at sign-off, after the key was backed up and the shares written: the backup (the
    key of a CA that was never made) and the rehearsal's shares file are gone, and the log says
    which backup was removed."""
    from pkiadmin.core.ceremony.people import Participant
    from pkiadmin.core.ceremony.root.driver import RehearsalResponder, drive, load_answers
    from pkiadmin.core.ceremony.script import CeremonyAbortedError

    plan_path, answers_path = stage(tmp_path)

    class StopsAtSignOff(RehearsalResponder):
        def sign_off(self, person: Participant) -> bool:
            return False

    responder = StopsAtSignOff(load_answers(answers_path))
    run = CeremonyRun.start(ws, ceremony_plan.load(plan_path), rehearsal=True)
    with pytest.raises(CeremonyAbortedError, match="aborted at 'Sign-off'"):
        drive(run, responder)
    assert (tmp_path / "rehearsal-shares.txt").exists()  # the driver's caller discards it
    responder.discard()
    assert not (tmp_path / "rehearsal-shares.txt").exists()
    assert list((tmp_path / "backup").iterdir()) == []
    events = ws.db.execute(
        "SELECT kind, detail FROM ceremony_events WHERE ceremony_id = ?", (run.id,)
    ).fetchall()
    removed = [json.loads(d)["path"] for k, d in events if k == "backup-removed"]
    assert removed == [str(tmp_path / "backup" / f"{run.plan.output_name}.key.pem")]
    assert counts(ws)[1] == 0  # no CA


def test_preflight_checks_the_backup_medium(ws: Workspace, tmp_path: Path) -> None:
    missing = preflight.run(ws, backup_folder=tmp_path / "not-mounted")
    check = next(c for c in missing if c.name == "backup medium")
    assert check.status is preflight.Status.FAILED and "mount the backup medium" in check.detail
    (tmp_path / "mounted").mkdir()
    ok = next(
        c
        for c in preflight.run(ws, backup_folder=tmp_path / "mounted")
        if c.name == "backup medium"
    )
    assert ok.status is preflight.Status.OK
    assert list((tmp_path / "mounted").iterdir()) == []  # the probe file is gone


def test_preflight_finds_the_token_the_plan_names(ws: Workspace, token: str) -> None:
    """A key to be generated on a token: the token is looked for at pre-flight (step 2), not
    first at key generation; a missing one is named with those that are present."""
    present = next(c for c in preflight.run(ws, token=(token, None)) if c.name == "token")
    assert present.status is preflight.Status.OK and token in present.detail
    missing = next(c for c in preflight.run(ws, token=("not-inserted", None)) if c.name == "token")
    assert missing.status is preflight.Status.FAILED
    assert "the token 'not-inserted' is not present" in missing.detail and token in missing.detail
