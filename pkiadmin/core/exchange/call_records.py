"""Recording a fingerprint verification call. Only a call in which every value matched makes the
partner verified: their OpenPGP key is certified locally (non-exportable) and the CA certificates
of the package whose manifest was compared become trusted. Records are never edited."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pkiadmin.core.base.display import safe
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.exchange import partners, pgp
from pkiadmin.core.exchange.call import Comparison, Value
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

DIRECTIONS = ("we-read", "they-read")


@dataclass(frozen=True)
class CallRecord:
    id: int
    partner_id: int
    direction: str
    our_officer: str
    their_officer: str
    phone: str
    phone_source: str
    at: datetime
    compared: tuple[dict[str, Any], ...]
    result: str
    note: str


@dataclass(frozen=True)
class CallPlan:
    """What one call compares, fixed when the call starts: the partner's key, one specific
    received package (its row and manifest SHA-256) and each CA certificate in it. The call
    record stores these values, and only these certificates can become trusted by it; a package
    opened while the call is under way changes nothing about it."""

    partner_id: int
    partner_name: str
    key_fingerprint: str
    package_row: int | None
    manifest_sha256: str | None
    certificates: tuple[tuple[int, str], ...]  # (certificate id, SHA-256)
    values: tuple[Value, ...]


def start(ws: Workspace, partner_name: str) -> CallPlan:
    """The values for a call with the partner: the manifest SHA-256 of their last accepted
    package, their key fingerprint, and the SHA-256 of every CA certificate it carried."""
    partner = partners.get(ws.db, partner_name)
    if not partner.pgp_fingerprint:
        raise ValidationError(f"'{partner.name}' has no OpenPGP key to verify; import it first.")
    # One order everywhere, the order of the sender's verification sheet (package_build): the
    # manifest's SHA-256, the signing key, then each CA certificate as the manifest lists them
    # (root first). A partner reading their sheet top to bottom reads what this expects.
    key = Value("partner's OpenPGP key fingerprint", bytes.fromhex(partner.pgp_fingerprint))
    values = [key]
    package = _latest_accepted(ws.db, partner.id)
    certificates: list[tuple[int, str]] = []
    if package is not None:
        values = [Value("manifest SHA-256 of their package", bytes.fromhex(package[1])), key]
        for row in ws.db.execute(
            "SELECT c.id, c.subject, c.sha256 FROM partner_certs pc JOIN certificates c ON c.id = pc.cert_id"
            " WHERE pc.partner_id = ? AND pc.package_row = ? ORDER BY pc.position, c.subject",
            (partner.id, package[0]),
        ):
            certificates.append((int(row[0]), str(row[2])))
            values.append(Value(f"CA certificate {safe(row[1])} (SHA-256)", bytes.fromhex(row[2])))
    return CallPlan(
        partner.id,
        partner.name,
        partner.pgp_fingerprint,
        package[0] if package else None,
        package[1] if package else None,
        tuple(certificates),
        tuple(values),
    )


def values_for(ws: Workspace, partner_name: str) -> tuple[Value, ...]:
    """The values a call started now would compare."""
    return start(ws, partner_name).values


def _latest_accepted(db: Database, partner_id: int) -> tuple[int, str] | None:
    """(row id, manifest SHA-256) of the partner's last accepted package."""
    row = db.execute(
        "SELECT id, manifest_sha256 FROM packages WHERE partner_id = ? AND direction = 'received'"
        " AND result = 'accepted' ORDER BY id DESC LIMIT 1",
        (partner_id,),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _record(row: Any) -> CallRecord:
    return CallRecord(
        int(row["id"]), int(row["partner_id"]), row["direction"], row["our_officer"],
        row["their_officer"], row["phone"], row["phone_source"], datetime.fromisoformat(row["at"]),
        tuple(json.loads(row["compared"])), row["result"], row["note"],
    )  # fmt: skip


def list_calls(db: Database, partner_id: int | None = None) -> tuple[CallRecord, ...]:
    where, args = ("WHERE partner_id = ?", [partner_id]) if partner_id is not None else ("", [])
    return tuple(_record(r) for r in db.query(f"SELECT * FROM calls {where} ORDER BY id", args))  # noqa: S608


def record(
    ws: Workspace,
    plan: CallPlan,
    direction: str,
    our_officer: str,
    their_officer: str,
    phone: str,
    phone_source: str,
    comparisons: list[Comparison],
    note: str = "",
    officer_passphrase: str | None = None,
    aborted: bool = False,
) -> CallRecord:
    partner = partners.get(ws.db, plan.partner_name)
    if partner.id != plan.partner_id:
        raise ValidationError("The partner of this call is no longer registered under that name.")
    if direction not in DIRECTIONS:
        raise ValidationError(f"The direction is one of {', '.join(DIRECTIONS)}.")
    if not (
        our_officer.strip() and their_officer.strip() and phone.strip() and phone_source.strip()
    ):
        raise ValidationError(
            "Record who called whom, the number used and where it came from (obtained independently)."
        )
    expected = {(v.label, v.data.hex()) for v in plan.values}
    compared_values = {(c.label, c.expected_hex.replace(" ", "").lower()) for c in comparisons}
    complete = expected <= compared_values
    verified = not aborted and complete and all(c.ok for c in comparisons)
    if verified and partner.pgp_fingerprint != plan.key_fingerprint:
        raise ValidationError(
            f"'{partner.name}''s OpenPGP key changed while the call was under way; nothing was "
            "trusted. Start the call again."
        )
    all_ok = all(c.ok for c in comparisons)
    result = "verified" if verified else ("aborted" if aborted or all_ok else "mismatch")
    if not aborted and not complete and all_ok:
        note = (
            (note + "; " if note else "")
            + "not every value was compared: "
            + ", ".join(sorted(label for label, _ in expected - compared_values))
        )
    if verified:
        if officer_passphrase is None:
            raise ValidationError(
                "Certifying the partner's key needs our officer key's passphrase."
            )
        _lsign(ws, partner.pgp_fingerprint or "", officer_passphrase)
    now = datetime.now(UTC).replace(microsecond=0)
    compared = [
        {"label": c.label, "value": c.expected_hex, "ok": c.ok, "problems": list(c.problems)}
        for c in comparisons
    ]
    with ws.db.atomic():
        cursor = ws.db.execute(
            "INSERT INTO calls (partner_id, direction, our_officer, their_officer, phone, phone_source, at, compared,"
            " result, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (partner.id, direction, our_officer, their_officer, phone, phone_source, now.isoformat(),
             json.dumps(compared), result, note),
        )  # fmt: skip
        call_id = int(cursor.lastrowid or 0)
        if verified:
            ws.db.execute("UPDATE partners SET key_status = 'verified' WHERE id = ?", (partner.id,))
            ws.db.execute(
                "UPDATE partner_certs SET trusted = 0 WHERE partner_id = ?", (partner.id,)
            )
            for cert_id, sha256 in plan.certificates:
                # exactly the certificates whose SHA-256 was read aloud, as they are stored now
                ws.db.execute(
                    "UPDATE partner_certs SET trusted = 1, call_id = ? WHERE partner_id = ? AND cert_id = ?"
                    " AND cert_id IN (SELECT id FROM certificates WHERE id = ? AND sha256 = ?)",
                    (call_id, partner.id, cert_id, cert_id, sha256),
                )
        audit.append(
            ws.db,
            f"call.{result}",
            {"partner_id": partner.id, "call_id": call_id},
            details={"direction": direction, "our_officer": our_officer, "their_officer": their_officer,
                     "phone": phone, "phone_source": phone_source, "compared": compared, "note": note,
                     "package_row": plan.package_row, "manifest_sha256": plan.manifest_sha256},
        )  # fmt: skip
    return list_calls(ws.db, partner.id)[-1]


def _lsign(ws: Workspace, partner_fingerprint: str, passphrase: str) -> None:
    """A local, non-exportable certification of the partner's key by our officer key (python-gnupg
    has no wrapper for it)."""
    officer = partners.officer_fingerprint(ws.db)
    if officer is None:
        raise ValidationError("There is no officer key to certify the partner's key with.")
    keyring = partners.keyring(ws)
    gpg = shutil.which("gpg")
    if gpg is None:
        raise pgp.PgpError("gpg is not installed on this machine.")
    args = [
        gpg, "--homedir", str(keyring.short_home), "--batch", "--yes", "--pinentry-mode", "loopback",
        "--passphrase-fd", "0", "--default-key", officer, "--quick-lsign-key", partner_fingerprint,
    ]  # fmt: skip
    done = keyring.call(
        "certify key",
        lambda: subprocess.run(
            args, input=passphrase.encode() + b"\n", capture_output=True, check=False
        ),
    )
    if done.returncode != 0:
        raise pgp.PgpError(
            f"gpg could not certify the partner's key ({done.stderr.decode(errors='replace').strip()[-200:]}); "
            "nothing was recorded. Check the officer key's passphrase."
        )
