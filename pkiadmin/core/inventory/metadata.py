"""The operator's own metadata of an inventory certificate (service, environment, owner team,
partner, tags, note): edited with an audit entry in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_LENGTH = 2000


@dataclass(frozen=True)
class MetadataChange:
    """None leaves a field as it is; '' clears it. partner is a partner's name (or '' for none)."""

    service: str | None = None
    environment: str | None = None
    owner_team: str | None = None
    partner: str | None = None
    tags: str | None = None
    note: str | None = None


def _clean(field: str, value: str) -> str:
    value = value.strip()
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            f"The {field.replace('_', ' ')} is longer than {MAX_LENGTH} characters."
        )
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValidationError(f"The {field.replace('_', ' ')} holds control characters.")
    return value


def set_metadata(ws: Workspace, cert_id: int, change: MetadataChange) -> certrecord.CertRecord:
    """Apply the change (validated first: a bad value changes nothing) and audit it."""
    before = inventory.get_record(ws.db, cert_id)
    values: dict[str, object] = {}
    for field in ("service", "environment", "owner_team", "tags", "note"):
        value = getattr(change, field)
        if value is not None:
            values[field] = _clean(field, value)
    if "tags" in values:
        values["tags"] = " ".join(dict.fromkeys(str(values["tags"]).replace(",", " ").split()))
    if "environment" in values and not values["environment"]:
        values["environment"] = None  # no environment: left out of its index
    if change.partner is not None:
        values["partner_id"] = (
            _partner_id(ws.db, change.partner) if change.partner.strip() else None
        )
    if not values:
        raise ValidationError("Nothing to change: give at least one field.")
    old = {k: getattr(before, k) or None for k in values}
    with ws.db.atomic():
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        ws.db.execute(
            f"UPDATE certificates SET {assignments} WHERE id = :id",  # noqa: S608 - fixed column names
            {**values, "id": cert_id},
        )
        audit.append(
            ws.db,
            "cert.metadata",
            {"cert_id": cert_id},
            details={"before": old, "after": values},
        )
    return inventory.get_record(ws.db, cert_id)


def _partner_id(db: Database, name_or_id: str) -> int:
    """The partner's id (by name or by id), looked up here so the inventory needs no exchange code."""
    column = "id" if name_or_id.isdigit() else "name"
    row = db.execute(
        f"SELECT id FROM partners WHERE {column} = ?",  # noqa: S608 (column is one of two names)
        [name_or_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"There is no partner '{name_or_id}'. List them with: pkiadmin-cli partner list"
        )
    return int(row[0])
