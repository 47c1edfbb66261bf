"""A short key-use ceremony: an existing CA key is unlocked, used for one task (sign an intermediate,
re-sign CRLs) in front of witnesses, and the result is stored with a signed report.

Plan review, pre-flight, review of exactly what will be signed, unlock, lint-then-sign, the
fingerprint read back aloud, sign-off. Each step is acknowledged by the administrator and an
internal witness. Nothing is stored before the end; an aborted run leaves only its log."""

from __future__ import annotations

import enum
import shutil
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import PkiError, StorageError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.keyuse.facts import KeyUseFacts, Output
from pkiadmin.core.ceremony.keyuse.plan import KeyUsePlan
from pkiadmin.core.ceremony.step_run import CeremonyError, StepRun
from pkiadmin.core.ceremony.store import CeremonyStatus
from pkiadmin.core.issuance.authorities import Authority, unlock_passphrase
from pkiadmin.core.issuance.intermediate import release_key, unlock_issuer_key
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace.folder import Workspace


class KeyUseStep(enum.Enum):
    PLAN_REVIEW = "plan-review"
    PREFLIGHT = "preflight"
    REVIEW = "review"
    UNLOCK = "unlock"
    SIGNING = "signing"
    FINGERPRINT = "fingerprint"
    SIGN_OFF = "sign-off"

    @property
    def title(self) -> str:
        return _TITLES[self][0]

    @property
    def explanation(self) -> str:
        return _TITLES[self][1]


_TITLES = {
    KeyUseStep.PLAN_REVIEW: (
        "Plan review",
        "Read the plan's SHA-256 aloud in PGP words; everyone compares it with the reviewed printout.",
    ),
    KeyUseStep.PREFLIGHT: (
        "Pre-flight checks",
        "Network off, clock read aloud and confirmed by a witness, software hashes recorded, workspace writable.",
    ),
    KeyUseStep.REVIEW: (
        "What will be signed",
        "The exact content about to be signed, field by field; a request's SHA-256 is read aloud and "
        "compared with the value the requester sent by another channel.",
    ),
    KeyUseStep.UNLOCK: (
        "Unlock the CA key",
        "A quorum of custodians enters their shares (or the passphrase is typed); pkiadmin checks the "
        "key belongs to the CA certificate. The key stays in memory only.",
    ),
    KeyUseStep.SIGNING: (
        "Lint and sign",
        "Lint a throw-away-key copy, sign exactly what was linted, verify the signature, lint again.",
    ),
    KeyUseStep.FINGERPRINT: (
        "Fingerprint read-aloud",
        "Read the SHA-256 of what was signed aloud in PGP words; a witness confirms it matches the screen.",
    ),
    KeyUseStep.SIGN_OFF: ("Sign-off", "Every participant signs off the ceremony."),
}
KEY_USE_STEPS = tuple(KeyUseStep)


@dataclass(frozen=True)
class Review:
    lines: tuple[str, ...]
    confirm_label: str | None = None  # what the witness compares, e.g. the CSR's SHA-256
    confirm_digest: bytes | None = None


class Task(Protocol):
    """The work of one kind of key-use ceremony."""

    kind: str

    def issuers(self) -> tuple[Authority, ...]: ...
    def review(self) -> Review: ...
    def sign(self, unlocked: Mapping[int, keys.PrivateKey]) -> tuple[Output, ...]: ...
    def report_facts(self) -> dict[str, Any]: ...
    def store(self, ceremony_id: int) -> dict[str, Any]: ...


@dataclass(frozen=True)
class KeyUseResult:
    ceremony_id: int
    stored: Mapping[str, Any]
    report_dir: Path


class KeyUseRun(StepRun[KeyUseStep, KeyUsePlan]):
    steps = KEY_USE_STEPS

    def __init__(self, ws: Workspace, plan: KeyUsePlan, ceremony_id: int, task: Task) -> None:
        super().__init__(ws, plan, ceremony_id, rehearsal=False)
        self.task = task
        self._keys: dict[int, keys.PrivateKey] = {}
        self._review: Review | None = None
        self._outputs: tuple[Output, ...] = ()

    @classmethod
    def start(cls, ws: Workspace, plan: KeyUsePlan, task: Task) -> KeyUseRun:
        """`task` was built from the plan first, so a plan that names an unknown CA or CSR is refused
        before anything is recorded."""
        ceremony_store.mark_interrupted(ws.db)
        return cls(ws, plan, cls.open_record(ws, plan, False, task.kind), task)

    def _forget(self) -> None:
        for key in self._keys.values():
            release_key(key)
        self._keys.clear()

    def facts(self) -> KeyUseFacts:
        """What the report needs from this run, frozen now."""
        return KeyUseFacts(
            ws=self.ws,
            ceremony_id=self.id,
            plan=self.plan,
            steps=tuple(self.steps),
            step_results=self.step_results(),
            outputs=self.outputs,
        )

    @property
    def outputs(self) -> tuple[Output, ...]:
        return self._outputs

    def locked_issuers(self) -> tuple[Authority, ...]:
        return tuple(a for a in self.task.issuers() if a.id not in self._keys)

    # --- the steps -------------------------------------------------------------------------

    def review(self) -> Review:
        """What will be signed; shown until a witness confirms it (confirm_review)."""
        if self._review is None:
            self._begin(KeyUseStep.REVIEW)
            try:
                self._review = self.task.review()
            except PkiError as exc:
                raise self._fail(KeyUseStep.REVIEW, exc) from exc
        return self._review

    def confirm_review(self, witness: str, matches: bool) -> None:
        self._begin(KeyUseStep.REVIEW)
        self._witness(witness, "What will be signed")
        shown = self.review()
        if not matches:
            raise self._fail(
                KeyUseStep.REVIEW,
                CeremonyError(
                    f"{witness} reported that {shown.confirm_label or 'the content'} does not match"
                ),
            )
        detail: dict[str, Any] = {"confirmed_by": witness, "shown": list(shown.lines)}
        if shown.confirm_digest is not None:
            detail["compared"] = shown.confirm_label
            detail["sha256"] = shown.confirm_digest.hex()
            detail["pgp_words"] = " ".join(fingerprint.pgp_words(shown.confirm_digest))
        self._complete(KeyUseStep.REVIEW, detail)

    def unlock(
        self,
        ca_id: int,
        key_passphrase: str | None = None,
        share_words: Sequence[str] | None = None,
    ) -> None:
        self._begin(KeyUseStep.UNLOCK)
        authority = next((a for a in self.task.issuers() if a.id == ca_id), None)
        if authority is None:
            raise CeremonyError(f"CA {ca_id} is not used in this ceremony.")
        try:
            key = unlock_issuer_key(self.ws, ca_id, key_passphrase, share_words)
        except PkiError as exc:
            raise self._fail(KeyUseStep.UNLOCK, exc) from exc
        self._keys[ca_id] = key
        remember = getattr(self.task, "remember_secret", None)
        if remember is not None:  # a rollover protects the new key as the old one
            remember(ca_id, unlock_passphrase(authority, key_passphrase, share_words))
        detail: dict[str, Any] = {
            "ca_id": ca_id,
            "ca": authority.name,
            "by": authority.key_protection,
        }
        if authority.on_token:
            from dataclasses import asdict

            from pkiadmin.core.keys import pkcs11 as hsm

            session = hsm.current_session(hsm.KeyRef.parse(authority.key_ref).token)
            if session is not None:  # the report names the device that signed
                detail["token"] = asdict(hsm.token_of(session))
                detail["key_uri"] = authority.key_ref
        self._event(KeyUseStep.UNLOCK, "key-unlocked", None, detail)
        if not self.locked_issuers():
            self._complete(
                KeyUseStep.UNLOCK,
                {"unlocked": [{"ca_id": a.id, "ca": a.name} for a in self.task.issuers()]},
            )

    def sign(self) -> tuple[Output, ...]:
        self._begin(KeyUseStep.SIGNING)
        try:
            outputs = self.task.sign(self._keys)
        except PkiError as exc:
            raise self._fail(KeyUseStep.SIGNING, exc) from exc
        self._outputs = outputs
        self._complete(
            KeyUseStep.SIGNING,
            {
                "outputs": [
                    {"name": o.name, "file": o.file, "sha256": o.sha256.hex()} for o in outputs
                ],
                **self.task.report_facts(),
            },
        )
        return outputs

    def confirm_fingerprint(self, witness: str, matches: bool) -> None:
        self._begin(KeyUseStep.FINGERPRINT)
        self._witness(witness, "The fingerprint")
        if not matches:
            raise self._fail(
                KeyUseStep.FINGERPRINT,
                CeremonyError(f"{witness} reported that the words read aloud did not match"),
            )
        self._complete(
            KeyUseStep.FINGERPRINT,
            {
                "confirmed_by": witness,
                "read_aloud": [
                    {
                        "name": o.name,
                        "sha256": o.sha256.hex(),
                        "pgp_words": " ".join(fingerprint.pgp_words(o.sha256)),
                    }
                    for o in self._outputs
                ],
            },
        )

    # --- the end ---------------------------------------------------------------------------

    def finish(self) -> KeyUseResult:
        """Store what was signed and write the signed report, in one transaction; forget the keys."""
        from pkiadmin.core.ceremony.keyuse import report as keyuse_report

        self._check_finishable()
        ws = self.ws
        report_dir = ws.exports_dir / "ceremonies" / f"{self.plan.ceremony_id}-{self.id}"
        if report_dir.exists():
            raise StorageError(f"{report_dir} already exists; pkiadmin never overwrites a report.")
        signer = self.task.issuers()[0]
        # Written to a hidden folder, published (renamed) only after the commit: a kill leaves no
        # report that verifies for a ceremony the workspace does not list as completed.
        staging = report_dir.with_name(f".{report_dir.name}.partial")
        try:
            with ws.db.atomic():
                stored = self.task.store(self.id)
                ws.db.execute(
                    "UPDATE ceremonies SET status = 'completed', ended_at = ?, ca_id = ?, report_dir = ? WHERE id = ?",
                    (ceremony_store.now_text(), signer.id, str(report_dir), self.id),
                )
                shutil.rmtree(staging, ignore_errors=True)
                staging.mkdir(parents=True)
                facts = self.facts()
                report = keyuse_report.build(facts, stored)
                co_signer = getattr(self.task, "co_signer", lambda: None)()
                files = keyuse_report.write(
                    staging, report, facts, signer, self._keys[signer.id], co_signer
                )
                ceremony_store.record_event(
                    ws.db,
                    self.id,
                    "-",
                    "completed",
                    self.plan.administrator.name,
                    {**stored, "report": dict(files)},
                )
        except (OSError, sqlite3.Error) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StorageError(
                f"Storing the result and its report failed ({exc}); nothing was kept. Free space and finish again."
            ) from exc
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        staging.rename(report_dir)
        self.status = CeremonyStatus.COMPLETED
        self._forget()
        return KeyUseResult(self.id, stored, report_dir)
