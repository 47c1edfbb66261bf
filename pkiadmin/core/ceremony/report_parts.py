"""The parts every ceremony report shares: the event-log sections, reading and checking a signed
report folder, and the HTML page's opening, people and steps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony import store as ceremony_store

if TYPE_CHECKING:
    from pkiadmin.core.ceremony.step_run import StepLike


def log_sections(
    steps: Sequence[StepLike],
    events: Sequence[ceremony_store.CeremonyEvent],
    results: Mapping[str, Any],
) -> dict[str, Any]:
    """The parts of every ceremony report that come from its event log: each step with when it
    was done and who acknowledged it, exceptions, failed attempts, and every event."""
    return {
        "steps": [
            {
                "step": step.value,
                "title": step.title,
                "what": step.explanation,
                "completed_at": next(
                    (e.at for e in events if e.step == step.value and e.kind == "step-done"), None
                ),
                "acknowledged_by": [
                    {"name": e.person, "at": e.at}
                    for e in events
                    if e.step == step.value and e.kind == "acknowledged"
                ],
                "result": results.get(step.value, {}),
            }
            for step in steps
        ],
        "exceptions": [
            {"at": e.at, "step": e.step, "approved_by": e.person, **e.detail}
            for e in events
            if e.kind == "exception"
        ],
        "failures": [
            {"at": e.at, "step": e.step, **e.detail} for e in events if e.kind == "step-failed"
        ],
        "events": [
            {
                "at": e.at,
                "step": e.step,
                "kind": e.kind,
                "person": e.person,
                "detail": dict(e.detail),
            }
            for e in events
        ],
    }


@dataclass(frozen=True)
class ReportVerdict:
    ok: bool
    checks: tuple[str, ...]
    problems: tuple[str, ...]
    root_sha256: str


def read_signed_report(
    folder: Path, cert_file: str
) -> tuple[bytes, bytes, dict[str, Any], x509.Certificate]:
    """report.json, its signature, the parsed report and the signing certificate, or a clear error."""
    try:
        report_bytes = (folder / "report.json").read_bytes()
        signature = (folder / "report.json.sig").read_bytes()
        cert_pem = (folder / cert_file).read_bytes()
    except OSError as exc:
        raise PkiError(
            f"{folder} is not a complete ceremony report ({exc.strerror}: {exc.filename})."
        ) from exc
    try:
        return (
            report_bytes,
            signature,
            json.loads(report_bytes),
            x509.load_pem_x509_certificate(cert_pem),
        )
    except ValueError as exc:
        raise PkiError(f"The report or {cert_file} in {folder} cannot be read ({exc}).") from exc


def check_listed_files(
    folder: Path, report: Mapping[str, Any], checks: list[str], problems: list[str]
) -> None:
    """Every file the report lists must be there with the SHA-256 it records."""
    for name, expected in sorted(report.get("files", {}).items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            problems.append(f"{name} was changed: its SHA-256 differs from the report")
        else:
            checks.append(f"{name} matches its SHA-256")


_STYLE = (
    "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{border:1px solid #999;"
    "padding:4px;vertical-align:top}table{border-collapse:collapse;width:100%}tt,pre{word-break:break-all;"
    "white-space:pre-wrap}</style>"
)


def html_head(report: Mapping[str, Any], title: str) -> list[str]:
    """Every ceremony report's page opening: the ceremony, its times, and the plan's hash."""
    c = report["ceremony"]
    e = escape
    marks = (" (REHEARSAL)" if c.get("rehearsal") else "") + (
        f" ({c['kind']})" if "kind" in c else ""
    )
    return [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{e(title)} {e(c['id'])}</title>",
        _STYLE,
        "</head><body>",
        f"<h1>{e(title)}: {e(c['id'])}{e(marks)}</h1>",
        f"<p><b>Purpose:</b> {e(c['purpose'])}<br><b>CP/CPS:</b> {e(c['cps_reference'])}<br>"
        f"<b>Location:</b> {e(c['location'] or '-')}<br><b>Started:</b> {e(c['started_at'])} "
        f"<b>Ended:</b> {e(c['ended_at'])} ({e(c['time_zone'])})</p>",
        f"<h2>Plan</h2><p><tt>{e(report['plan']['sha256'])}</tt><br>{e(report['plan']['pgp_words'])}</p>",
    ]


def html_people_and_steps(report: Mapping[str, Any]) -> list[str]:
    """Participants with room for their signatures, then each step and who acknowledged it."""
    e = escape
    parts = [
        "<h2>Participants and sign-off</h2><table><tr><th>Name</th><th>Role</th><th>Signed off</th><th>Signature</th></tr>"
    ]
    parts += [
        f"<tr><td>{e(p['name'])}</td><td>{e(p['role'])}</td><td>{e(p['signed_off_at'] or '-')}</td><td>&nbsp;</td></tr>"
        for p in report["participants"]
    ]
    parts.append(
        "</table><h2>Steps</h2><table><tr><th>Step</th><th>Completed</th><th>Acknowledged by</th></tr>"
    )
    for s in report["steps"]:
        acks = ", ".join(f"{a['name']} ({a['at']})" for a in s["acknowledged_by"])
        parts.append(
            f"<tr><td><b>{e(s['title'])}</b><br>{e(s['what'])}</td><td>{e(s['completed_at'] or '-')}</td><td>{e(acks)}</td></tr>"
        )
    return parts
