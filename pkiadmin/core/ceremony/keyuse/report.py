"""The report of a key-use ceremony: JSON signed by the CA key that was used, an HTML rendering,
the plan, the signer's certificate and every output, each with its SHA-256 and PGP words."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base import atomicfile, fingerprint
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.keyuse.facts import KeyUseFacts
from pkiadmin.core.ceremony.report_parts import (
    ReportVerdict,
    check_listed_files,
    html_head,
    html_people_and_steps,
    log_sections,
    read_signed_report,
)
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import audit

FORMAT = "pkiadmin-key-use-report/1"
SIGNER_FILE = "signer.pem"
CO_SIGNER_FILE = "co-signer.pem"  # a rollover's new root, which signs the report too
CO_SIGNATURE = "report.json.co-sig"


def _words(digest: bytes) -> dict[str, str]:
    return {"sha256": digest.hex(), "pgp_words": " ".join(fingerprint.pgp_words(digest))}


def build(run: KeyUseFacts, stored: Mapping[str, Any]) -> dict[str, Any]:
    plan = run.plan
    events = ceremony_store.events(run.ws.db, run.ceremony_id)
    record = ceremony_store.get(run.ws.db, run.ceremony_id)
    results = run.step_results
    signoffs = {e.person: e.at for e in events if e.kind == "signed-off"}
    preflight = results.get("preflight", {})
    head = audit.entries(run.ws.db, limit=1)
    return {
        "format": FORMAT,
        "ceremony": {
            "record_id": run.ceremony_id,
            "id": plan.ceremony_id,
            "kind": plan.kind.value,
            "purpose": plan.purpose,
            "cps_reference": plan.cps_reference,
            "location": plan.location,
            "started_at": record.started_at.isoformat(),
            "ended_at": ceremony_store.now_text(),
            "time_zone": "UTC",
        },
        "plan": {"file": "plan.toml", **_words(plan.sha256)},
        "participants": [
            {"name": p.name, "role": p.role.value, "signed_off_at": signoffs.get(p.name)}
            for p in plan.participants
        ],
        **log_sections(run.steps, events, results),
        "environment": {
            **preflight.get("environment", {}),
            "preflight": preflight.get("checks", []),
        },
        "outputs": [{"name": o.name, "file": o.file, **_words(o.sha256)} for o in run.outputs],
        "stored": dict(stored),
        "audit": {"head_before_completion": head[0].entry_hash if head else audit.GENESIS_HASH},
    }


def write(
    folder: Path,
    report: dict[str, Any],
    run: KeyUseFacts,
    signer: Authority,
    key: keys.PrivateKey,
    co_signer: tuple[str, x509.Certificate, keys.PrivateKey] | None = None,
) -> dict[str, str]:
    """plan.toml, signer.pem, the outputs, report.html, report.json and report.json.sig; with a
    co-signer (a rollover's new root), co-signer.pem and report.json.co-sig as well."""
    signer_cert = inventory.load_certificate(run.ws.db, signer.cert_id)
    signer_der = signer_cert.public_bytes(serialization.Encoding.DER)
    report["signer"] = {
        "file": SIGNER_FILE,
        "ca": signer.name,
        "subject": signer_cert.subject.rfc4514_string(),
        **_words(hashlib.sha256(signer_der).digest()),
    }
    extra: dict[str, bytes] = {}
    if co_signer is not None:
        name, co_cert, _ = co_signer
        co_der = co_cert.public_bytes(serialization.Encoding.DER)
        report["co_signer"] = {
            "file": CO_SIGNER_FILE,
            "ca": name,
            "subject": co_cert.subject.rfc4514_string(),
            **_words(hashlib.sha256(co_der).digest()),
        }
        extra[CO_SIGNER_FILE] = co_cert.public_bytes(serialization.Encoding.PEM)
    files: dict[str, bytes] = {
        "plan.toml": run.plan.text.encode("utf-8"),
        SIGNER_FILE: signer_cert.public_bytes(serialization.Encoding.PEM),
        **extra,
        **{o.file: o.data for o in run.outputs},
        "report.html": render_html(report).encode("utf-8"),
    }
    report["files"] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    files["report.json"] = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True).encode(
        "utf-8"
    )
    files["report.json.sig"] = keys.sign_bytes(key, files["report.json"])
    if co_signer is not None:
        files[CO_SIGNATURE] = keys.sign_bytes(co_signer[2], files["report.json"])
    for name, data in files.items():
        atomicfile.write_new_file(folder / name, data, mode=0o644)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def verify(folder: Path) -> ReportVerdict:
    """The signature by the key of the CA in signer.pem, and the SHA-256 of every listed file."""
    checks: list[str] = []
    problems: list[str] = []
    report_bytes, signature, report, cert = read_signed_report(folder, SIGNER_FILE)
    signer_sha256 = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    if keys.signature_ok(cert.public_key(), signature, report_bytes):
        checks.append(f"report.json is signed by the key of the CA in {SIGNER_FILE}")
    else:
        problems.append(f"report.json.sig is not a valid signature of report.json by {SIGNER_FILE}")
    if report.get("signer", {}).get("sha256") == signer_sha256:
        checks.append(f"{SIGNER_FILE} is the CA certificate the report names")
    else:
        problems.append(f"{SIGNER_FILE} is not the CA certificate the report names")
    co = report.get("co_signer")
    if co is not None:
        _check_co_signature(folder, report_bytes, co, checks, problems)
    check_listed_files(folder, report, checks, problems)
    return ReportVerdict(not problems, tuple(checks), tuple(problems), signer_sha256)


def _check_co_signature(
    folder: Path, report_bytes: bytes, co: Mapping[str, Any], checks: list[str], problems: list[str]
) -> None:
    try:
        co_cert = x509.load_pem_x509_certificate((folder / CO_SIGNER_FILE).read_bytes())
        co_sig = (folder / CO_SIGNATURE).read_bytes()
    except (OSError, ValueError):
        problems.append(
            f"the report names a co-signer, but {CO_SIGNER_FILE} or {CO_SIGNATURE} is missing"
        )
        return
    co_sha256 = hashlib.sha256(co_cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    if co.get("sha256") != co_sha256:
        problems.append(f"{CO_SIGNER_FILE} is not the certificate the report names as co-signer")
    elif keys.signature_ok(co_cert.public_key(), co_sig, report_bytes):
        checks.append(f"report.json is also signed by the key of the CA in {CO_SIGNER_FILE}")
    else:
        problems.append(
            f"{CO_SIGNATURE} is not a valid signature of report.json by {CO_SIGNER_FILE}"
        )


def render_html(report: Mapping[str, Any]) -> str:
    e = escape
    parts = html_head(report, "Key-use ceremony report")
    parts.append(
        f"<h2>Signed by</h2><p>{e(report['signer']['ca'])}: {e(report['signer']['subject'])}<br>"
        f"<tt>{e(report['signer']['sha256'])}</tt><br>{e(report['signer']['pgp_words'])}</p>"
    )
    co = report.get("co_signer")
    if co:
        parts.append(
            f"<p>and by {e(co['ca'])}: {e(co['subject'])}<br><tt>{e(co['sha256'])}</tt><br>"
            f"{e(co['pgp_words'])}</p>"
        )
    parts += html_people_and_steps(report)
    parts.append("</table>")
    shown = next((s["result"].get("shown") for s in report["steps"] if s["step"] == "review"), None)
    if shown:
        parts.append(
            f"<h2>What was reviewed before signing</h2><pre>{e(chr(10).join(shown))}</pre>"
        )
    parts.append("<h2>Outputs</h2><table><tr><th>Output</th><th>SHA-256 and PGP words</th></tr>")
    parts += [
        f"<tr><td>{e(o['name'])}<br><tt>{e(o['file'])}</tt></td><td><tt>{e(o['sha256'])}</tt><br>{e(o['pgp_words'])}</td></tr>"
        for o in report["outputs"]
    ]
    signing: dict[str, Any] = next(
        (s["result"] for s in report["steps"] if s["step"] == "signing"), {}
    )
    facts = {k: v for k, v in signing.items() if k != "outputs"}
    parts.append("</table><h2>Signing details</h2><ul>")
    parts += [
        f"<li>{e(k)}: <tt>{e(json.dumps(v, ensure_ascii=False))}</tt></li>"
        for k, v in facts.items()
    ]
    parts.append("</ul><h2>Exceptions</h2>")
    parts += [
        f"<p>{e(x['at'])}: expected {e(x['expected'])}; happened {e(x['happened'])}; decision "
        f"{e(x['decision'])}; approved by {e(x['approved_by'] or '')}</p>"
        for x in report["exceptions"]
    ] or ["<p>None.</p>"]
    if report["failures"]:
        parts.append("<h3>Failed attempts</h3><ul>")
        parts += [
            f"<li>{e(f['at'])} {e(f['step'])}: {e(f['error'])}</li>" for f in report["failures"]
        ]
        parts.append("</ul>")
    parts.append("<h2>Environment</h2><ul>")
    parts += [
        f"<li>{e(k)}: <tt>{e(str(v))}</tt></li>"
        for k, v in report["environment"].items()
        if k != "preflight"
    ]
    parts.append(
        "</ul><h2>Verifying this report</h2><p><tt>pkiadmin-cli ceremony verify-report FOLDER</tt>, or with openssl: "
        "<tt>openssl x509 -in signer.pem -pubkey -noout &gt; signer.pub; openssl dgst -sha384 -verify signer.pub "
        "-signature report.json.sig report.json</tt> (-sha256 for P-256 and RSA keys).</p></body></html>"
    )
    return "".join(parts)
