"""A key ceremony run: ordered steps, each performed then acknowledged by the administrator and an
internal witness; custodian shares; a recovery test; lint-then-sign; backup; sign-off; and, only at
the end, the new root CA and its signed report stored in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base import atomicfile, fingerprint
from pkiadmin.core.base.errors import CheckFailedError, PkiError, StorageError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.people import Role
from pkiadmin.core.ceremony.root import finish as ceremony_finish
from pkiadmin.core.ceremony.root.plan import ROOT_KIND, CeremonyPlan
from pkiadmin.core.ceremony.root.steps import (
    STEPS,
    BackupResult,
    CeremonyFacts,
    CeremonyResult,
    KeyFacts,
    Step,
)
from pkiadmin.core.ceremony.step_run import CeremonyError, StepRun
from pkiadmin.core.ceremony.store import CeremonyStatus
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import pkcs11 as hsm
from pkiadmin.core.keys import shares
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace.folder import Workspace


@dataclass
class _Secrets:
    """What exists only in memory during the run; dropped on finish or abort."""

    key: keys.PrivateKey | None = None
    secret: bytes | None = None
    passphrase: str | None = None
    encrypted_key: bytes | None = None
    shares: tuple[shares.CustodianShare, ...] = ()


# With the key on a token, these steps are done by the HSM's own controls (its PIN or card set,
# its cloning/backup procedure); the ceremony records that, and the witnesses acknowledge it.
TOKEN_NOT_APPLICABLE = {
    Step.SHARE_DISTRIBUTION: "the key is on a PKCS#11 token: it is protected by the token's PIN "
    "(and the HSM's own M-of-N controls), not by a passphrase to split",
    Step.RECOVERY_TEST: "the key is on a PKCS#11 token: there are no shares to test; the PIN was "
    "proven when the key was generated",
    Step.BACKUP: "the key is non-extractable on a PKCS#11 token: back it up with the HSM's own "
    "backup or cloning procedure, recorded on an exception sheet if done now",
}


@dataclass
class _State:
    token: dict[str, Any] | None = None  # the token's description and the key's read-back
    received: set[str] = field(default_factory=set)
    certificate: x509.Certificate | None = None
    signed: issuance.SignedCertificate | None = None
    backups: list[BackupResult] = field(default_factory=list)
    key_facts: KeyFacts | None = None


class CeremonyRun(StepRun[Step, CeremonyPlan]):
    """The root key ceremony."""

    steps = STEPS

    def __init__(
        self, ws: Workspace, plan: CeremonyPlan, ceremony_id: int, rehearsal: bool
    ) -> None:
        super().__init__(ws, plan, ceremony_id, rehearsal)
        self._secrets = _Secrets()
        self._state = _State()

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
        return cls(ws, plan, cls.open_record(ws, plan, rehearsal, ROOT_KIND), rehearsal)

    def _forget(self) -> None:
        """Drop the secrets. A key generated on a token for a ceremony that did not complete is
        removed from the token again: no CA, and no orphan key, comes from an aborted run."""
        key = self._secrets.key
        if (
            self.plan.token is not None
            and key is not None
            and self.status is not CeremonyStatus.COMPLETED
        ):
            spec = self.plan.token
            from pkiadmin.core.issuance.root_on_token import destroy_generated

            session = hsm.current_session(spec.token)
            try:
                if session is None:
                    raise hsm.HsmError("the token is logged out")
                destroy_generated(session, spec.key_label)
            except (PkiError, hsm.p11_errors()) as exc:
                self._event(
                    "-",
                    "token-key-left",
                    None,
                    {
                        "key_uri": hsm.KeyRef(spec.token, spec.key_label, spec.module).uri(),
                        "error": str(exc),
                        "what_to_do": "remove the key with the HSM's tools; no CA uses it",
                    },
                )
        hsm.release(key)
        self._secrets = _Secrets()
        if self.status is not CeremonyStatus.COMPLETED:
            self._remove_backups()

    def _remove_backups(self) -> None:
        """An aborted run removes the key backups it wrote: they hold the key of a CA that was
        never made. What cannot be removed is recorded, with what to do."""
        for backup in self._state.backups:
            try:
                atomicfile.shred(backup.path)
            except PkiError as exc:
                self._event(
                    "-",
                    "backup-left",
                    None,
                    {
                        "path": str(backup.path),
                        "error": str(exc),
                        "what_to_do": "destroy the file or the medium; no CA uses that key",
                    },
                )
            else:
                self._event("-", "backup-removed", None, {"path": str(backup.path)})
        self._state.backups.clear()

    @property
    def certificate(self) -> x509.Certificate | None:
        return self._state.certificate

    @property
    def key_facts(self) -> KeyFacts | None:
        return self._state.key_facts

    # --- the steps -------------------------------------------------------------------------

    def _token_to_check(self) -> tuple[str, str | None] | None:
        spec = self.plan.token
        return (spec.token, spec.module) if spec is not None else None

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

    def generate_key(self, pin: str | None = None) -> KeyFacts:
        """A new key and passphrase; or, when the plan names a token, a key generated on it
        (the token's PIN is given here, at the ceremony)."""
        self._begin(Step.KEY_GENERATION)
        if self.plan.token is not None:
            return self._generate_on_token(pin)
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

    def _generate_on_token(self, pin: str | None) -> KeyFacts:
        spec = self.plan.token
        assert spec is not None  # noqa: S101
        try:
            if not pin:
                raise CeremonyError(
                    f"The PIN of token '{spec.token}' is needed to generate the key on it."
                )
            session = hsm.open_session(spec.module, spec.token, pin)
            key, read_back = hsm.generate(session, spec.key_label, self.plan.root.algorithm)
            token = hsm.token_of(session)
        except PkiError as exc:
            raise self._fail(Step.KEY_GENERATION, exc) from exc
        self._secrets = _Secrets(key=key)
        facts = KeyFacts(read_back.algorithm, read_back.spki_sha256)
        self._state.key_facts = facts
        self._state.token = {
            "token": asdict(token),
            "key_uri": hsm.KeyRef(spec.token, spec.key_label, spec.module).uri(),
            "key_attributes": read_back.attributes,
        }
        self._complete(
            Step.KEY_GENERATION,
            {
                "algorithm": facts.algorithm,
                "spki_sha256": facts.spki_sha256,
                "backend": "pkcs11",
                **self._state.token,
            },
        )
        return facts

    @property
    def token_facts(self) -> dict[str, Any] | None:
        return self._state.token

    def record_not_applicable(self, step: Step) -> str:
        """With the key on a token: record that a share or backup step is done by the HSM's controls."""
        self._begin(step)
        if self.plan.token is None or step not in TOKEN_NOT_APPLICABLE:
            raise CeremonyError(f"'{step.title}' is part of this ceremony; it cannot be skipped.")
        reason = TOKEN_NOT_APPLICABLE[step]
        self._complete(step, {"not_applicable": reason})
        return reason

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
        self._witness(witness, "The fingerprint")
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
                    f"The backup folder {folder.resolve()} does not exist. Mount the backup "
                    "medium and choose its folder."
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

    # --- the end ---------------------------------------------------------------------------

    def finish(self) -> CeremonyResult:
        """Store the root CA and write the signed report, in one transaction; then forget the key."""
        self._check_finishable()
        cert, key, encrypted = (
            self._state.certificate,
            self._secrets.key,
            self._secrets.encrypted_key,
        )
        assert cert is not None and key is not None  # noqa: S101
        assert encrypted is not None or self.plan.token is not None  # noqa: S101
        facts = CeremonyFacts(
            self.ws, self.id, self.plan, self.rehearsal, cert, self.report_facts()
        )
        result = ceremony_finish.store(facts, cert, key, encrypted)
        self.status = CeremonyStatus.COMPLETED
        self._forget()
        return result

    # The report needs these; they are facts, never secrets.
    def report_facts(self) -> dict[str, Any]:
        state = self._state
        signed = state.signed
        return {
            "done": self.step_results(),
            "acks": self.step_acks(),
            "backups": [{"path": str(b.path), "sha256": b.sha256} for b in state.backups],
            "lint_before": [str(f) for f in signed.lint_before.findings] if signed else [],
            "lint_after": [str(f) for f in signed.lint_after.findings] if signed else [],
            "key_facts": state.key_facts,
            "token": state.token,
        }
