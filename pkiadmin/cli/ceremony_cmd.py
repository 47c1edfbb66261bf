"""`pkiadmin-cli ceremony ...`: plans, running a ceremony (or a rehearsal), its records and reports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from pkiadmin.cli.context import echo_json, echo_table, opened_workspace, prompt_shares, user_errors
from pkiadmin.core import (
    atomicfile,
    ceremony_report,
    ceremony_store,
    fingerprint,
    issuance,
    preflight,
)
from pkiadmin.core import ceremony_plan as plans
from pkiadmin.core.ceremony import CeremonyRun, Step
from pkiadmin.core.ceremony_driver import RehearsalResponder, drive, load_answers
from pkiadmin.core.ceremony_plan import CeremonyPlan, Participant, Role
from pkiadmin.core.ceremony_store import CeremonyStatus
from pkiadmin.core.errors import PkiError
from pkiadmin.core.shares import CustodianShare


@click.group("ceremony")
def group() -> None:
    """Key ceremonies: plan, run (or rehearse), show, verify reports."""


@group.group("plan")
def plan_group() -> None:
    """Ceremony plan files."""


@plan_group.command("new")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def plan_new(file: Path) -> None:
    """Write a commented plan template to FILE (never overwrites) to edit and review."""
    with user_errors():
        atomicfile.write_new_file(file, plans.template().encode("utf-8"), mode=0o644)
    click.echo(
        f"Wrote {file}. Edit it, then check it with: pkiadmin-cli ceremony plan check {file}"
    )


@plan_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def plan_check(file: Path) -> None:
    """Validate a plan and print its summary and SHA-256 (hex and PGP words) to compare with the printout."""
    with user_errors():
        plan = plans.load(file)
        lines = plan.summary_lines()
    click.echo("The plan is valid.")
    for line in lines:
        click.echo(line)


@group.command("run")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--rehearsal",
    "answers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Dry run: take acknowledgements and shares from this answers file (writes the shares to a REHEARSAL file).",
)
@click.pass_context
def run(ctx: click.Context, plan_file: Path, answers_file: Path | None) -> None:
    """Run the ceremony in PLAN_FILE step by step, with acknowledgements, shares and a signed report."""
    with user_errors():
        plan = plans.load(plan_file)
        answers = load_answers(answers_file) if answers_file else None
    with opened_workspace(ctx) as ws, user_errors():
        if answers is not None:
            click.echo(
                "REHEARSAL: shares are written to a file; use a scratch workspace, never the real one."
            )
        ceremony = CeremonyRun.start(ws, plan, rehearsal=answers is not None)
        responder = RehearsalResponder(answers, click.echo) if answers else PromptResponder()
        try:
            result = drive(ceremony, responder)
        except (click.Abort, KeyboardInterrupt, EOFError):
            ceremony.abort("the operator stopped the program", plan.administrator.name)
            raise click.ClickException(
                "The ceremony was aborted and recorded; no CA was created."
            ) from None
        except PkiError as exc:
            if ceremony.status is CeremonyStatus.RUNNING:  # not already closed by the driver
                ceremony.abort(str(exc), plan.administrator.name)
            raise click.ClickException(
                f"{exc} The ceremony was aborted and recorded; no CA was created."
            ) from exc
    click.echo(f"Ceremony {plan.ceremony_id} completed (record {result.ceremony_id}).")
    click.echo(f"  root CA id:    {result.ca_id} (certificate {result.cert_id})")
    click.echo(f"  encrypted key: {result.key_path}")
    click.echo(f"  report:        {result.report_dir}")
    click.echo(f"Verify the report with: pkiadmin-cli ceremony verify-report {result.report_dir}")


@group.command("show")
@click.argument("ceremony_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, ceremony_id: int | None, as_json: bool) -> None:
    """List ceremonies, or show one with its step log."""
    with opened_workspace(ctx) as ws, user_errors():
        ceremony_store.mark_interrupted(ws.db)
        if ceremony_id is None:
            records = ceremony_store.list_ceremonies(ws.db)
            if as_json:
                echo_json(records)
                return
            echo_table(
                ("ID", "PLAN", "STATUS", "REHEARSAL", "STARTED", "CA", "REPORT"),
                [
                    (
                        str(r.id),
                        r.plan_id,
                        r.status.value,
                        "yes" if r.rehearsal else "no",
                        f"{r.started_at:%Y-%m-%d %H:%M}",
                        str(r.ca_id or "-"),
                        r.report_dir or "-",
                    )
                    for r in records
                ],
            )
            return
        record = ceremony_store.get(ws.db, ceremony_id)
        events = ceremony_store.events(ws.db, ceremony_id)
    if as_json:
        echo_json({"ceremony": record, "events": events})
        return
    click.echo(
        f"Ceremony {record.plan_id} (record {record.id}): {record.status.value}{' (rehearsal)' if record.rehearsal else ''}"
    )
    click.echo(f"  purpose: {record.purpose}")
    click.echo(f"  plan SHA-256: {record.plan_sha256}")
    if record.report_dir:
        click.echo(f"  report: {record.report_dir}")
    for event in events:
        who = f" {event.person}" if event.person else ""
        click.echo(f"  {event.at} {event.step:<20} {event.kind}{who}")


@group.command("verify-report")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def verify_report(ctx: click.Context, folder: Path, as_json: bool) -> None:
    """Check a ceremony report: the root key's signature, the root certificate and every file's SHA-256."""
    with user_errors():
        verdict = ceremony_report.verify(folder)
    if as_json:
        echo_json(verdict)
    else:
        for check in verdict.checks:
            click.echo(f"ok      {check}")
        for problem in verdict.problems:
            click.echo(f"FAILED  {problem}", err=True)
        digest = bytes.fromhex(verdict.root_sha256)
        click.echo(f"Root SHA-256: {fingerprint.grouped_hex(digest)}")
        click.echo(f"PGP words:    {' '.join(fingerprint.pgp_words(digest))}")
        click.echo("Compare these with the fingerprint recorded on paper at the ceremony.")
        click.echo("The report verifies." if verdict.ok else "The report does NOT verify.")
    if not verdict.ok:
        ctx.exit(1)


class PromptResponder:
    """The interactive ceremony at the terminal: prompts for each confirmation."""

    def announce(self, step: Step) -> None:
        click.echo()
        click.secho(f"== {step.title} ==", bold=True)
        click.echo(step.explanation)

    def confirm_plan(self, plan: CeremonyPlan) -> bool:
        for line in plan.summary_lines():
            click.echo(line)
        return click.confirm(
            "Does the plan's SHA-256 match the reviewed printout, read aloud?", default=False
        )

    def preflight_inputs(self, plan: CeremonyPlan) -> tuple[str, list[str], str | None]:
        up = preflight.network_interfaces_up()
        waiver = None
        if up:
            click.secho(
                f"WARNING: network interfaces are up: {', '.join(up)}. Disconnect them.",
                fg="red",
                bold=True,
            )
            waiver = (
                click.prompt(
                    "To continue anyway, record the waiver's reason (empty to stop)",
                    default="",
                    show_default=False,
                )
                or None
            )
        click.echo(f"Clock: {ceremony_store.now_text()} (UTC). Read it aloud.")
        witnesses = [
            p.name for p in plan.participants if p.role in {Role.INTERNAL_WITNESS, Role.WITNESS}
        ]
        clock_by = click.prompt("Witness who confirms the clock", type=click.Choice(witnesses))
        custodians = [p.name for p in plan.by_role(Role.CUSTODIAN)]
        present = [
            name
            for name in custodians
            if click.confirm(f"Is custodian {name} present?", default=True)
        ]
        return clock_by, present, waiver

    def show_share(self, share: CustodianShare, position: int, total: int) -> None:
        click.clear()
        click.secho(
            f"Share {position} of {total}: for {share.custodian} only ({share.share_id})", bold=True
        )
        click.pause(
            f"Everyone except {share.custodian} looks away. {share.custodian}: press any key to see your share."
        )
        words = share.words()
        for i in range(0, len(words), 5):
            click.secho(
                "  " + "  ".join(f"{i + j + 1:2}. {w:<10}" for j, w in enumerate(words[i : i + 5])),
                bold=True,
            )
        click.pause(
            f"{share.custodian}: write the words down, check them, then press any key to clear the screen."
        )
        click.clear()

    def recovery_shares(self, plan: CeremonyPlan) -> list[str]:
        return prompt_shares(
            f"Custodians enter their shares ({plan.custodians.describe()}); input is hidden."
        )

    def show_signed(self, signed: issuance.SignedCertificate) -> None:
        click.echo(f"Lint before signing: {_findings(signed.lint_before.findings)}")
        click.echo(f"Lint after signing:  {_findings(signed.lint_after.findings)}")

    def fingerprint(
        self, plan: CeremonyPlan, words: Sequence[str], hex_groups: str
    ) -> tuple[str, bool]:
        click.secho(f"Root SHA-256: {hex_groups}", bold=True)
        for i in range(0, len(words), 8):
            click.secho("  " + " ".join(words[i : i + 8]), bold=True)
        witnesses = [
            p.name for p in plan.participants if p.role in {Role.INTERNAL_WITNESS, Role.WITNESS}
        ]
        witness = click.prompt("Witness who checks the words", type=click.Choice(witnesses))
        return witness, click.confirm(
            f"{witness}: do the words read aloud match the screen?", default=False
        )

    def backup_folder(self) -> Path:
        return Path(
            str(click.prompt("Folder on the backup medium", type=click.Path(file_okay=False)))
        )

    def acknowledge(self, step: Step, person: Participant) -> bool:
        return click.confirm(
            f"{person.name} ({person.role.value}): acknowledge '{step.title}'?", default=False
        )

    def sign_off(self, person: Participant) -> bool:
        return click.confirm(
            f"{person.name} ({person.role.value}): sign off the ceremony?", default=False
        )

    def retry_after(self, step: Step, error: PkiError) -> bool:
        click.secho(str(error), fg="red")
        return click.confirm(f"Try '{step.title}' again? (No aborts the ceremony.)", default=True)


def _findings(findings: Sequence[object]) -> str:
    return "; ".join(str(f) for f in findings) or "no findings"
