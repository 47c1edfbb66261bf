"""The task of a sign-intermediate ceremony: the CSR pinned by the plan, signed by the plan's issuer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.ceremony.keyuse.facts import Output
from pkiadmin.core.ceremony.keyuse.plan import KeyUsePlan, SigningSpec
from pkiadmin.core.ceremony.keyuse.run import Review
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, intermediate, requests
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import csr


def find_authority(ws: Workspace, name: str) -> Authority:
    """A CA held here, by the name `ca list` shows."""
    held = authorities.list_authorities(ws.db)
    for authority in held:
        if authority.name == name:
            return authority
    names = ", ".join(f"'{a.name}'" for a in held) or "none"
    raise NotFoundError(
        f"The plan names the CA '{name}', which this workspace does not hold (it holds: {names})."
    )


def pending_csr(ws: Workspace, sha256: str) -> tuple[int, x509.CertificateSigningRequest]:
    """The imported, not yet signed CSR a plan pins by its SHA-256, checked again."""
    record = next((r for r in requests.list_csrs(ws.db) if r.sha256 == sha256), None)
    if record is None:
        raise NotFoundError(
            f"No imported CSR has the SHA-256 in the plan ({sha256[:16]}…). "
            "Import it first: pkiadmin-cli csr import FILE"
        )
    if record.status != "pending":
        raise ValidationError(
            f"CSR {record.id} ({record.subject}) was already signed (certificate {record.cert_id})."
        )
    request = requests.load_request(ws, record.id)
    info = csr.check(request, blocklists.installed(ws))
    blocking = [f.message for f in info.findings if f.blocking]
    if blocking:
        raise ValidationError(f"CSR {record.id} cannot be signed: " + " ".join(blocking))
    return record.id, request


class SigningTask:
    kind = "sign-intermediate"

    def __init__(self, ws: Workspace, plan: KeyUsePlan) -> None:
        assert plan.signing is not None  # noqa: S101 - the plan's kind says so
        spec: SigningSpec = plan.signing
        self.ws = ws
        self.spec = spec
        self.waivers = plan.waivers
        self.issuer = find_authority(ws, spec.issuer)
        self.csr_id, self.request = pending_csr(ws, spec.csr_sha256)
        self._plan: intermediate.SigningPlan | None = None
        self._result: intermediate.SignedIntermediate | None = None

    def issuers(self) -> tuple[Authority, ...]:
        return (self.issuer,)

    def review(self) -> Review:
        """Build the exact certificate (serial, dates, extensions) the key will sign."""
        self._plan = intermediate.prepare(self.ws, self.issuer.id, self.request, self.spec.request)
        return Review(
            tuple(intermediate.preview(self._plan).splitlines()),
            "the CSR's SHA-256, as the requester sent it",
            bytes.fromhex(self.spec.csr_sha256),
        )

    def sign(self, unlocked: Mapping[int, keys.PrivateKey]) -> tuple[Output, ...]:
        assert self._plan is not None  # noqa: S101 - the review step built it
        self._result = intermediate.sign_certificate(
            self.ws, self._plan, unlocked[self.issuer.id], self.waivers
        )
        cert = self._result.certificate
        chain = inventory.chain(self.ws.db, self.issuer.cert_id)
        pem = cert.public_bytes(serialization.Encoding.PEM)
        return (
            Output(
                "intermediate CA certificate",
                "certificate.pem",
                pem,
                cert.public_bytes(serialization.Encoding.DER),
            ),
            Output(
                "chain (intermediate, then issuers up to the root)",
                "chain.pem",
                pem + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
                b"".join(c.public_bytes(serialization.Encoding.DER) for c in (cert, *chain)),
            ),
        )

    def report_facts(self) -> dict[str, Any]:
        assert self._plan is not None and self._result is not None  # noqa: S101
        cert = self._result.certificate
        return {
            "issuer": self.issuer.name,
            "csr_id": self.csr_id,
            "subject": cert.subject.rfc4514_string(),
            "serial": inventory.serial_hex(cert.serial_number),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "decisions": [f"{d.item}: {d.action} ({d.reason})" for d in self._plan.decisions],
            "notes": list(self._plan.notes),
            "lint_before": [str(f) for f in self._result.signed.lint_before.findings],
            "lint_after": [str(f) for f in self._result.signed.lint_after.findings],
            "lint_chain": [str(f) for f in self._result.chain_lint.findings],
            "waivers": [{"code": c, "reason": r} for c, r in self.waivers.items()],
        }

    def store(self, ceremony_id: int) -> dict[str, Any]:
        assert self._plan is not None and self._result is not None  # noqa: S101
        cert_id, seq = intermediate.store_signed(
            self.ws, self._plan, self._result, self.csr_id, "ceremony", ceremony_id
        )
        return {"cert_id": cert_id, "csr_id": self.csr_id, "audit_seq": seq}
