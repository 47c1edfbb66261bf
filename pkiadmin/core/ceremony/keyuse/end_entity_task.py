"""The task of a sign-end-entity ceremony: the CSR pinned by the plan, signed by an issuing CA
under one of the workspace's end-entity profiles (OCSP responders, partner gateways, code
signing: the few high-value service certificates an offline tier issues in front of witnesses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.ceremony.keyuse.facts import Output
from pkiadmin.core.ceremony.keyuse.plan import EndEntitySpec, KeyUsePlan
from pkiadmin.core.ceremony.keyuse.run import Review
from pkiadmin.core.ceremony.keyuse.sign_task import find_authority, pending_csr
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import end_entity, intermediate, profiles
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace.folder import Workspace


class EndEntityTask:
    kind = "sign-end-entity"

    def __init__(self, ws: Workspace, plan: KeyUsePlan) -> None:
        """Refuses, before anything is recorded, a plan naming a CA that is not an issuing CA
        held here, a profile the workspace does not have, or a CSR not pending here."""
        assert plan.end_entity is not None  # noqa: S101 - the plan's kind says so
        spec: EndEntitySpec = plan.end_entity
        self.ws = ws
        self.spec = spec
        self.waivers = plan.waivers
        self.issuer = find_authority(ws, spec.issuer)
        self.profile = profiles.get(ws.db, spec.profile)
        end_entity.check_issuer(
            self.issuer.name, inventory.load_certificate(ws.db, self.issuer.cert_id)
        )
        self.csr_id, self.request = pending_csr(ws, spec.csr_sha256)
        self._plan: end_entity.EndEntityPlan | None = None
        self._result: end_entity.SignedEndEntity | None = None

    def issuers(self) -> tuple[Authority, ...]:
        return (self.issuer,)

    def review(self) -> Review:
        """The exact certificate (serial, dates, extensions) the key will sign, with the
        profile's decision on every requested name and extension."""
        self._plan = end_entity.prepare(
            self.ws, self.issuer.id, self.request, self.profile, self.spec.validity_days
        )
        plan = self._plan
        lines = [
            f"Profile:      {self.profile.describe()}",
            *intermediate.describe_planned(plan.builder, plan.decisions, plan.notes).splitlines(),
        ]
        return Review(
            tuple(lines),
            "the CSR's SHA-256, as the requester sent it",
            bytes.fromhex(self.spec.csr_sha256),
        )

    def sign(self, unlocked: Mapping[int, keys.PrivateKey]) -> tuple[Output, ...]:
        assert self._plan is not None  # noqa: S101 - the review step built it
        self._result = end_entity.sign_certificate(
            self.ws, self._plan, unlocked[self.issuer.id], waivers=self.waivers
        )
        cert = self._result.certificate
        issuers = [
            c
            for c in inventory.chain(self.ws.db, self.issuer.cert_id)
            if c.issuer != c.subject  # a server sends its chain without the root
        ]
        return (
            Output("certificate", "certificate.pem", _pem(cert), _der(cert)),
            Output(
                "chain (the issuing CA up to, not including, the root)",
                "chain.pem",
                b"".join(_pem(c) for c in issuers),
                b"".join(_der(c) for c in issuers),
            ),
            Output(
                "full chain (the certificate, then its chain; for nginx or HAProxy)",
                "fullchain.pem",
                b"".join(_pem(c) for c in (cert, *issuers)),
                b"".join(_der(c) for c in (cert, *issuers)),
            ),
        )

    def report_facts(self) -> dict[str, Any]:
        assert self._plan is not None and self._result is not None  # noqa: S101
        cert = self._result.certificate
        signed = self._result.signed
        cabf = self._result.cabf_lint
        return {
            "issuer": self.issuer.name,
            "csr_id": self.csr_id,
            "profile": self.profile.name,
            "profile_sha256": self.profile.sha256,
            "subject": cert.subject.rfc4514_string(),
            "sans": [f"{type(n).__name__}:{n.value}" for n in self._plan.sans],
            "serial": inventory.serial_hex(cert.serial_number),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "decisions": [f"{d.item}: {d.action} ({d.reason})" for d in self._plan.decisions],
            "notes": list(self._plan.notes),
            "lint_before": [str(f) for f in signed.lint_before.findings],
            "lint_after": [str(f) for f in signed.lint_after.findings],
            "lint_chain": [str(f) for f in self._result.chain_lint.findings],
            "cabf_lint": [str(f) for f in cabf.findings] if cabf is not None else None,
            "waivers": [{"code": c, "reason": r} for c, r in self.waivers.items()],
        }

    def store(self, ceremony_id: int) -> dict[str, Any]:
        assert self._plan is not None and self._result is not None  # noqa: S101
        cert_id, seq = end_entity.store_signed(
            self.ws, self._plan, self._result, self.csr_id, ceremony_id
        )
        return {"cert_id": cert_id, "csr_id": self.csr_id, "audit_seq": seq}


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)
