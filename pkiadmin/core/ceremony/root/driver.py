"""The ceremony script, driven by a Responder: the CLI's prompts, or a rehearsal answers file."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes

from pkiadmin.core.base import atomicfile, fingerprint
from pkiadmin.core.base.errors import PkiError, ValidationError
from pkiadmin.core.ceremony.people import Participant
from pkiadmin.core.ceremony.root.plan import CeremonyPlan
from pkiadmin.core.ceremony.root.run import TOKEN_NOT_APPLICABLE, CeremonyRun
from pkiadmin.core.ceremony.root.steps import CeremonyResult, Step
from pkiadmin.core.ceremony.script import StepScript
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.keys.shares import CustodianShare


class Responder(Protocol):
    """The people in the room, as the driver asks them things."""

    def announce(self, step: Step) -> None: ...
    def confirm_plan(self, plan: CeremonyPlan) -> bool: ...
    def preflight_inputs(self, plan: CeremonyPlan) -> tuple[str, list[str], str | None]: ...
    def show_share(self, share: CustodianShare, position: int, total: int) -> None: ...
    def recovery_shares(self, plan: CeremonyPlan) -> list[str]: ...
    def show_signed(self, signed: issuance.SignedCertificate) -> None: ...
    def fingerprint(
        self, plan: CeremonyPlan, words: Sequence[str], hex_groups: str
    ) -> tuple[str, bool]: ...
    def backup_folder(self) -> Path: ...
    def token_pin(self, plan: CeremonyPlan) -> str: ...
    def not_applicable(self, step: Step, reason: str) -> None: ...
    def acknowledge(self, step: Step, person: Participant) -> bool: ...
    def sign_off(self, person: Participant) -> bool: ...
    def retry_after(self, step: Step, error: PkiError) -> bool: ...


def drive(
    run: CeremonyRun, responder: Responder, progress: Callable[[str], None] | None = None
) -> CeremonyResult:
    report = progress or (lambda _text: None)
    plan = run.plan

    def ack(step: Step) -> None:
        for person in (plan.administrator, plan.internal_witness):
            if not responder.acknowledge(step, person):
                stop(step, f"{person.name} did not acknowledge '{step.title}'")
            run.acknowledge(step, person.name)

    script = StepScript(run, responder.retry_after, "no CA was created")
    stop, attempt = script.stop, script.attempt

    for step in Step:
        responder.announce(step)
        report(step.title)
        if step is Step.PLAN_REVIEW:
            if not responder.confirm_plan(plan):
                stop(step, "the plan's hash did not match the reviewed printout")
            run.review_plan()
        elif step is Step.PREFLIGHT:

            def preflight() -> None:
                clock_by, present, waiver = responder.preflight_inputs(plan)
                # The backup medium is checked now, not found missing at the backup step.
                backup = responder.backup_folder() if plan.token is None else None
                run.run_preflight(clock_by, present, waiver, backup)

            attempt(step, preflight)
        elif step is Step.KEY_GENERATION:
            if plan.token is None:
                run.generate_key()
            else:
                attempt(step, lambda: run.generate_key(responder.token_pin(plan)))
        elif plan.token is not None and step in TOKEN_NOT_APPLICABLE:
            responder.not_applicable(step, run.record_not_applicable(step))
        elif step is Step.SHARE_DISTRIBUTION:
            all_shares = run.split_shares()
            for position, share in enumerate(all_shares, start=1):
                responder.show_share(share, position, len(all_shares))
                run.confirm_share_received(share.custodian)
        elif step is Step.RECOVERY_TEST:
            attempt(step, lambda: run.recovery_test(responder.recovery_shares(plan)))
        elif step is Step.ROOT_SIGNING:
            attempt(step, lambda: responder.show_signed(run.sign_root()))
        elif step is Step.FINGERPRINT:
            attempt(step, lambda: _confirm_fingerprint(run, responder))
        elif step is Step.BACKUP:
            attempt(step, _backup(run, responder))
        elif step is Step.SIGN_OFF:
            for person in plan.participants:
                if not responder.sign_off(person):
                    stop(step, f"{person.name} did not sign off")
                run.sign_off(person.name)
            continue
        ack(step)
    report("Storing the root CA and writing the signed report")
    return run.finish()


def _backup(run: CeremonyRun, responder: Responder) -> Callable[[], object]:
    """The backup step: to the medium pre-flight checked; a retry asks for the folder again."""
    checked = [run.backup_medium] if run.backup_medium is not None else []

    def backup() -> object:
        return run.backup_key(checked.pop() if checked else responder.backup_folder())

    return backup


def _confirm_fingerprint(run: CeremonyRun, responder: Responder) -> None:
    cert = run.certificate
    assert cert is not None  # noqa: S101 - the signing step before this one set it
    digest = cert.fingerprint(hashes.SHA256())
    witness, matches = responder.fingerprint(
        run.plan, fingerprint.pgp_words(digest), fingerprint.grouped_hex(digest)
    )
    run.confirm_fingerprint(witness, matches)


@dataclass(frozen=True)
class RehearsalAnswers:
    """A rehearsal's answers: who confirms what, which shares are typed back, where files go."""

    clock_confirmed_by: str
    present: tuple[str, ...]
    network_waiver: str | None
    recovery: tuple[str, ...]
    fingerprint_confirmed_by: str
    backup_folder: Path
    shares_file: Path
    token_pin: str | None = None


_ANSWER_KEYS = {
    "clock_confirmed_by": str,
    "present": list,
    "network_waiver": str,
    "recovery": list,
    "fingerprint_confirmed_by": str,
    "backup_folder": str,
    "shares_file": str,
    "token_pin": str,
}


def load_answers(path: Path) -> RehearsalAnswers:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8")).get("rehearsal", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Cannot read the rehearsal answers {path}: {exc}.") from exc
    for key, value in data.items():
        if key not in _ANSWER_KEYS:
            raise ValidationError(
                f"{path.name}: [rehearsal] {key} is not a known key (allowed: {', '.join(_ANSWER_KEYS)})."
            )
        if not isinstance(value, _ANSWER_KEYS[key]):
            raise ValidationError(f"{path.name}: [rehearsal] {key} has the wrong type.")
    missing = [
        k for k in _ANSWER_KEYS if k not in data and k not in {"network_waiver", "token_pin"}
    ]
    if missing:
        raise ValidationError(f"{path.name}: [rehearsal] needs {', '.join(missing)}.")
    base = path.parent
    return RehearsalAnswers(
        clock_confirmed_by=data["clock_confirmed_by"],
        present=tuple(data["present"]),
        network_waiver=data.get("network_waiver"),
        recovery=tuple(data["recovery"]),
        fingerprint_confirmed_by=data["fingerprint_confirmed_by"],
        backup_folder=base / data["backup_folder"],
        shares_file=base / data["shares_file"],
        token_pin=data.get("token_pin"),
    )


class RehearsalResponder:
    """Answers from a file, for dry runs and tests. Shares go to a file marked REHEARSAL ONLY,
    which a rehearsal that does not complete removes again (so that it can be run again)."""

    def __init__(self, answers: RehearsalAnswers, log: Callable[[str], None] | None = None) -> None:
        if answers.shares_file.exists():
            raise ValidationError(
                f"{answers.shares_file} already exists (an earlier rehearsal's shares?); pkiadmin "
                "never overwrites a file. Remove it or name another shares_file in the answers; "
                "nothing was started."
            )
        self.answers = answers
        self.log = log or (lambda _text: None)
        self._shares: dict[str, str] = {}
        self._wrote_shares = False

    def discard(self) -> None:
        """The rehearsal did not complete: remove the shares file it wrote."""
        if self._wrote_shares:
            atomicfile.shred(self.answers.shares_file)
            self._wrote_shares = False

    def announce(self, step: Step) -> None:
        self.log(f"== {step.title}: {step.explanation}")

    def confirm_plan(self, plan: CeremonyPlan) -> bool:
        for line in plan.summary_lines():
            self.log(line)
        return True

    def preflight_inputs(self, plan: CeremonyPlan) -> tuple[str, list[str], str | None]:
        return (
            self.answers.clock_confirmed_by,
            list(self.answers.present),
            self.answers.network_waiver,
        )

    def show_share(self, share: CustodianShare, position: int, total: int) -> None:
        self._shares[share.custodian] = share.mnemonic
        self.log(f"share {position} of {total} for {share.custodian} ({share.share_id})")
        if len(self._shares) == total:
            lines = [
                "# REHEARSAL ONLY: shares of a rehearsal ceremony. A real ceremony never writes shares to disk."
            ]
            lines += [f"# {name}\n{mnemonic}" for name, mnemonic in self._shares.items()]
            atomicfile.write_new_file(
                self.answers.shares_file, ("\n".join(lines) + "\n").encode(), mode=0o600
            )
            self._wrote_shares = True

    def recovery_shares(self, plan: CeremonyPlan) -> list[str]:
        return [self._shares[name] for name in self.answers.recovery if name in self._shares]

    def show_signed(self, signed: issuance.SignedCertificate) -> None:
        self.log(
            f"signed; lint before: {len(signed.lint_before.findings)} finding(s), after: {len(signed.lint_after.findings)}"
        )

    def fingerprint(
        self, plan: CeremonyPlan, words: Sequence[str], hex_groups: str
    ) -> tuple[str, bool]:
        self.log(f"SHA-256 {hex_groups}")
        self.log("PGP words: " + " ".join(words))
        return self.answers.fingerprint_confirmed_by, True

    def backup_folder(self) -> Path:
        return self.answers.backup_folder

    def token_pin(self, plan: CeremonyPlan) -> str:
        if self.answers.token_pin is None:
            raise ValidationError("The plan puts the key on a token: the answers need token_pin.")
        return self.answers.token_pin

    def not_applicable(self, step: Step, reason: str) -> None:
        self.log(f"not applicable: {reason}")

    def acknowledge(self, step: Step, person: Participant) -> bool:
        return True

    def sign_off(self, person: Participant) -> bool:
        return True

    def retry_after(self, step: Step, error: PkiError) -> bool:
        self.log(f"FAILED: {error}")
        return False
