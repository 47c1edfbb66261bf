"""The certificate inventory: records, search, bulk import, compliance, metadata, views and exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkiadmin.core.workspace import upgrade_hooks

if TYPE_CHECKING:
    from sqlite_utils import Database


def _refill(db: Database) -> None:
    # A migration added columns derived from each certificate's DER: fill them, then the findings.
    # Imported here: a listing that imports the package's query module does not load them.
    from pkiadmin.core.inventory import compliance, records

    records.refresh_fields(db)
    compliance.record_findings(db, None, None)


upgrade_hooks.after_upgrade(_refill)
