"""Helpers for ceremony tests: a plan and answers in a temporary folder, and a driven rehearsal."""

from __future__ import annotations

import shutil
from pathlib import Path

from pkiadmin.core.ceremony.root import plan as ceremony_plan
from pkiadmin.core.ceremony.root.driver import RehearsalResponder, drive, load_answers
from pkiadmin.core.ceremony.root.run import CeremonyRun
from pkiadmin.core.ceremony.root.steps import CeremonyResult
from pkiadmin.core.workspace.folder import Workspace

DATA = Path(__file__).with_name("data")


def stage(folder: Path, plan_text: str | None = None) -> tuple[Path, Path]:
    """Copy the plan and answers into `folder` with an empty backup folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "plan.toml"
    plan.write_text(
        plan_text if plan_text is not None else (DATA / "ceremony-plan.toml").read_text()
    )
    answers = folder / "answers.toml"
    shutil.copy(DATA / "rehearsal-answers.toml", answers)
    (folder / "backup").mkdir(exist_ok=True)
    return plan, answers


def rehearse(ws: Workspace, folder: Path, rehearsal: bool = True) -> CeremonyResult:
    plan_path, answers_path = stage(folder)
    run = CeremonyRun.start(ws, ceremony_plan.load(plan_path), rehearsal=rehearsal)
    return drive(run, RehearsalResponder(load_answers(answers_path)))


def share_lines(folder: Path) -> dict[str, str]:
    """Custodian -> mnemonic from the rehearsal shares file."""
    lines = (folder / "rehearsal-shares.txt").read_text().splitlines()[1:]
    return {lines[i][2:]: lines[i + 1] for i in range(0, len(lines), 2)}
