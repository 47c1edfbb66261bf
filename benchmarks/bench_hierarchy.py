"""The hierarchy the signing benchmarks run on: a root and an issuing CA held here, made the way
`ca create-root` and `ca create-intermediate` make them (EC P-384 keys, real extensions)."""

from __future__ import annotations

from pathlib import Path

from pkiadmin.core.issuance.held_ca import HeldIntermediate, create_intermediate
from pkiadmin.core.issuance.intermediate import CaProfile, IntermediateRequest
from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.x509.names import SubjectSpec

PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throw-away workspace


def issuing_ca(folder: Path) -> tuple[workspace.Workspace, HeldIntermediate]:
    """A new workspace in `folder` with "Bench Root" and "Bench Issuing CA" (path length 0)."""
    ws = workspace.create(folder)
    create_root_ca(ws, RootCaRequest(SubjectSpec("Bench Root", "Bench", country="GB")), PASSPHRASE)
    held = create_intermediate(
        ws,
        1,
        SubjectSpec("Bench Issuing CA", "Bench", country="GB"),
        IntermediateRequest(profile=CaProfile.ISSUING),
        PASSPHRASE,
        issuer_passphrase=PASSPHRASE,
    )
    return ws, held
