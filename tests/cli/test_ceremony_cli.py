"""The ceremony from the command line: plan new/check, a rehearsal run, show, verify-report, unlock."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from tests.ceremony_helpers import DATA, share_lines, stage


def run(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args], input=input)


def rehearsed(tmp_path: Path) -> tuple[Path, Path]:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    plan, answers = stage(tmp_path)
    result = run(ws, "ceremony", "run", str(plan), "--rehearsal", str(answers))
    assert result.exit_code == 0, result.output
    assert "Ceremony EXAMPLE-ROOT-2026 completed (record 1)." in result.output
    return ws, ws / "exports" / "ceremonies" / "EXAMPLE-ROOT-2026-1"


def test_plan_new_and_check(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    assert run(tmp_path, "ceremony", "plan", "new", str(plan)).exit_code == 0
    assert plan.read_text() == (DATA / "ceremony-plan.toml").read_text()
    again = run(tmp_path, "ceremony", "plan", "new", str(plan))
    assert again.exit_code == 1 and "never overwrites" in again.output
    checked = run(tmp_path, "ceremony", "plan", "check", str(plan))
    assert checked.exit_code == 0
    assert "The plan is valid." in checked.output and "PGP words:" in checked.output
    plan.write_text(plan.read_text().replace("threshold = 2", "threshold = 9"))
    bad = run(tmp_path, "ceremony", "plan", "check", str(plan))
    assert bad.exit_code == 1
    assert (
        "Error: plan.toml: line 53, [custodians] threshold is 9, but M must be between 1 and N = 3."
        in bad.output
    )


def test_rehearsal_report_show_and_unlock(tmp_path: Path) -> None:
    ws, report = rehearsed(tmp_path)
    verified = run(ws, "ceremony", "verify-report", str(report))
    assert verified.exit_code == 0 and "The report verifies." in verified.output
    listing = json.loads(run(ws, "ceremony", "show", "--json").output)
    assert listing[0]["status"] == "completed" and listing[0]["rehearsal"] is True
    detail = run(ws, "ceremony", "show", "1").output
    assert "recovery-test" in detail and "signed-off Wendy Witness" in detail
    shares = share_lines(tmp_path)
    quorum = tmp_path / "quorum.txt"
    quorum.write_text(f"# Carol\n{shares['Carol Custodian']}\n\n{shares['Dave Custodian']}\n")
    ok = run(ws, "ca", "verify-key", "1", "--shares-file", str(quorum))
    assert ok.exit_code == 0 and "OK: the custodian shares open" in ok.output
    short = tmp_path / "short.txt"
    short.write_text(shares["Carol Custodian"] + "\n")
    refused = run(ws, "ca", "verify-key", "1", "--shares-file", str(short))
    assert (
        refused.exit_code == 1
        and "Not enough shares: 2 are needed from this group, 1 different share(s) were given."
        in refused.output
    )
    typed = run(
        ws,
        "ca",
        "verify-key",
        "1",
        input=f"{shares['Erin Custodian']}\n{shares['Dave Custodian']}\n\n",
    )
    assert typed.exit_code == 0, typed.output


def test_tampered_report_fails_verification(tmp_path: Path) -> None:
    ws, report = rehearsed(tmp_path)
    html = report / "report.html"
    html.write_text(html.read_text().replace("Alice Administrator", "Mallory"))
    result = run(ws, "ceremony", "verify-report", str(report))
    assert result.exit_code == 1
    assert "FAILED  report.html was changed: its SHA-256 differs from the report" in result.output
    assert "The report does NOT verify." in result.output


def test_interactive_run_declined_plan_is_recorded_as_aborted(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    plan, _answers = stage(tmp_path)
    result = run(ws, "ceremony", "run", str(plan), input="n\n")
    assert result.exit_code == 1
    assert (
        "aborted at 'Plan review': the plan's hash did not match the reviewed printout"
        in result.output
    )
    listing = json.loads(run(ws, "ceremony", "show", "--json").output)
    assert listing[0]["status"] == "aborted" and listing[0]["ca_id"] is None
    assert json.loads(run(ws, "ca", "list", "--json").output) == []


def test_input_ending_mid_ceremony_aborts_it(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    plan, _answers = stage(tmp_path)
    result = run(
        ws, "ceremony", "run", str(plan), input="y\ny\n"
    )  # plan confirmed, acks, then input ends
    assert result.exit_code == 1
    assert "The ceremony was aborted and recorded; no CA was created." in result.output
    assert json.loads(run(ws, "ceremony", "show", "--json").output)[0]["status"] == "aborted"


def test_bad_answers_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    plan, answers = stage(tmp_path)
    answers.write_text(answers.read_text().replace("recovery =", "recover ="))
    result = run(ws, "ceremony", "run", str(plan), "--rehearsal", str(answers))
    assert result.exit_code == 1
    assert "[rehearsal] recover is not a known key" in result.output
    assert json.loads(run(ws, "ceremony", "show", "--json").output) == []


def test_an_error_outside_a_step_aborts_and_records_the_ceremony(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    plan, answers = stage(tmp_path)
    # The shares are written after the split, outside any step's retry: into a missing folder.
    answers.write_text(
        answers.read_text().replace('"rehearsal-shares.txt"', '"no-such-folder/shares.txt"')
    )
    result = run(ws, "ceremony", "run", str(plan), "--rehearsal", str(answers))
    assert result.exit_code == 1
    assert "no-such-folder" in result.output
    assert result.output.count("aborted") == 1 and ".." not in result.output
    assert "The ceremony was aborted and recorded; no CA was created." in result.output
    listing = json.loads(run(ws, "ceremony", "show", "--json").output)
    assert listing[0]["status"] == "aborted"


def test_a_leftover_shares_file_is_refused_before_anything_starts(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    plan, answers = stage(tmp_path)
    (tmp_path / "rehearsal-shares.txt").write_text("left over from another rehearsal")
    result = run(ws, "ceremony", "run", str(plan), "--rehearsal", str(answers))
    assert result.exit_code == 1
    assert "rehearsal-shares.txt already exists (an earlier rehearsal's shares?)" in result.output
    assert "nothing was started" in result.output
    assert json.loads(run(ws, "ceremony", "show", "--json").output) == []
    assert (tmp_path / "rehearsal-shares.txt").read_text() == "left over from another rehearsal"


def test_a_missing_backup_medium_stops_at_preflight_and_the_retry_runs(tmp_path: Path) -> None:
    """The backup folder is checked at pre-flight (step 2), not found missing at step 8 after
    the key and its shares exist; the aborted run leaves nothing behind, so the same command
    runs again once the medium is there."""
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    plan, answers = stage(tmp_path)
    backup = tmp_path / "backup"
    shutil.rmtree(backup, ignore_errors=True)
    result = run(ws, "ceremony", "run", str(plan), "--rehearsal", str(answers))
    assert result.exit_code == 1
    assert "aborted at 'Pre-flight checks'" in result.output
    assert f"backup medium: {backup} does not exist" in result.output
    assert "Root key generation" not in result.output  # stopped before any key was made
    assert result.output.count("aborted") == 1 and ".." not in result.output
    assert not (tmp_path / "rehearsal-shares.txt").exists()
    backup.mkdir()
    again = run(ws, "ceremony", "run", str(plan), "--rehearsal", str(answers))
    assert again.exit_code == 0, again.output
    assert "completed" in again.output
    statuses = [c["status"] for c in json.loads(run(ws, "ceremony", "show", "--json").output)]
    assert sorted(statuses) == ["aborted", "completed"]
