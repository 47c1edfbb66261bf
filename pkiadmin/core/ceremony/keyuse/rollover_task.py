"""The task of a root-rollover ceremony: the old root's key is unlocked before witnesses, a new
key is generated here, the new root is self-signed, the old key signs the new root and the new
key the old root (the two link certificates), and the report is signed by both keys. The new key
is protected as the old one: by the same custodian quorum (the passphrase its shares recombine)
or the same passphrase."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.ceremony.keyuse.facts import Output
from pkiadmin.core.ceremony.keyuse.plan import KeyUsePlan, RolloverSpec
from pkiadmin.core.ceremony.keyuse.run import Review
from pkiadmin.core.ceremony.keyuse.sign_task import find_authority
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.keys import files as keys
from pkiadmin.core.lifecycle import rollover
from pkiadmin.core.workspace.folder import Workspace


class RolloverTask:
    kind = "root-rollover"

    def __init__(self, ws: Workspace, plan: KeyUsePlan) -> None:
        """Refuses, before anything is recorded, a plan naming a CA that is not a root held here
        or a new root with the old one's name."""
        assert plan.rollover is not None  # noqa: S101 - the plan's kind says so
        spec: RolloverSpec = plan.rollover
        self.ws = ws
        self.spec = spec
        self.old = find_authority(ws, spec.old_root)
        self.request = rootca.RootCaRequest(
            spec.subject, spec.algorithm, spec.validity_days, spec.path_length
        )
        rollover.check_request(ws, self.old, self.request)
        if self.old.on_token:
            raise ValidationError(
                f"'{self.old.name}' is on a token: a rollover ceremony with token keys is not "
                "supported yet."
            )
        self._secret: str | None = None
        self._signed: rollover.Signed | None = None
        self._stored: rollover.RolledOver | None = None

    def issuers(self) -> tuple[Authority, ...]:
        return (self.old,)

    def remember_secret(self, ca_id: int, secret: str) -> None:
        """The old key's passphrase (typed, or recombined from the shares), which protects the
        new key too; kept in memory until the ceremony ends."""
        if ca_id == self.old.id:
            self._secret = secret

    def review(self) -> Review:
        old = inventory.load_certificate(self.ws.db, self.old.cert_id)
        name = self.request.validated_name()
        lines = (
            f"Old root:       {old.subject.rfc4514_string()} (valid until "
            f"{old.not_valid_after_utc:%Y-%m-%d})",
            f"New root:       {name.rfc4514_string()}",
            f"New key:        {self.spec.algorithm.label}, generated here during the ceremony",
            f"Validity:       {self.spec.validity_days} days",
            f"Path length:    {'none' if self.spec.path_length is None else self.spec.path_length}",
            "Link 1:         the new root's name and key, signed by the old root's key",
            "Link 2:         the old root's name and key, signed by the new root's key",
            f"Key protection: as the old root's ({self.old.key_protection})",
        )
        return Review(lines)

    def sign(self, unlocked: Mapping[int, keys.PrivateKey]) -> tuple[Output, ...]:
        self._signed = rollover.sign_all(self.ws, self.old, unlocked[self.old.id], self.request)
        s = self._signed
        return (
            Output("new root", "new-root.pem", _pem(s.new_root), _der(s.new_root)),
            Output(
                "link: new root signed by the old root",
                "new-root-by-old-root.pem",
                _pem(s.new_by_old),
                _der(s.new_by_old),
            ),
            Output(
                "link: old root signed by the new root",
                "old-root-by-new-root.pem",
                _pem(s.old_by_new),
                _der(s.old_by_new),
            ),
        )

    def report_facts(self) -> dict[str, Any]:
        assert self._signed is not None  # noqa: S101 - the signing step made it
        s = self._signed
        return {
            "old_root": self.old.name,
            "new_root": s.new_root.subject.rfc4514_string(),
            "algorithm": self.spec.algorithm.value,
            "key_protection": self.old.key_protection,
            "serials": {
                "new_root": inventory.serial_hex(s.new_root.serial_number),
                "new_by_old": inventory.serial_hex(s.new_by_old.serial_number),
                "old_by_new": inventory.serial_hex(s.old_by_new.serial_number),
            },
        }

    def store(self, ceremony_id: int) -> dict[str, Any]:
        assert self._signed is not None  # noqa: S101
        if self._secret is None:
            raise ValidationError("The old root's key was not unlocked in this ceremony.")
        self._stored = rollover.store(
            self.ws, self.old, self._signed, self._secret, self.request, ceremony_id,
            self.old.key_protection,
        )  # fmt: skip
        done = self._stored
        return {
            "cert_id": done.new_root_id,
            "ca_id": done.new_ca_id,
            "links": [done.new_by_old_id, done.old_by_new_id],
        }

    def co_signer(self) -> tuple[str, x509.Certificate, keys.PrivateKey] | None:
        """The new root's name, certificate and key: the report is signed by it too."""
        if self._signed is None or self._stored is None:
            return None
        name = inventory.common_name(self._signed.new_root.subject)
        return name, self._signed.new_root, self._signed.new_key


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)
