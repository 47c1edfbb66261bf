"""Partner organisations: who they are, how to reach them (numbers obtained independently), and
their OpenPGP key, identified by its full primary fingerprint and unverified until the call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.exchange import pgp
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

    from pkiadmin.core.workspace.rows import Rows

OFFICER_KEY = "officer_pgp_fingerprint"


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    phone: str
    phone_source: str  # where the number came from: never the package or the e-mail it came with


@dataclass(frozen=True)
class Partner:
    id: int
    name: str
    organisation: str
    pgp_fingerprint: str | None
    key_status: str  # none, unverified, verified
    notes: str
    contacts: tuple[Contact, ...]


def keyring(ws: Workspace) -> pgp.Keyring:
    return pgp.Keyring.for_home(ws.gnupg_dir)


def _partner(db: Rows, row: Mapping[str, Any]) -> Partner:
    contacts = tuple(
        Contact(c["name"], c["role"], c["phone"], c["phone_source"])
        for c in db.query(
            "SELECT * FROM partner_contacts WHERE partner_id = ? ORDER BY id", [row["id"]]
        )
    )
    return Partner(
        int(row["id"]),
        row["name"],
        row["organisation"],
        row["pgp_fingerprint"],
        row["key_status"],
        row["notes"],
        contacts,
    )


def list_partners(db: Database) -> tuple[Partner, ...]:
    return tuple(_partner(db, r) for r in db.query("SELECT * FROM partners ORDER BY name"))


def get(db: Rows, name_or_id: str | int) -> Partner:
    column = "id" if isinstance(name_or_id, int) or str(name_or_id).isdigit() else "name"
    rows = list(db.query(f"SELECT * FROM partners WHERE {column} = ?", [name_or_id]))  # noqa: S608
    if not rows:
        raise NotFoundError(
            f"There is no partner '{name_or_id}'. List them with: pkiadmin-cli partner list"
        )
    return _partner(db, rows[0])


def add(
    ws: Workspace, name: str, organisation: str, contacts: tuple[Contact, ...] = (), notes: str = ""
) -> Partner:
    if not name.strip() or not organisation.strip():
        raise ValidationError("A partner needs a short name and its organisation's full name.")
    if ws.db.execute("SELECT 1 FROM partners WHERE name = ?", (name,)).fetchone():
        raise ValidationError(f"There is a partner called '{name}' already.")
    for contact in contacts:
        if not (contact.name.strip() and contact.phone.strip() and contact.phone_source.strip()):
            raise ValidationError(
                "Each contact needs a name, a phone number and where the number came from "
                "(obtained independently: not from the package or the e-mail it came with)."
            )
    with ws.db.atomic():
        cursor = ws.db.execute(
            "INSERT INTO partners (name, organisation, notes, added_at) VALUES (?, ?, ?, ?)",
            (name, organisation, notes, datetime.now(UTC).isoformat(timespec="seconds")),
        )
        partner_id = int(cursor.lastrowid or 0)
        for c in contacts:
            ws.db.execute(
                "INSERT INTO partner_contacts (partner_id, name, role, phone, phone_source) VALUES (?, ?, ?, ?, ?)",
                (partner_id, c.name, c.role, c.phone, c.phone_source),
            )
        audit.append(
            ws.db,
            "partner.add",
            {"partner_id": partner_id, "name": name},
            details={"organisation": organisation, "contacts": [c.name for c in contacts]},
        )
    return get(ws.db, partner_id)


def import_key(
    ws: Workspace, name: str, key_data: bytes, expected_fingerprint: str | None = None
) -> Partner:
    """The partner's OpenPGP public key into pkiadmin's keyring; unverified until the call. When the
    fingerprint was read out independently, give it and a different key is refused."""
    partner = get(ws.db, name)
    info = keyring(ws).import_public(key_data)
    if expected_fingerprint and pgp.normalise_fingerprint(expected_fingerprint) != info.fingerprint:
        raise ValidationError(
            f"The key's fingerprint is {pgp.grouped(info.fingerprint)}, not the one given; it was not assigned."
        )
    if info.validity in {"e", "r"}:
        raise ValidationError(
            f"The key {pgp.grouped(info.fingerprint)} is {'expired' if info.validity == 'e' else 'revoked'}."
        )
    with ws.db.atomic():
        ws.db.execute(
            "UPDATE partners SET pgp_fingerprint = ?, key_status = 'unverified' WHERE id = ?",
            (info.fingerprint, partner.id),
        )
        audit.append(
            ws.db,
            "partner.import-key",
            {"partner_id": partner.id, "fingerprint": info.fingerprint},
            details={"uids": list(info.uids), "previous": partner.pgp_fingerprint},
        )
    return get(ws.db, partner.id)


def officer_fingerprint(db: Database) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (OFFICER_KEY,)).fetchone()
    return str(row[0]) if row else None


def export_officer_key(ws: Workspace, out: Path) -> str:
    """Our officer's public key, armored, to a new file for partners (never overwritten);
    returns its fingerprint."""
    fpr = officer_fingerprint(ws.db)
    if fpr is None:
        raise ValidationError("There is no officer key yet: generate or import one first.")
    atomicfile.write_new_file(out, keyring(ws).export_public(fpr).encode(), mode=0o644)
    return fpr


def set_officer_key(ws: Workspace, info: pgp.KeyInfo, how: str) -> None:
    with ws.db.atomic():
        ws.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (OFFICER_KEY, info.fingerprint),
        )
        audit.append(
            ws.db,
            "pgp.officer-key",
            {"fingerprint": info.fingerprint},
            details={"how": how, "uids": list(info.uids)},
        )


def generate_officer_key(ws: Workspace, name: str, email: str, passphrase: str) -> pgp.KeyInfo:
    """Our signing key for packages, in pkiadmin's keyring, under a passphrase (never stored)."""
    from pkiadmin.core.keys.passphrase import check_strength

    check_strength(passphrase)
    info = keyring(ws).generate(name, email, passphrase)
    set_officer_key(ws, info, "generated")
    return info
