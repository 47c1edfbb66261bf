"""`pkiadmin-cli ceremony ...`: plans, running a ceremony (or a rehearsal), its records and reports."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import click

from pkiadmin.cli.context import (
    echo_json,
    echo_table,
    opened_workspace,
    passphrase_options,
    prompt_shares,
    read_passphrase,
    user_errors,
    workspace_path,
)
from pkiadmin.cli.prompts import BasePrompts, KeyUsePromptResponder, witnesses
from pkiadmin.core.base import atomicfile, fingerprint
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.keyuse import driver as keyuse_driver
from pkiadmin.core.ceremony.keyuse import plan as keyuse_plan
from pkiadmin.core.ceremony.keyuse import report as keyuse_report
from pkiadmin.core.ceremony.keyuse import tasks as keyuse_tasks
from pkiadmin.core.ceremony.keyuse.plan import KeyUseKind, KeyUsePlan
from pkiadmin.core.ceremony.keyuse.run import KeyUseRun
from pkiadmin.core.ceremony.people import Role
from pkiadmin.core.ceremony.root import plan as plans
from pkiadmin.core.ceremony.root import report as ceremony_report
from pkiadmin.core.ceremony.root.driver import RehearsalResponder, drive, load_answers
from pkiadmin.core.ceremony.root.plan import CeremonyPlan
from pkiadmin.core.ceremony.root.run import CeremonyRun
from pkiadmin.core.ceremony.script import CeremonyAbortedError
from pkiadmin.core.ceremony.step_run import StepLike
from pkiadmin.core.ceremony.store import CeremonyStatus
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.keys.shares import CustodianShare
from pkiadmin.core.workspace import checks


@click.group("ceremony")
def group() -> None:
    """Key ceremonies: plan, run (or rehearse), show, verify reports."""


@group.group("plan")
def plan_group() -> None:
    """Ceremony plan files."""


_KINDS = (plans.ROOT_KIND, *(k.value for k in KeyUseKind))


@plan_group.command("new")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(_KINDS),
    default=plans.ROOT_KIND,
    show_default=True,
    help="root-key: generate a root; sign-intermediate: sign a CA from a CSR; sign-end-entity: "
    "sign a service certificate from a CSR under an end-entity profile; crl: re-sign CRLs; "
    "root-rollover: a new root key, the two link certificates, a report signed by both keys.",
)
def plan_new(file: Path, kind: str) -> None:
    """Write a commented plan template to FILE (never overwrites) to edit and review."""
    text = plans.template() if kind == plans.ROOT_KIND else keyuse_plan.template(KeyUseKind(kind))
    with user_errors():
        atomicfile.write_new_file(file, text.encode("utf-8"), mode=0o644)
    click.echo(
        f"Wrote {file}. Edit it, then check it with: pkiadmin-cli ceremony plan check {file}"
    )


@plan_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def plan_check(file: Path) -> None:
    """Validate a plan and print its summary and SHA-256 (hex and PGP words) to compare with the printout."""
    with user_errors():
        lines = _load_any(file).summary_lines()
    click.echo("The plan is valid.")
    for line in lines:
        click.echo(line)


def _load_any(file: Path) -> CeremonyPlan | KeyUsePlan:
    """A root key ceremony plan, or a key-use plan when its [ceremony] kind says so."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return plans.load(file)  # which says what is wrong with the file
    kind = keyuse_plan.kind_of(text)
    if kind in {k.value for k in KeyUseKind}:
        return keyuse_plan.parse(text, file.name)
    return plans.parse(text, file.name)


@group.command("run")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--rehearsal",
    "answers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Dry run: take acknowledgements and shares from this answers file (writes the shares to a REHEARSAL file).",
)
@passphrase_options
@click.pass_context
def run(
    ctx: click.Context,
    plan_file: Path,
    answers_file: Path | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
) -> None:
    """Run the ceremony in PLAN_FILE step by step, with acknowledgements and a signed report.

    A root-key plan generates the root and its custodian shares; a sign-intermediate,
    sign-end-entity or crl plan unlocks an existing CA key (custodian shares, or the passphrase: prompted, or
    --passphrase-env/--passphrase-fd) for that one task.
    """
    with user_errors():
        any_plan = _load_any(plan_file)
        answers = load_answers(answers_file) if answers_file else None
    if isinstance(any_plan, KeyUsePlan):
        if answers is not None:
            raise click.UsageError(
                "--rehearsal is for root key ceremonies; rehearse a key-use ceremony with a test hierarchy."
            )
        secret = None
        if passphrase_env is not None or passphrase_fd is not None:
            secret = read_passphrase(passphrase_env, passphrase_fd, new=False)
        _run_key_use(ctx, any_plan, secret)
        return
    plan = any_plan
    with opened_workspace(ctx) as ws, user_errors():
        if answers is not None:
            click.echo(
                "REHEARSAL: shares are written to a file; use a scratch workspace, never the real one."
            )
        # A rehearsal's leftover shares file is refused before anything starts.
        responder = RehearsalResponder(answers, click.echo) if answers else PromptResponder()
        ceremony = CeremonyRun.start(ws, plan, rehearsal=answers is not None)
        try:
            result = drive(ceremony, responder)
        except (click.Abort, KeyboardInterrupt, EOFError):
            ceremony.abort("the operator stopped the program", plan.administrator.name)
            _discard(responder)
            raise click.ClickException(
                "The ceremony was aborted and recorded; no CA was created."
            ) from None
        except CeremonyAbortedError as exc:  # the driver closed it and says so
            _discard(responder)
            raise click.ClickException(str(exc)) from exc
        except PkiError as exc:
            if ceremony.status is CeremonyStatus.RUNNING:  # not already closed by the driver
                ceremony.abort(str(exc), plan.administrator.name)
            _discard(responder)
            raise click.ClickException(
                f"{str(exc).rstrip('.')}. The ceremony was aborted and recorded; no CA was created."
            ) from exc
    click.echo(f"Ceremony {plan.ceremony_id} completed (record {result.ceremony_id}).")
    click.echo(f"  root CA id:    {result.ca_id} (certificate {result.cert_id})")
    click.echo(f"  key:           {result.key_location}")
    click.echo(f"  report:        {result.report_dir}")
    click.echo(f"Verify the report with: pkiadmin-cli ceremony verify-report {result.report_dir}")


def _discard(responder: object) -> None:
    """What an aborted rehearsal wrote (its shares file) is removed, so it can be run again."""
    if isinstance(responder, RehearsalResponder):
        responder.discard()


def _run_key_use(ctx: click.Context, plan: KeyUsePlan, secret: str | None) -> None:
    with opened_workspace(ctx) as ws, user_errors():
        task = keyuse_tasks.for_plan(ws, plan)
        ceremony = KeyUseRun.start(ws, plan, task)
        try:
            result = keyuse_driver.drive(
                ceremony, KeyUsePromptResponder((lambda: secret) if secret is not None else None)
            )
        except (click.Abort, KeyboardInterrupt, EOFError):
            ceremony.abort("the operator stopped the program", plan.administrator.name)
            raise click.ClickException(
                "The ceremony was aborted and recorded; nothing was signed or stored."
            ) from None
        except PkiError as exc:
            if ceremony.status is CeremonyStatus.RUNNING:
                ceremony.abort(str(exc), plan.administrator.name)
            raise click.ClickException(
                f"{exc} The ceremony was aborted and recorded; nothing was signed or stored."
            ) from exc
    click.echo(f"Ceremony {plan.ceremony_id} completed (record {result.ceremony_id}).")
    for key, value in result.stored.items():
        click.echo(f"  {key.replace('_', ' ')}: {value}")
    click.echo(f"  report: {result.report_dir}")
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
        if (folder / keyuse_report.SIGNER_FILE).exists():
            verdict = keyuse_report.verify(folder)
        else:
            verdict = ceremony_report.verify(folder)
        if checks.is_workspace(workspace_path(ctx)):
            with opened_workspace(ctx) as ws:
                problem = ceremony_store.report_problem(ws.db, folder)
            if problem:
                verdict = dataclasses.replace(
                    verdict, ok=False, problems=(*verdict.problems, problem)
                )
    if as_json:
        echo_json(verdict)
    else:
        for check in verdict.checks:
            click.echo(f"ok      {check}")
        for problem in verdict.problems:
            click.echo(f"FAILED  {problem}", err=True)
        digest = bytes.fromhex(verdict.root_sha256)
        what = "Signer" if (folder / keyuse_report.SIGNER_FILE).exists() else "Root"
        click.echo(f"{what} SHA-256: {fingerprint.grouped_hex(digest)}")
        click.echo(f"PGP words:    {' '.join(fingerprint.pgp_words(digest))}")
        click.echo("Compare these with the fingerprint recorded on paper at the ceremony.")
        click.echo("The report verifies." if verdict.ok else "The report does NOT verify.")
    if not verdict.ok:
        ctx.exit(1)


class PromptResponder(BasePrompts):
    """The interactive root key ceremony at the terminal."""

    def preflight_inputs(self, plan: CeremonyPlan) -> tuple[str, list[str], str | None]:
        clock_by, waiver = self.clock_and_waiver(plan)
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
        witness = click.prompt("Witness who checks the words", type=click.Choice(witnesses(plan)))
        return witness, click.confirm(
            f"{witness}: do the words read aloud match the screen?", default=False
        )

    def token_pin(self, plan: CeremonyPlan) -> str:
        token = plan.token.token if plan.token else "?"
        return str(click.prompt(f"PIN of token '{token}' (input hidden)", hide_input=True))

    def not_applicable(self, step: StepLike, reason: str) -> None:
        click.echo(f"Not applicable here: {reason}.")

    def backup_folder(self) -> Path:
        return Path(
            str(click.prompt("Folder on the backup medium", type=click.Path(file_okay=False)))
        )


def _findings(findings: Sequence[object]) -> str:
    return "; ".join(str(f) for f in findings) or "no findings"
