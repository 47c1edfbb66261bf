"""The key-use ceremony script, driven by a Responder (the CLI's prompts, or a test's answers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony.keyuse.facts import Output
from pkiadmin.core.ceremony.keyuse.plan import KeyUsePlan
from pkiadmin.core.ceremony.keyuse.run import KeyUseResult, KeyUseRun, KeyUseStep, Review
from pkiadmin.core.ceremony.people import Participant
from pkiadmin.core.ceremony.script import StepScript
from pkiadmin.core.issuance.authorities import Authority


class KeyUseResponder(Protocol):
    def announce(self, step: KeyUseStep) -> None: ...
    def confirm_plan(self, plan: KeyUsePlan) -> bool: ...
    def preflight_inputs(self, plan: KeyUsePlan) -> tuple[str, str | None]: ...
    def review(self, plan: KeyUsePlan, shown: Review) -> tuple[str, bool]: ...
    def unlock(self, authority: Authority) -> tuple[str | None, Sequence[str] | None]: ...
    def fingerprint(self, plan: KeyUsePlan, outputs: Sequence[Output]) -> tuple[str, bool]: ...
    def acknowledge(self, step: KeyUseStep, person: Participant) -> bool: ...
    def sign_off(self, person: Participant) -> bool: ...
    def retry_after(self, step: KeyUseStep, error: PkiError) -> bool: ...


def drive(
    run: KeyUseRun, responder: KeyUseResponder, progress: Callable[[str], None] | None = None
) -> KeyUseResult:
    report = progress or (lambda _text: None)
    plan = run.plan

    script = StepScript(run, responder.retry_after, "nothing was signed or stored")
    stop, attempt = script.stop, script.attempt

    def unlock_all() -> None:
        for authority in run.locked_issuers():
            passphrase, words = responder.unlock(authority)
            run.unlock(authority.id, passphrase, words)

    for step in KeyUseStep:
        responder.announce(step)
        report(step.title)
        if step is KeyUseStep.PLAN_REVIEW:
            if not responder.confirm_plan(plan):
                stop(step, "the plan's hash did not match the reviewed printout")
            run.review_plan()
        elif step is KeyUseStep.PREFLIGHT:

            def preflight() -> None:
                clock_by, waiver = responder.preflight_inputs(plan)
                run.run_preflight(clock_by, (), waiver)

            attempt(step, preflight)
        elif step is KeyUseStep.REVIEW:
            attempt(step, lambda: run.confirm_review(*responder.review(plan, run.review())))
        elif step is KeyUseStep.UNLOCK:
            attempt(step, unlock_all)
        elif step is KeyUseStep.SIGNING:
            attempt(step, run.sign)
        elif step is KeyUseStep.FINGERPRINT:
            attempt(
                step, lambda: run.confirm_fingerprint(*responder.fingerprint(plan, run.outputs))
            )
        else:
            for person in plan.participants:
                if not responder.sign_off(person):
                    stop(step, f"{person.name} did not sign off")
                run.sign_off(person.name)
            continue
        for person in (plan.administrator, plan.internal_witness):
            if not responder.acknowledge(step, person):
                stop(step, f"{person.name} did not acknowledge '{step.title}'")
            run.acknowledge(step, person.name)
    report("Storing the result and writing the signed report")
    return run.finish()
