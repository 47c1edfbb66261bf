"""What every witnessed ceremony shares: ordered steps, each performed then acknowledged by the
administrator and an internal witness; exception sheets; abort; plan review; pre-flight; sign-off.
Every event is written to the ceremony's log and the audit log in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony import preflight as preflight_checks
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.people import Participant, Role
from pkiadmin.core.ceremony.store import CeremonyStatus
from pkiadmin.core.workspace.folder import Workspace

PLAN_REVIEW = "plan-review"
PREFLIGHT = "preflight"
SIGN_OFF = "sign-off"


class CeremonyError(PkiError):
    """A step cannot be done now, or failed; the message says what to do."""


class StepLike(Protocol):
    @property
    def value(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def explanation(self) -> str: ...


class PlanLike(Protocol):
    @property
    def ceremony_id(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def sha256(self) -> bytes: ...
    @property
    def participants(self) -> tuple[Participant, ...]: ...
    @property
    def administrator(self) -> Participant: ...
    def by_role(self, role: Role) -> tuple[Participant, ...]: ...
    def participant(self, name: str) -> Participant: ...


S = TypeVar("S", bound=StepLike)
P = TypeVar("P", bound=PlanLike)


@dataclass
class StepState:
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    acks: dict[str, set[str]] = field(default_factory=dict)
    signed_off: set[str] = field(default_factory=set)
    preflight: tuple[preflight_checks.Check, ...] = ()


class StepRun(Generic[S, P]):
    """The shared step engine; subclasses give the steps and do the work of each."""

    steps: tuple[S, ...]

    def __init__(self, ws: Workspace, plan: P, ceremony_id: int, rehearsal: bool) -> None:
        self.ws = ws
        self.plan = plan
        self.id = ceremony_id
        self.rehearsal = rehearsal
        self.status = CeremonyStatus.RUNNING
        self._steps = StepState()
        self.backup_medium: Path | None = None  # checked at pre-flight, used at the backup step

    def __repr__(self) -> str:  # never show keys, passphrases or shares
        return f"{type(self).__name__}(id={self.id}, plan={self.plan.ceremony_id!r}, status={self.status.value})"

    @staticmethod
    def open_record(ws: Workspace, plan: PlanLike, rehearsal: bool, kind: str) -> int:
        """Refuse a plan already carried out, then record the start."""
        if not rehearsal:
            done = ws.db.execute(
                "SELECT id FROM ceremonies WHERE plan_id = ? AND status = 'completed' AND rehearsal = 0",
                (plan.ceremony_id,),
            ).fetchone()
            if done:
                raise CeremonyError(
                    f"Ceremony {plan.ceremony_id} was already completed (record {done[0]}). "
                    "Give the new plan its own ceremony id."
                )
        with ws.db.atomic():
            ceremony_id = ceremony_store.insert(
                ws.db,
                plan.ceremony_id,
                plan.purpose,
                plan.sha256.hex(),
                plan.text,
                rehearsal,
                kind,
            )
            ceremony_store.record_event(
                ws.db,
                ceremony_id,
                "-",
                "started",
                plan.administrator.name,
                {
                    "kind": kind,
                    "plan_id": plan.ceremony_id,
                    "plan_sha256": plan.sha256.hex(),
                    "rehearsal": rehearsal,
                },
            )
        return ceremony_id

    # --- where the run stands ------------------------------------------------------------

    @property
    def current_step(self) -> S | None:
        for step in self.steps:
            if not self.is_complete(step):
                return step
        return None

    def is_done(self, step: S) -> bool:
        return step.value in self._steps.done

    def is_complete(self, step: S) -> bool:
        if step.value == SIGN_OFF:
            return self.is_done(step)
        acks = self._steps.acks.get(step.value, set())
        return (
            self.is_done(step)
            and self.plan.administrator.name in acks
            and any(p.name in acks for p in self.plan.by_role(Role.INTERNAL_WITNESS))
        )

    def acknowledgements(self, step: S) -> frozenset[str]:
        return frozenset(self._steps.acks.get(step.value, set()))

    def result(self, step: S) -> dict[str, Any]:
        return dict(self._steps.done.get(step.value, {}))

    @property
    def signed_off(self) -> frozenset[str]:
        return frozenset(self._steps.signed_off)

    @property
    def preflight_results(self) -> tuple[preflight_checks.Check, ...]:
        return self._steps.preflight

    def step_results(self) -> dict[str, dict[str, Any]]:
        return {name: dict(detail) for name, detail in self._steps.done.items()}

    def step_acks(self) -> dict[str, list[str]]:
        return {name: sorted(names) for name, names in self._steps.acks.items()}

    def _step(self, value: str) -> S:
        return next(s for s in self.steps if s.value == value)

    def _begin(self, step: S) -> None:
        if self.status is not CeremonyStatus.RUNNING:
            raise CeremonyError(
                f"The ceremony is {self.status.value}; nothing more can be done in it."
            )
        current = self.current_step
        if current is not step:
            name = current.title if current else "none"
            raise CeremonyError(f"'{step.title}' cannot be done now: the current step is '{name}'.")
        if self.is_done(step):
            raise CeremonyError(
                f"'{step.title}' is done; it waits for the administrator's and witness's acknowledgement."
            )

    def _event(self, step: S | str, kind: str, person: str | None, detail: dict[str, Any]) -> None:
        name = step if isinstance(step, str) else step.value
        with self.ws.db.atomic():
            ceremony_store.record_event(self.ws.db, self.id, name, kind, person, detail)

    def _complete(self, step: S, detail: dict[str, Any]) -> None:
        self._event(step, "step-done", None, detail)
        self._steps.done[step.value] = detail

    def _fail(self, step: S, error: PkiError) -> CeremonyError:
        self._event(step, "step-failed", None, {"error": str(error)})
        return CeremonyError(f"{step.title} failed: {error}")

    def _forget(self) -> None:
        """Drop every secret held in memory (subclasses hold them)."""

    # --- acknowledgements, exceptions, abort ----------------------------------------------

    def acknowledge(self, step: S, person: str) -> None:
        """The administrator and an internal witness each confirm a performed step."""
        participant = self.plan.participant(person)
        if participant.role not in {Role.ADMINISTRATOR, Role.INTERNAL_WITNESS}:
            raise CeremonyError(
                f"{person} is a {participant.role.value}; steps are acknowledged by the administrator and an internal witness."
            )
        if not self.is_done(step):
            raise CeremonyError(
                f"'{step.title}' has not been performed yet; there is nothing to acknowledge."
            )
        if person in self._steps.acks.get(step.value, set()):
            return
        self._event(step, "acknowledged", person, {"role": participant.role.value})
        self._steps.acks.setdefault(step.value, set()).add(person)

    def record_exception(
        self, expected: str, happened: str, decision: str, approved_by: str
    ) -> None:
        """An exception sheet: expected / what happened / decision / approved by."""
        self.plan.participant(approved_by)
        if not (expected.strip() and happened.strip() and decision.strip()):
            raise CeremonyError(
                "An exception needs what was expected, what happened and the decision taken."
            )
        step = self.current_step.value if self.current_step else "-"
        self._event(
            step,
            "exception",
            approved_by,
            {"expected": expected, "happened": happened, "decision": decision},
        )

    def abort(self, reason: str, by: str) -> None:
        """Close the ceremony as aborted. Nothing is stored; the secrets in memory are dropped."""
        self.plan.participant(by)
        if self.status is not CeremonyStatus.RUNNING:
            raise CeremonyError(f"The ceremony is already {self.status.value}.")
        with self.ws.db.atomic():
            ceremony_store.set_status(self.ws.db, self.id, CeremonyStatus.ABORTED)
            ceremony_store.record_event(
                self.ws.db, self.id, "-", "aborted", by, {"reason": reason or "(no reason given)"}
            )
        self.status = CeremonyStatus.ABORTED
        self._forget()

    # --- steps every ceremony has ----------------------------------------------------------

    def review_plan(self) -> None:
        step = self._step(PLAN_REVIEW)
        self._begin(step)
        digest = self.plan.sha256
        self._complete(
            step,
            {"plan_sha256": digest.hex(), "pgp_words": " ".join(fingerprint.pgp_words(digest))},
        )

    def _check_quorum(self, present: Sequence[str]) -> None:
        """Subclasses check who must be in the room."""

    def _token_to_check(self) -> tuple[str, str | None] | None:
        """(label, PKCS#11 module) of the token a key will be made on, for pre-flight to look
        for; subclasses that make keys on tokens say which."""
        return None

    def run_preflight(
        self,
        clock_confirmed_by: str,
        present: Sequence[str],
        network_waiver: str | None = None,
        backup_folder: Path | None = None,
    ) -> tuple[preflight_checks.Check, ...]:
        """`backup_folder`: the medium the key backup will go to, checked now."""
        step = self._step(PREFLIGHT)
        self._begin(step)
        checks = preflight_checks.run(
            self.ws, backup_folder=backup_folder, token=self._token_to_check()
        )
        self._steps.preflight = checks
        network = next(c for c in checks if c.name == "network")
        try:
            confirmer = self.plan.participant(clock_confirmed_by)
            if confirmer.role not in {Role.INTERNAL_WITNESS, Role.WITNESS}:
                raise CeremonyError(
                    f"The clock is confirmed by a witness, not by {confirmer.name} ({confirmer.role.value})."
                )
            if network.status is not preflight_checks.Status.OK and not (
                network_waiver and network_waiver.strip()
            ):
                raise CeremonyError(
                    f"{network.detail}. The ceremony cannot continue without a recorded waiver."
                )
            failed = [c for c in checks if c.status is preflight_checks.Status.FAILED]
            if failed:
                raise CeremonyError("; ".join(f"{c.name}: {c.detail}" for c in failed))
            self._check_quorum(present)
        except PkiError as exc:
            raise self._fail(step, exc) from exc
        detail: dict[str, Any] = {
            "checks": [
                {"name": c.name, "status": c.status.value, "detail": c.detail} for c in checks
            ],
            "clock_confirmed_by": clock_confirmed_by,
            "custodians_present": sorted(present),
            "environment": preflight_checks.environment(),
        }
        if network.status is not preflight_checks.Status.OK:
            detail["network_waiver"] = network_waiver
        if backup_folder is not None:
            detail["backup_folder"] = str(backup_folder.resolve())
            self.backup_medium = backup_folder
        self._complete(step, detail)
        return checks

    def _witness(self, name: str, what: str) -> Participant:
        participant = self.plan.participant(name)
        if participant.role not in {Role.INTERNAL_WITNESS, Role.WITNESS}:
            raise CeremonyError(
                f"{what} is confirmed by a witness, not by {name} ({participant.role.value})."
            )
        return participant

    def sign_off(self, person: str) -> None:
        step = self._step(SIGN_OFF)
        self._begin(step)
        participant = self.plan.participant(person)
        if person not in self._steps.signed_off:
            self._event(step, "signed-off", person, {"role": participant.role.value})
            self._steps.signed_off.add(person)
        if self._steps.signed_off >= {p.name for p in self.plan.participants}:
            self._complete(step, {"participants": sorted(self._steps.signed_off)})

    def _check_finishable(self) -> None:
        if self.current_step is not None:
            raise CeremonyError(
                f"The ceremony is not finished: '{self.current_step.title}' is still open."
            )
        if self.status is not CeremonyStatus.RUNNING:
            raise CeremonyError(f"The ceremony is {self.status.value}.")
