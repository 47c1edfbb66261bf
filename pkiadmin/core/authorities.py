"""Certificate authorities whose keys this workspace holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database


@dataclass(frozen=True)
class Authority:
    id: int
    cert_id: int
    name: str
    kind: str
    key_backend: str
    key_ref: str
    ski_method: str
    not_after: datetime


def list_authorities(db: Database) -> tuple[Authority, ...]:
    rows = db.query(
        "SELECT a.id, a.cert_id, a.name, a.kind, a.key_backend, a.key_ref, a.ski_method, c.not_after"
        " FROM authorities a JOIN certificates c ON c.id = a.cert_id ORDER BY a.id"
    )
    return tuple(
        Authority(
            id=int(r["id"]),
            cert_id=int(r["cert_id"]),
            name=str(r["name"]),
            kind=str(r["kind"]),
            key_backend=str(r["key_backend"]),
            key_ref=str(r["key_ref"]),
            ski_method=str(r["ski_method"]),
            not_after=datetime.fromisoformat(r["not_after"]),
        )
        for r in rows
    )
