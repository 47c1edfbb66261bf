"""What every ceremony driver does the same way: stop (recorded as aborted) or retry a failed step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony.step_run import CeremonyError, StepLike, StepRun


class CeremonyAbortedError(PkiError):
    """The people in the room stopped the ceremony; it is recorded as aborted and no CA exists."""


class StepScript:
    """Stopping a ceremony (recorded as aborted) and retrying a failed step, for every driver."""

    def __init__(
        self,
        run: StepRun[Any, Any],
        retry_after: Callable[[Any, PkiError], bool],
        outcome: str,
    ) -> None:
        self.run = run
        self.retry_after = retry_after
        self.outcome = outcome  # what an abort leaves: "no CA was created", ...

    def stop(self, step: StepLike, reason: str) -> NoReturn:
        self.run.abort(reason, self.run.plan.administrator.name)
        raise CeremonyAbortedError(
            f"The ceremony was aborted at '{step.title}': {reason.rstrip('.')}. It is recorded; "
            f"{self.outcome}."
        )

    def attempt(self, step: StepLike, action: Callable[[], object]) -> None:
        while True:
            try:
                action()
            except CeremonyError as exc:
                if not self.retry_after(step, exc):
                    self.stop(step, str(exc))
            else:
                return
