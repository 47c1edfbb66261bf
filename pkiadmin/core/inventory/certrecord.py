"""One inventory row as the views and listings read it: CertRecord, its columns and the row
reader. It imports neither cryptography nor sqlite-utils, so a read-only listing starts fast."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class Source(enum.Enum):
    ISSUED = "issued"
    IMPORTED = "imported"


@dataclass(frozen=True)
class CertRecord:
    """One inventory row (without the DER, which is loaded on demand)."""

    id: int
    serial_hex: str
    subject: str
    issuer: str
    common_name: str
    not_before: datetime
    not_after: datetime
    key_algorithm: str
    key_size: int
    signature_algorithm: str
    sha256: str
    sha1: str
    ski: str | None
    aki: str | None
    is_ca: bool
    path_length: int | None
    issuer_cert_id: int | None
    source: Source
    sans: str = ""
    key_usage: str = ""
    eku: str = ""
    policies: str = ""
    crl_urls: str = ""
    ocsp_urls: str = ""
    ca_issuers_urls: str = ""
    service: str = ""
    environment: str = ""
    owner_team: str = ""
    partner_id: int | None = None
    tags: str = ""
    note: str = ""

    def status(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        if now < self.not_before:
            return "not yet valid"
        if now > self.not_after:
            return "expired"
        return "valid"


COLUMNS = (
    "id, serial_hex, subject, issuer, common_name, not_before, not_after, key_algorithm, key_size, "
    "signature_algorithm, sha256, sha1, ski, aki, is_ca, path_length, issuer_cert_id, source, sans, "
    "key_usage, eku, policies, crl_urls, ocsp_urls, ca_issuers_urls, service, environment, "
    "owner_team, partner_id, tags, note"
)


def record(row: Mapping[str, Any]) -> CertRecord:
    return CertRecord(
        id=int(row["id"]),
        serial_hex=str(row["serial_hex"]),
        subject=str(row["subject"]),
        issuer=str(row["issuer"]),
        common_name=str(row["common_name"]),
        not_before=datetime.fromisoformat(row["not_before"]),
        not_after=datetime.fromisoformat(row["not_after"]),
        key_algorithm=str(row["key_algorithm"]),
        key_size=int(row["key_size"]),
        signature_algorithm=str(row["signature_algorithm"]),
        sha256=str(row["sha256"]),
        sha1=str(row["sha1"]),
        ski=row["ski"],
        aki=row["aki"],
        is_ca=bool(row["is_ca"]),
        path_length=row["path_length"],
        issuer_cert_id=row["issuer_cert_id"],
        source=Source(row["source"]),
        sans=row["sans"],
        key_usage=row["key_usage"],
        eku=row["eku"],
        policies=row["policies"],
        crl_urls=row["crl_urls"],
        ocsp_urls=row["ocsp_urls"],
        ca_issuers_urls=row["ca_issuers_urls"],
        service=row["service"],
        environment=row["environment"] or "",
        owner_team=row["owner_team"],
        partner_id=row["partner_id"],
        tags=row["tags"],
        note=row["note"],
    )
