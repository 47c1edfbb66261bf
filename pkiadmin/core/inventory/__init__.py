"""The certificate inventory: records, search, bulk import, compliance, metadata, views and exports."""

from sqlite_utils import Database

from pkiadmin.core.inventory import compliance, records
from pkiadmin.core.workspace import folder


def _refill(db: Database) -> None:
    # A migration added columns derived from each certificate's DER: fill them, then the findings.
    records.refresh_fields(db)
    compliance.record_findings(db, None, None)


folder.after_upgrade(_refill)
