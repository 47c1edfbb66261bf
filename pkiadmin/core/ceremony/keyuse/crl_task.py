"""The task of a crl ceremony: re-sign the CRLs of every CA the plan names (or all held here),
and with them the pre-signed OCSP responses of every certificate each CA issued (their manifest
is read aloud with the CRLs; the responses are published when the ceremony finishes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization

from pkiadmin.core.ceremony.keyuse.facts import Output
from pkiadmin.core.ceremony.keyuse.plan import KeyUsePlan
from pkiadmin.core.ceremony.keyuse.run import Review
from pkiadmin.core.ceremony.keyuse.sign_task import find_authority
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.revocation import crl, ocsp
from pkiadmin.core.revocation.calendar import file_stem
from pkiadmin.core.workspace.folder import Workspace


class CrlTask:
    kind = "crl"

    def __init__(self, ws: Workspace, plan: KeyUsePlan) -> None:
        assert plan.crl is not None  # noqa: S101 - the plan's kind says so
        self.ws = ws
        self.waivers = plan.waivers
        names = plan.crl.authorities
        self._issuers = (
            tuple(find_authority(ws, name) for name in names)
            if names
            else authorities.list_authorities(ws.db)
        )
        self._drafts: tuple[crl.CrlDraft, ...] = ()
        self._signed: tuple[crl.SignedCrl, ...] = ()
        self._ocsp: tuple[ocsp.Staged, ...] = ()

    def issuers(self) -> tuple[Authority, ...]:
        return self._issuers

    def review(self) -> Review:
        """Each CA's next CRL: dates, and every certificate it will list."""
        self._drafts = tuple(crl.prepare(self.ws, a.id) for a in self._issuers)
        return Review(tuple(line for d in self._drafts for line in d.describe()))

    def sign(self, unlocked: Mapping[int, keys.PrivateKey]) -> tuple[Output, ...]:
        signed = []
        for draft in self._drafts:
            signer = FileSigner(unlocked[draft.ca_id], f"key of {draft.ca_name}")
            signed.append(crl.sign(self.ws, draft, signer, self.waivers))
        self._signed = tuple(signed)
        staged = []
        for draft in self._drafts:
            if not ocsp.has_certificates(self.ws.db, draft.ca_id):
                continue
            responses = ocsp.plan(self.ws, draft.ca_id)
            staged.append(
                ocsp.stage(
                    responses,
                    ocsp.Responder(unlocked[draft.ca_id]),
                    ocsp.default_folder(self.ws, responses),
                )
            )
        self._ocsp = tuple(staged)
        crls = tuple(
            Output(
                f"CRL {s.number} of {s.draft.ca_name}",
                f"{file_stem(s.draft.ca_name)}.crl.pem",
                s.crl.public_bytes(serialization.Encoding.PEM),
                s.der,
            )
            for s in self._signed
        )
        manifests = tuple(
            Output(
                f"OCSP responses of {o.plan.ca_name} ({len(o.listed)}; their manifest)",
                f"{file_stem(o.plan.ca_name)}-ocsp-manifest.json",
                o.manifest,
                o.manifest,
            )
            for o in self._ocsp
        )
        return crls + manifests

    def report_facts(self) -> dict[str, Any]:
        return {
            "crls": [
                {
                    "ca": s.draft.ca_name,
                    "number": s.number,
                    "this_update": s.draft.this_update.isoformat(),
                    "next_update": s.draft.next_update.isoformat(),
                    "entries": len(s.draft.entries),
                    "lint_before": [str(f) for f in s.lint_before.findings],
                    "lint_after": [str(f) for f in s.lint_after.findings],
                }
                for s in self._signed
            ],
            "ocsp": [
                {
                    "ca": o.plan.ca_name,
                    "responses": len(o.listed),
                    "this_update": o.plan.this_update.isoformat(),
                    "next_update": o.plan.next_update.isoformat(),
                    "folder": str(o.folder),
                    "lint": [str(f) for r in o.reports for f in r.findings],
                }
                for o in self._ocsp
            ],
            "waivers": [{"code": c, "reason": r} for c, r in self.waivers.items()],
        }

    def store(self, ceremony_id: int) -> dict[str, Any]:
        ids = [crl.store(self.ws, s, "ceremony", ceremony_id) for s in self._signed]
        batches = [ocsp.publish(self.ws, o, ceremony_id).batch_id for o in self._ocsp]
        return {
            "crl_ids": ids,
            "crl_numbers": [s.number for s in self._signed],
            "ocsp_batches": batches,
        }
