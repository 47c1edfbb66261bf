"""The ceremony report: JSON (signed by the new root key), HTML and PDF renderings, and verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base import atomicfile, fingerprint, pdf
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.report_parts import (
    ReportVerdict,
    check_listed_files,
    html_head,
    html_people_and_steps,
    log_sections,
    read_signed_report,
)
from pkiadmin.core.ceremony.root.steps import STEPS, CeremonyFacts
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import audit

FORMAT = "pkiadmin-ceremony-report/1"


def _hash_entry(name: str, data: bytes) -> dict[str, str]:
    digest = hashlib.sha256(data).digest()
    return {
        "name": name,
        "sha256": digest.hex(),
        "pgp_words": " ".join(fingerprint.pgp_words(digest)),
    }


def build(
    run: CeremonyFacts, ca_id: int, cert_id: int, key_path: Path, encrypted_key: bytes | None
) -> dict[str, Any]:
    """Everything in section 2.6 of the research note, from the run and the event log."""
    plan = run.plan
    facts = run.report_facts
    cert = run.certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    events = ceremony_store.events(run.ws.db, run.ceremony_id)
    record = ceremony_store.get(run.ws.db, run.ceremony_id)
    preflight = facts["done"].get("preflight", {})
    key_facts = facts["key_facts"]
    signoffs = {e.person: e.at for e in events if e.kind == "signed-off"}
    head = audit.entries(run.ws.db, limit=1)
    return {
        "format": FORMAT,
        "ceremony": {
            "record_id": run.ceremony_id,
            "id": plan.ceremony_id,
            "purpose": plan.purpose,
            "cps_reference": plan.cps_reference,
            "location": plan.location,
            "rehearsal": run.rehearsal,
            "started_at": record.started_at.isoformat(),
            "ended_at": ceremony_store.now_text(),
            "time_zone": "UTC",
        },
        "plan": {"file": "plan.toml", **_hash_entry("plan", plan.text.encode("utf-8"))},
        "participants": [
            {"name": p.name, "role": p.role.value, "signed_off_at": signoffs.get(p.name)}
            for p in plan.participants
        ],
        **log_sections(STEPS, events, facts["done"]),
        "environment": {
            **preflight.get("environment", {}),
            "preflight": preflight.get("checks", []),
        },
        "key": {
            "algorithm": key_facts.algorithm if key_facts else "",
            "spki_sha256": key_facts.spki_sha256 if key_facts else "",
            "spki_pgp_words": " ".join(key_facts.spki_words) if key_facts else "",
            **_key_storage(facts, key_path),
        },
        "artefacts": [
            {"file": "root.pem", **_hash_entry("root certificate (DER)", der)},
            *(
                [
                    {
                        "file": f"keys/{key_path.name}",
                        **_hash_entry("encrypted root key", encrypted_key),
                    }
                ]
                if encrypted_key is not None
                else []
            ),
            *(
                {"file": b["path"], "name": "key backup", "sha256": b["sha256"]}
                for b in facts["backups"]
            ),
        ],
        "certificate": {
            "subject": cert.subject.rfc4514_string(),
            "serial": f"{cert.serial_number:X}",
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "ca_id": ca_id,
            "cert_id": cert_id,
        },
        "lint": {
            "profile": "pkilint RFC 5280 certificate",
            "before_signing": facts["lint_before"],
            "after_signing": facts["lint_after"],
            "waivers": [{"code": c, "reason": r} for c, r in plan.waivers.items()],
        },
        "shares": {
            "scheme": "SLIP-39",
            "description": plan.custodians.describe(),
            "group_threshold": plan.custodians.group_threshold,
            "groups": [
                {"name": g.name, "threshold": g.threshold, "members": list(g.members)}
                for g in plan.custodians.groups
            ],
            "share_ids": facts["done"].get("share-distribution", {}).get("share_ids", {}),
        },
        "audit": {"head_before_completion": head[0].entry_hash if head else audit.GENESIS_HASH},
    }


def _key_storage(facts: Mapping[str, Any], key_path: Path) -> dict[str, Any]:
    token = facts.get("token")
    if token:
        attributes = ", ".join(
            f"{k}={'true' if v else 'false'}" for k, v in token["key_attributes"].items()
        )
        t = token["token"]
        return {
            "backend": "pkcs11",
            "protection": f"generated on the token and non-extractable ({attributes}); signing needs the token's PIN",
            "key_uri": token["key_uri"],
            "token": t,
            "key_attributes": token["key_attributes"],
            "device": f"{t['manufacturer']} {t['model']}, serial {t['serial']}, firmware {t['firmware']}",
        }
    return {
        "backend": "file",
        "protection": "PKCS#8 PBES2 (PBKDF2-HMAC-SHA256, 600,000 iterations, AES-256-CBC) under a random "
        "128-bit passphrase split with SLIP-39",
        "key_file": f"keys/{key_path.name}",
    }


def write(
    folder: Path,
    report: dict[str, Any],
    plan_text: str,
    cert: x509.Certificate,
    key: keys.PrivateKey,
) -> dict[str, str]:
    """Write plan, root, HTML, PDF, JSON and the signature; returns file name -> SHA-256."""
    files: dict[str, bytes] = {
        "plan.toml": plan_text.encode("utf-8"),
        "root.pem": cert.public_bytes(serialization.Encoding.PEM),
        "report.html": render_html(report).encode("utf-8"),
        "report.pdf": render_pdf(report),
    }
    report["files"] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    files["report.json"] = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True).encode(
        "utf-8"
    )
    files["report.json.sig"] = keys.sign_bytes(key, files["report.json"])
    for name, data in files.items():
        atomicfile.write_new_file(folder / name, data, mode=0o644)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def verify(folder: Path) -> ReportVerdict:
    """Check the signature, the root certificate and the hash of every file the report lists."""
    checks: list[str] = []
    problems: list[str] = []
    report_bytes, signature, report, cert = read_signed_report(folder, "root.pem")
    public_key = cert.public_key()
    root_sha256 = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    if keys.signature_ok(public_key, signature, report_bytes):
        checks.append("report.json is signed by the root key in root.pem")
    else:
        problems.append("report.json.sig is not a valid signature of report.json by the root key")
    try:
        cert.verify_directly_issued_by(cert)
        checks.append("root.pem is correctly self-signed")
    except (ValueError, TypeError, InvalidSignature):
        problems.append("root.pem's self-signature does not verify")
    recorded_root = next(
        (a["sha256"] for a in report.get("artefacts", []) if a.get("file") == "root.pem"), None
    )
    if recorded_root == root_sha256:
        checks.append("root.pem matches the certificate SHA-256 in the report")
    else:
        problems.append("root.pem is not the certificate the report records")
    check_listed_files(folder, report, checks, problems)
    return ReportVerdict(not problems, tuple(checks), tuple(problems), root_sha256)


def render_html(report: Mapping[str, Any]) -> str:
    """A printable HTML page of the report."""
    e = escape
    parts = html_head(report, "Key ceremony report") + html_people_and_steps(report)
    parts.append("</table><h2>Exceptions</h2>")
    if report["exceptions"]:
        parts.append(
            "<table><tr><th>At</th><th>Expected</th><th>Happened</th><th>Decision</th><th>Approved by</th></tr>"
        )
        for x in report["exceptions"]:
            parts.append(
                f"<tr><td>{e(x['at'])}</td><td>{e(x['expected'])}</td><td>{e(x['happened'])}</td>"
                f"<td>{e(x['decision'])}</td><td>{e(x['approved_by'] or '')}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")
    if report["failures"]:
        parts.append("<h3>Failed attempts</h3><ul>")
        parts.extend(
            f"<li>{e(f['at'])} {e(f['step'])}: {e(f['error'])}</li>" for f in report["failures"]
        )
        parts.append("</ul>")
    k = report["key"]
    parts.append(
        f"<h2>Key</h2><p>{e(k['algorithm'])}, {e(k['protection'])}.<br>"
        + (f"Token: {e(k['device'])}; key {e(k['key_uri'])}<br>" if "device" in k else "")
        + f"SPKI SHA-256 <tt>{e(k['spki_sha256'])}</tt><br>"
        f"{e(k['spki_pgp_words'])}</p><h2>Artefacts</h2><table><tr><th>Artefact</th><th>SHA-256 and PGP words</th></tr>"
    )
    for a in report["artefacts"]:
        words = f"<br>{e(a['pgp_words'])}" if "pgp_words" in a else ""
        parts.append(
            f"<tr><td>{e(a['name'])}<br><tt>{e(a['file'])}</tt></td><td><tt>{e(a['sha256'])}</tt>{words}</td></tr>"
        )
    lint = report["lint"]
    before = "; ".join(lint["before_signing"]) or "no findings"
    after = "; ".join(lint["after_signing"]) or "no findings"
    waivers = "; ".join(f"{w['code']}: {w['reason']}" for w in lint["waivers"]) or "none"
    parts.append(
        f"</table><h2>Lint ({e(lint['profile'])})</h2><p>Before signing: {e(before)}<br>"
        f"After signing: {e(after)}<br>Waivers: {e(waivers)}</p>"
    )
    sh = report["shares"]
    parts.append(
        f"<h2>Custodian shares</h2><p>{e(sh['scheme'])}, {e(sh['description'])}. The shares themselves are never recorded.</p><ul>"
    )
    parts.extend(f"<li>{e(name)}: {e(sid)}</li>" for name, sid in sorted(sh["share_ids"].items()))
    env = report["environment"]
    parts.append("</ul><h2>Environment</h2><ul>")
    parts.extend(
        f"<li>{e(k2)}: <tt>{e(str(v))}</tt></li>" for k2, v in env.items() if k2 != "preflight"
    )
    parts.append("</ul><h3>Pre-flight</h3><ul>")
    parts.extend(
        f"<li>{e(c2['name'])} — {e(c2['status'])}: {e(c2['detail'])}</li>"
        for c2 in env.get("preflight", [])
    )
    parts.append(
        "</ul><h2>Verifying this report</h2><p><tt>pkiadmin-cli ceremony verify-report FOLDER</tt>, or with openssl: "
        "<tt>openssl x509 -in root.pem -pubkey -noout &gt; root.pub; openssl dgst -sha384 -verify root.pub "
        "-signature report.json.sig report.json</tt> (-sha256 for P-256 and RSA roots).</p></body></html>"
    )
    return "".join(parts)


def render_pdf(report: Mapping[str, Any]) -> bytes:
    """A printable PDF with the same content as the HTML page."""
    doc = pdf.Document()
    text = doc.text

    c = report["ceremony"]
    text(f"Key ceremony report: {c['id']}{' (REHEARSAL)' if c['rehearsal'] else ''}", 16)
    text(
        f"Purpose: {c['purpose']}\nCP/CPS: {c['cps_reference']}\nLocation: {c['location'] or '-'}\n"
        f"Started {c['started_at']}, ended {c['ended_at']} ({c['time_zone']})"
    )
    text("Plan", 13)
    text(f"SHA-256 {report['plan']['sha256']}\n{report['plan']['pgp_words']}")
    text("Participants and sign-off", 13)
    for p in report["participants"]:
        text(
            f"{p['name']} ({p['role']}) — signed off {p['signed_off_at'] or '-'}     signature: ____________________"
        )
    text("Steps", 13)
    for s in report["steps"]:
        acks = ", ".join(f"{a['name']} {a['at']}" for a in s["acknowledged_by"])
        text(f"{s['title']}: completed {s['completed_at'] or '-'}; acknowledged by {acks or '-'}")
    text("Exceptions", 13)
    if not report["exceptions"]:
        text("None.")
    for x in report["exceptions"]:
        text(
            f"{x['at']} expected: {x['expected']}; happened: {x['happened']}; decision: {x['decision']}; "
            f"approved by {x['approved_by'] or ''}"
        )
    text("Key and artefacts", 13)
    k = report["key"]
    text(
        f"{k['algorithm']}; {k['protection']}\n"
        + (f"Token: {k['device']}; key {k['key_uri']}\n" if "device" in k else "")
        + f"SPKI SHA-256 {k['spki_sha256']}\n{k['spki_pgp_words']}"
    )
    for a in report["artefacts"]:
        text(f"{a['name']} ({a['file']})\n{a['sha256']}\n{a.get('pgp_words', '')}")
    lint = report["lint"]
    text("Lint", 13)
    text(
        f"Before signing: {'; '.join(lint['before_signing']) or 'no findings'}\nAfter signing: "
        f"{'; '.join(lint['after_signing']) or 'no findings'}"
    )
    sh = report["shares"]
    text("Custodian shares", 13)
    text(f"{sh['scheme']}, {sh['description']} (share ids only; shares are never recorded)")
    for name, sid in sorted(sh["share_ids"].items()):
        text(f"{name}: {sid}")
    text("Environment", 13)
    for key_name, value in report["environment"].items():
        if key_name != "preflight":
            text(f"{key_name}: {value}", 8)
    return doc.output()
