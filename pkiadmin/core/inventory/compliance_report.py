"""The compliance report: the policy, the number of certificates per finding, and every
certificate with a finding, as CSV, JSON or a printable PDF."""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pkiadmin.core.base import atomicfile, pdf
from pkiadmin.core.inventory import compliance
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_PDF_ROWS = 5000  # the PDF lists this many certificates; CSV and JSON list all


class ReportFormat(enum.Enum):
    CSV = "csv"
    JSON = "json"
    PDF = "pdf"


@dataclass(frozen=True)
class Finding:
    cert_id: int
    common_name: str
    not_after: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    at: datetime
    policy: compliance.Policy
    total: int
    counts: dict[str, int]
    findings: tuple[Finding, ...]


def build(db: Database, now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    stamp = now.isoformat()
    ids = [
        int(r[0])
        for r in db.execute(
            "SELECT cert_id FROM cert_findings UNION SELECT id FROM certificates"
            " WHERE not_after < ? OR not_before > ? ORDER BY 1",
            (stamp, stamp),
        )
    ]
    rows = []
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        codes = compliance.findings_for(db, chunk, now)
        marks = ",".join("?" * len(chunk))
        for cert_id, name, not_after in db.execute(
            f"SELECT id, common_name, not_after FROM certificates WHERE id IN ({marks}) ORDER BY id",  # noqa: S608
            chunk,
        ):
            rows.append(Finding(int(cert_id), str(name), str(not_after)[:10], codes[int(cert_id)]))
    total = int(db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0])
    return Report(now, compliance.load_policy(db), total, compliance.summary(db, now), tuple(rows))


def as_json(report: Report) -> bytes:
    return json.dumps(
        {
            "at": report.at.isoformat(),
            "policy": asdict(report.policy),
            "certificates": report.total,
            "counts": report.counts,
            "findings": [asdict(f) for f in report.findings],
        },
        indent=2,
    ).encode()


def as_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["cert_id", "common_name", "not_after", *compliance.CODES])
    for f in report.findings:
        writer.writerow(
            [
                f.cert_id,
                f.common_name,
                f.not_after,
                *("x" if c in f.codes else "" for c in compliance.CODES),
            ]
        )
    return out.getvalue().encode()


def as_pdf(report: Report) -> bytes:
    doc = pdf.Document(leading=1.5)
    text = doc.text

    text("Certificate compliance report", 16)
    text(f"{report.at:%Y-%m-%d %H:%M} UTC — {report.total:,} certificates in the inventory")
    policy = report.policy
    text(
        f"Policy: RSA/DSA at least {policy.min_rsa_bits} bits, EC at least {policy.min_ec_bits} bits; "
        f"validity at most {policy.max_end_entity_days} days (end-entity), "
        f"{policy.max_intermediate_days} (intermediate CA), {policy.max_root_days} (root CA)."
    )
    text("")
    for r in compliance.RULES:
        text(f"{report.counts.get(r.code, 0):>9,}  {r.title} ({r.code})")
    text("")
    shown = report.findings[:MAX_PDF_ROWS]
    text(f"Certificates with findings: {len(report.findings):,}" + (
        f" (the first {MAX_PDF_ROWS:,} are listed; the CSV and JSON reports list all)"
        if len(report.findings) > MAX_PDF_ROWS else ""
    ), 12)  # fmt: skip
    for f in shown:
        text(f"#{f.cert_id}  {f.common_name}  (until {f.not_after}):  {', '.join(f.codes)}", 8)
    return doc.output()


def write(ws: Workspace, fmt: ReportFormat, out: Path, now: datetime | None = None) -> Report:
    report = build(ws.db, now)
    data = {ReportFormat.CSV: as_csv, ReportFormat.JSON: as_json, ReportFormat.PDF: as_pdf}[fmt](
        report
    )
    atomicfile.write_new_file(out, data, mode=0o644)
    with ws.db.atomic():
        audit.append(
            ws.db,
            "compliance.report",
            {"file": str(out)},
            artefacts=(audit.Artefact(str(out), hashlib.sha256(data).hexdigest()),),
            details={"format": fmt.value, "counts": report.counts},
        )
    return report


def set_policy(ws: Workspace, policy: compliance.Policy) -> None:
    """Store a new policy and recompute every finding, audited, in one transaction."""
    with ws.db.atomic():
        before = compliance.load_policy(ws.db)
        compliance.save_policy(ws.db, policy)
        audit.append(
            ws.db,
            "compliance.policy",
            {},
            details={"before": asdict(before), "after": asdict(policy)},
        )
