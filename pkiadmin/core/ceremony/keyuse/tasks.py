"""The task for a key-use plan, by its kind; building it checks the plan against the workspace."""

from __future__ import annotations

from pkiadmin.core.ceremony.keyuse.plan import KeyUseKind, KeyUsePlan
from pkiadmin.core.ceremony.keyuse.run import Task
from pkiadmin.core.workspace.folder import Workspace


def for_plan(ws: Workspace, plan: KeyUsePlan) -> Task:
    """Refuses (before anything is recorded) a plan naming a CA, CSR or CRL issuer not held here."""
    if plan.kind is KeyUseKind.SIGN_INTERMEDIATE:
        from pkiadmin.core.ceremony.keyuse.sign_task import SigningTask

        return SigningTask(ws, plan)
    if plan.kind is KeyUseKind.ROOT_ROLLOVER:
        from pkiadmin.core.ceremony.keyuse.rollover_task import RolloverTask

        return RolloverTask(ws, plan)
    if plan.kind is KeyUseKind.SIGN_END_ENTITY:
        from pkiadmin.core.ceremony.keyuse.end_entity_task import EndEntityTask

        return EndEntityTask(ws, plan)
    from pkiadmin.core.ceremony.keyuse.crl_task import CrlTask

    return CrlTask(ws, plan)
