"""The task for a key-use plan, by its kind; building it checks the plan against the workspace."""

from __future__ import annotations

from pkiadmin.core.keyuse import Task
from pkiadmin.core.keyuse_plan import KeyUseKind, KeyUsePlan
from pkiadmin.core.workspace import Workspace


def for_plan(ws: Workspace, plan: KeyUsePlan) -> Task:
    """Refuses (before anything is recorded) a plan naming a CA, CSR or CRL issuer not held here."""
    if plan.kind is KeyUseKind.SIGN_INTERMEDIATE:
        from pkiadmin.core.keyuse_sign import SigningTask

        return SigningTask(ws, plan)
    from pkiadmin.core.keyuse_crl import CrlTask

    return CrlTask(ws, plan)
