"""A key ceremony run: ordered steps, each performed then acknowledged by the administrator and an
internal witness; custodian shares; a recovery test; lint-then-sign; backup; sign-off; and, only at
the end, the new root CA and its signed report stored in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core import (
    atomicfile,
    ceremony_finish,
    ceremony_store,
    fingerprint,
    inventory,
    issuance,
    keys,
    rootca,
    shares,
)
from pkiadmin.core import preflight as preflight_checks
from pkiadmin.core.ceremony_plan import CeremonyPlan, Role
from pkiadmin.core.ceremony_steps import (
    STEPS,
    BackupResult,
    CeremonyError,
    CeremonyResult,
    KeyFacts,
    Step,
)
from pkiadmin.core.ceremony_store import CeremonyStatus
from pkiadmin.core.errors import CheckFailedError, PkiError, StorageError
from pkiadmin.core.signer import FileSigner
from pkiadmin.core.workspace import Workspace

__all__ = [
    "STEPS",
    "BackupResult",
    "CeremonyError",
    "CeremonyResult",
    "CeremonyRun",
    "KeyFacts",
    "Step",
]


@dataclass
class _Secrets:
    """What exists only in memory during the run; dropped on finish or abort."""

    key: keys.PrivateKey | None = None
    secret: bytes | None = None
    passphrase: str | None = None
    encrypted_key: bytes | None = None
    shares: tuple[shares.CustodianShare, ...] = ()


@dataclass
class _State:
    done: dict[Step, dict[str, Any]] = field(default_factory=dict)
    acks: dict[Step, set[str]] = field(default_factory=dict)
    received: set[str] = field(default_factory=set)
    signed_off: set[str] = field(default_factory=set)
    preflight: tuple[preflight_checks.Check, ...] = ()
    certificate: x509.Certificate | None = None
    signed: issuance.SignedCertificate | None = None
    backups: list[BackupResult] = field(default_factory=list)
    key_facts: KeyFacts | None = None


class CeremonyRun:
    def __init__(
        self, ws: Workspace, plan: CeremonyPlan, ceremony_id: int, rehearsal: bool
    ) -> None:
        self.ws = ws
        self.plan = plan
        self.id = ceremony_id
        self.rehearsal = rehearsal
        self.status = CeremonyStatus.RUNNING
        self._secrets = _Secrets()
        self._state = _State()

    def __repr__(self) -> str:  # never show the key, passphrase or shares
        return (
            f"CeremonyRun(id={self.id}, plan={self.plan.ceremony_id!r}, status={self.status.value})"
        )

    @classmethod
    def start(cls, ws: Workspace, plan: CeremonyPlan, rehearsal: bool = False) -> CeremonyRun:
        ceremony_store.mark_interrupted(ws.db)
        if rehearsal:
            real = ws.db.execute(
                "SELECT a.name FROM authorities a LEFT JOIN ceremonies c ON c.id = a.ceremony_id"
                " WHERE c.id IS NULL OR c.rehearsal = 0 LIMIT 1"
            ).fetchone()
            if real:
                raise CeremonyError(
                    f"This workspace holds a real CA ({real[0]}). Rehearse in a separate, scratch workspace "
                    "(--workspace DIR), so rehearsal keys never sit beside real ones."
                )
        else:
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
                ws.db, plan.ceremony_id, plan.purpose, plan.sha256.hex(), plan.text, rehearsal
            )
            ceremony_store.record_event(
                ws.db,
                ceremony_id,
                "-",
                "started",
                plan.administrator.name,
                {
                    "plan_id": plan.ceremony_id,
                    "plan_sha256": plan.sha256.hex(),
                    "rehearsal": rehearsal,
                },
            )
        return cls(ws, plan, ceremony_id, rehearsal)

    # --- where the run stands ------------------------------------------------------------

    @property
    def current_step(self) -> Step | None:
        for step in STEPS:
            if not self.is_complete(step):
                return step
        return None

    def is_done(self, step: Step) -> bool:
        return step in self._state.done

    def is_complete(self, step: Step) -> bool:
        if step is Step.SIGN_OFF:
            return self.is_done(step)
        acks = self._state.acks.get(step, set())
        return (
            self.is_done(step)
            and self.plan.administrator.name in acks
            and any(p.name in acks for p in self.plan.by_role(Role.INTERNAL_WITNESS))
        )

    def acknowledgements(self, step: Step) -> frozenset[str]:
        return frozenset(self._state.acks.get(step, set()))

    @property
    def signed_off(self) -> frozenset[str]:
        return frozenset(self._state.signed_off)

    @property
    def certificate(self) -> x509.Certificate | None:
        return self._state.certificate

    @property
    def key_facts(self) -> KeyFacts | None:
        return self._state.key_facts

    @property
    def preflight_results(self) -> tuple[preflight_checks.Check, ...]:
        return self._state.preflight

    def _begin(self, step: Step) -> None:
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

    def _event(
        self, step: Step | str, kind: str, person: str | None, detail: dict[str, Any]
    ) -> None:
        name = step.value if isinstance(step, Step) else step
        with self.ws.db.atomic():
            ceremony_store.record_event(self.ws.db, self.id, name, kind, person, detail)

    def _complete(self, step: Step, detail: dict[str, Any]) -> None:
        self._event(step, "step-done", None, detail)
        self._state.done[step] = detail

    def _fail(self, step: Step, error: PkiError) -> CeremonyError:
        self._event(step, "step-failed", None, {"error": str(error)})
        return CeremonyError(f"{step.title} failed: {error}")

    # --- acknowledgements, exceptions, abort ----------------------------------------------

    def acknowledge(self, step: Step, person: str) -> None:
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
        if person in self._state.acks.get(step, set()):
            return
        self._event(step, "acknowledged", person, {"role": participant.role.value})
        self._state.acks.setdefault(step, set()).add(person)

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
        """Close the ceremony as aborted. No CA is stored; the in-memory key is dropped."""
        self.plan.participant(by)
        if self.status is not CeremonyStatus.RUNNING:
            raise CeremonyError(f"The ceremony is already {self.status.value}.")
        with self.ws.db.atomic():
            ceremony_store.set_status(self.ws.db, self.id, CeremonyStatus.ABORTED)
            ceremony_store.record_event(
                self.ws.db, self.id, "-", "aborted", by, {"reason": reason or "(no reason given)"}
            )
        self.status = CeremonyStatus.ABORTED
        self._secrets = _Secrets()

    # --- the steps -------------------------------------------------------------------------

    def review_plan(self) -> None:
        self._begin(Step.PLAN_REVIEW)
        digest = self.plan.sha256
        self._complete(
            Step.PLAN_REVIEW,
            {"plan_sha256": digest.hex(), "pgp_words": " ".join(fingerprint.pgp_words(digest))},
        )

    def run_preflight(
        self, clock_confirmed_by: str, present: Sequence[str], network_waiver: str | None = None
    ) -> tuple[preflight_checks.Check, ...]:
        self._begin(Step.PREFLIGHT)
        checks = preflight_checks.run(self.ws)
        self._state.preflight = checks
        try:
            confirmer = self.plan.participant(clock_confirmed_by)
            if confirmer.role not in {Role.INTERNAL_WITNESS, Role.WITNESS}:
                raise CeremonyError(
                    f"The clock is confirmed by a witness, not by {confirmer.name} ({confirmer.role.value})."
                )
            network = next(c for c in checks if c.name == "network")
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
            raise self._fail(Step.PREFLIGHT, exc) from exc
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
        self._complete(Step.PREFLIGHT, detail)
        return checks

    def _check_quorum(self, present: Sequence[str]) -> None:
        custodians = {p.name for p in self.plan.by_role(Role.CUSTODIAN)}
        strangers = sorted(set(present) - custodians)
        if strangers:
            raise CeremonyError(
                f"{', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} not a custodian in the plan."
            )
        scheme = self.plan.custodians
        groups_met = sum(
            1 for g in scheme.groups if len(set(g.members) & set(present)) >= g.threshold
        )
        if groups_met < scheme.group_threshold:
            raise CeremonyError(
                f"Not enough custodians are present for the quorum ({scheme.describe()}); "
                f"present: {', '.join(sorted(present)) or 'none'}."
            )

    def generate_key(self) -> KeyFacts:
        self._begin(Step.KEY_GENERATION)
        key = keys.generate(self.plan.root.algorithm)
        secret = shares.new_secret()
        passphrase = shares.passphrase_for(secret)
        self._secrets = _Secrets(
            key=key,
            secret=secret,
            passphrase=passphrase,
            encrypted_key=keys.encrypt_pkcs8(key, passphrase),
        )
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        facts = KeyFacts(keys.describe(key.public_key())[0], hashlib.sha256(spki).hexdigest())
        self._state.key_facts = facts
        self._complete(
            Step.KEY_GENERATION,
            {
                "algorithm": facts.algorithm,
                "spki_sha256": facts.spki_sha256,
                "passphrase_bits": shares.SECRET_BYTES * 8,
            },
        )
        return facts

    def split_shares(self) -> tuple[shares.CustodianShare, ...]:
        """Split once; the shares are shown one custodian at a time, then forgotten."""
        self._begin(Step.SHARE_DISTRIBUTION)
        if not self._secrets.shares:
            assert self._secrets.secret is not None  # noqa: S101
            self._secrets.shares = shares.split(self._secrets.secret, self.plan.custodians)
            self._event(
                Step.SHARE_DISTRIBUTION,
                "shares-split",
                None,
                {
                    "scheme": self.plan.custodians.describe(),
                    "share_ids": {s.custodian: s.share_id for s in self._secrets.shares},
                },
            )
        return self._secrets.shares

    def confirm_share_received(self, custodian: str) -> None:
        self._begin(Step.SHARE_DISTRIBUTION)
        share = next((s for s in self._secrets.shares if s.custodian == custodian), None)
        if share is None:
            raise CeremonyError(
                f"{custodian} has no share (split the shares first, or check the name)."
            )
        if custodian not in self._state.received:
            self._event(
                Step.SHARE_DISTRIBUTION, "share-received", custodian, {"share_id": share.share_id}
            )
            self._state.received.add(custodian)
        if self._state.received >= {s.custodian for s in self._secrets.shares}:
            self._complete(
                Step.SHARE_DISTRIBUTION,
                {"share_ids": {s.custodian: s.share_id for s in self._secrets.shares}},
            )

    def record_share_printed(self, custodian: str) -> None:
        """Printing a share on paper is recorded (who, which share id), never what it says."""
        self._begin(Step.SHARE_DISTRIBUTION)
        share = next((s for s in self._secrets.shares if s.custodian == custodian), None)
        if share is None:
            raise CeremonyError(f"{custodian} has no share to print.")
        self._event(
            Step.SHARE_DISTRIBUTION, "share-printed", custodian, {"share_id": share.share_id}
        )

    def recovery_test(self, mnemonics: Sequence[str]) -> None:
        self._begin(Step.RECOVERY_TEST)
        try:
            passphrase = shares.passphrase_for(shares.combine(mnemonics))
            # SLIP-39 can return a wrong secret without error: only unlocking the key proves it.
            assert self._secrets.encrypted_key is not None and self._secrets.key is not None  # noqa: S101
            recovered = keys.decrypt_pkcs8(self._secrets.encrypted_key, passphrase)
            if recovered.public_key() != self._secrets.key.public_key():
                raise CheckFailedError("the recovered key is not the generated key")
        except PkiError as exc:
            raise self._fail(Step.RECOVERY_TEST, exc) from exc
        used = [shares.share_id(shares.normalise(m)) for m in mnemonics if m.strip()]
        self._secrets.shares = ()  # distributed and proven: pkiadmin forgets them and the secret
        self._secrets.secret = None
        self._complete(
            Step.RECOVERY_TEST, {"shares_used": used, "result": "the shares unlock the key"}
        )

    def sign_root(self) -> issuance.SignedCertificate:
        self._begin(Step.ROOT_SIGNING)
        assert self._secrets.key is not None  # noqa: S101
        signer = FileSigner(self._secrets.key, "encrypted key file (SLIP-39 shares)")
        name = self.plan.root.validated_name()
        try:
            signed = issuance.sign_linted(
                rootca.root_builder(name, signer.public_key(), self.plan.root),
                signer,
                waivers=self.plan.waivers,
            )
            rootca.post_sign_checks(
                signed.certificate, signer.public_key(), name, self.plan.root.path_length
            )
        except PkiError as exc:
            raise self._fail(Step.ROOT_SIGNING, exc) from exc
        self._state.certificate = signed.certificate
        self._state.signed = signed
        der = signed.certificate.public_bytes(serialization.Encoding.DER)
        self._complete(
            Step.ROOT_SIGNING,
            {
                "certificate_sha256": hashlib.sha256(der).hexdigest(),
                "serial": inventory.serial_hex(signed.certificate.serial_number),
                "tbs_equals_linted": True,
                "lint_before": [str(f) for f in signed.lint_before.findings],
                "lint_after": [str(f) for f in signed.lint_after.findings],
            },
        )
        return signed

    def confirm_fingerprint(self, witness: str, matches: bool) -> None:
        self._begin(Step.FINGERPRINT)
        participant = self.plan.participant(witness)
        if participant.role not in {Role.INTERNAL_WITNESS, Role.WITNESS}:
            raise CeremonyError(
                f"The fingerprint is confirmed by a witness, not by {witness} ({participant.role.value})."
            )
        assert self._state.certificate is not None  # noqa: S101
        digest = hashlib.sha256(
            self._state.certificate.public_bytes(serialization.Encoding.DER)
        ).digest()
        if not matches:
            raise self._fail(
                Step.FINGERPRINT,
                CeremonyError(f"{witness} reported that the words read aloud did not match"),
            )
        self._complete(
            Step.FINGERPRINT,
            {
                "confirmed_by": witness,
                "sha256": digest.hex(),
                "pgp_words": " ".join(fingerprint.pgp_words(digest)),
            },
        )

    def backup_key(self, folder: Path) -> BackupResult:
        """Write the encrypted key to removable media and prove the copy by reading it back."""
        self._begin(Step.BACKUP)
        assert self._secrets.encrypted_key is not None and self._secrets.passphrase is not None  # noqa: S101
        data = self._secrets.encrypted_key
        target = folder / f"{self.plan.output_name}.key.pem"
        try:
            if not folder.is_dir():
                raise StorageError(
                    f"The backup folder {folder} does not exist. Mount the backup medium and choose its folder."
                )
            atomicfile.write_new_file(target, data, mode=0o600)
            copy = target.read_bytes()
            if copy != data:
                raise StorageError(
                    f"The backup {target} reads back differently; use another medium."
                )
            assert self._secrets.key is not None  # noqa: S101
            if (
                keys.decrypt_pkcs8(copy, self._secrets.passphrase).public_key()
                != self._secrets.key.public_key()
            ):
                raise StorageError(f"The backup {target} does not hold the root key.")
        except PkiError as exc:
            raise self._fail(Step.BACKUP, exc) from exc
        result = BackupResult(target, hashlib.sha256(copy).hexdigest())
        self._state.backups.append(result)
        self._complete(
            Step.BACKUP, {"path": str(target), "sha256": result.sha256, "verified": True}
        )
        return result

    def sign_off(self, person: str) -> None:
        self._begin(Step.SIGN_OFF)
        participant = self.plan.participant(person)
        if person not in self._state.signed_off:
            self._event(Step.SIGN_OFF, "signed-off", person, {"role": participant.role.value})
            self._state.signed_off.add(person)
        if self._state.signed_off >= {p.name for p in self.plan.participants}:
            self._complete(Step.SIGN_OFF, {"participants": sorted(self._state.signed_off)})

    # --- the end ---------------------------------------------------------------------------

    def finish(self) -> CeremonyResult:
        """Store the root CA and write the signed report, in one transaction; then forget the key."""
        if self.current_step is not None:
            raise CeremonyError(
                f"The ceremony is not finished: '{self.current_step.title}' is still open."
            )
        if self.status is not CeremonyStatus.RUNNING:
            raise CeremonyError(f"The ceremony is {self.status.value}.")
        cert, key, encrypted = (
            self._state.certificate,
            self._secrets.key,
            self._secrets.encrypted_key,
        )
        assert cert is not None and key is not None and encrypted is not None  # noqa: S101
        result = ceremony_finish.store(self, cert, key, encrypted)
        self.status = CeremonyStatus.COMPLETED
        self._secrets = _Secrets()
        return result

    # The report needs these; they are facts, never secrets.
    def report_facts(self) -> dict[str, Any]:
        state = self._state
        signed = state.signed
        return {
            "done": {step.value: detail for step, detail in state.done.items()},
            "acks": {step.value: sorted(names) for step, names in state.acks.items()},
            "backups": [{"path": str(b.path), "sha256": b.sha256} for b in state.backups],
            "lint_before": [str(f) for f in signed.lint_before.findings] if signed else [],
            "lint_after": [str(f) for f in signed.lint_after.findings] if signed else [],
            "key_facts": state.key_facts,
        }
