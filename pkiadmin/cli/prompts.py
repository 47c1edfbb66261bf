"""Ceremonies at the terminal: a prompt for each confirmation, hidden input for secrets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

from pkiadmin.cli.context import prompt_shares
from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony import preflight
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.keyuse.facts import Output
from pkiadmin.core.ceremony.keyuse.plan import KeyUsePlan
from pkiadmin.core.ceremony.keyuse.run import Review
from pkiadmin.core.ceremony.people import Participant, Role
from pkiadmin.core.ceremony.root.plan import CeremonyPlan
from pkiadmin.core.ceremony.step_run import StepLike
from pkiadmin.core.issuance.authorities import Authority

AnyPlan = CeremonyPlan | KeyUsePlan


def witnesses(plan: AnyPlan) -> list[str]:
    return [p.name for p in plan.participants if p.role in {Role.INTERNAL_WITNESS, Role.WITNESS}]


def _words(digest: bytes) -> None:
    click.secho(f"  SHA-256: {fingerprint.grouped_hex(digest)}", bold=True)
    words = fingerprint.pgp_words(digest)
    for i in range(0, len(words), 8):
        click.secho("  " + " ".join(words[i : i + 8]), bold=True)


class BasePrompts:
    """What every ceremony asks the same way."""

    def announce(self, step: StepLike) -> None:
        click.echo()
        click.secho(f"== {step.title} ==", bold=True)
        click.echo(step.explanation)

    def confirm_plan(self, plan: AnyPlan) -> bool:
        for line in plan.summary_lines():
            click.echo(line)
        return click.confirm(
            "Does the plan's SHA-256 match the reviewed printout, read aloud?", default=False
        )

    def clock_and_waiver(self, plan: AnyPlan) -> tuple[str, str | None]:
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
        clock_by = click.prompt(
            "Witness who confirms the clock", type=click.Choice(witnesses(plan))
        )
        return clock_by, waiver

    def acknowledge(self, step: StepLike, person: Participant) -> bool:
        return click.confirm(
            f"{person.name} ({person.role.value}): acknowledge '{step.title}'?", default=False
        )

    def sign_off(self, person: Participant) -> bool:
        return click.confirm(
            f"{person.name} ({person.role.value}): sign off the ceremony?", default=False
        )

    def retry_after(self, step: StepLike, error: PkiError) -> bool:
        click.secho(str(error), fg="red")
        return click.confirm(f"Try '{step.title}' again? (No aborts the ceremony.)", default=True)


class KeyUsePromptResponder(BasePrompts):
    def __init__(self, passphrase: Callable[[], str] | None = None) -> None:
        self._passphrase = passphrase

    def preflight_inputs(self, plan: KeyUsePlan) -> tuple[str, str | None]:
        return self.clock_and_waiver(plan)

    def review(self, plan: KeyUsePlan, shown: Review) -> tuple[str, bool]:
        for line in shown.lines:
            click.echo(f"  {line}")
        if shown.confirm_digest is not None:
            click.echo(f"Read aloud {shown.confirm_label}:")
            _words(shown.confirm_digest)
        witness = click.prompt("Witness who checks it", type=click.Choice(witnesses(plan)))
        question = (
            f"{witness}: does it match {shown.confirm_label}?"
            if shown.confirm_label
            else f"{witness}: is this what the plan says to sign?"
        )
        return witness, click.confirm(question, default=False)

    def unlock(self, authority: Authority) -> tuple[str | None, Sequence[str] | None]:
        if authority.needs_shares:
            return None, prompt_shares(
                f"Custodians of '{authority.name}' enter their shares; input is hidden."
            )
        if self._passphrase is not None:
            return self._passphrase(), None
        return click.prompt(f"Passphrase of '{authority.name}'", hide_input=True), None

    def fingerprint(self, plan: KeyUsePlan, outputs: Sequence[Output]) -> tuple[str, bool]:
        for output in outputs:
            click.echo(f"{output.name} ({output.file}):")
            _words(output.sha256)
        witness = click.prompt("Witness who checks the words", type=click.Choice(witnesses(plan)))
        return witness, click.confirm(
            f"{witness}: do the words read aloud match the screen?", default=False
        )
