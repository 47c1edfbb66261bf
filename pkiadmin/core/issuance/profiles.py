"""The end-entity profiles a workspace knows: the built-in ones, and those the operator imported
(stored as reviewed TOML, every change audited)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pkiadmin.core.base import atomicfile, strict_toml
from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import cert_profiles
from pkiadmin.core.x509.cert_profiles import CertProfile, ProfileError

if TYPE_CHECKING:
    from sqlite_utils import Database


def all_profiles(db: Database) -> dict[str, CertProfile]:
    """Built-in first, then the workspace's own, by name."""
    found = cert_profiles.builtin_profiles()
    for name, text in db.execute("SELECT name, toml FROM cert_profiles ORDER BY name"):
        found[str(name)] = cert_profiles.parse(str(text), f"{name}.toml")
    return found


def get(db: Database, name: str) -> CertProfile:
    profiles = all_profiles(db)
    if name not in profiles:
        raise NotFoundError(
            f"There is no end-entity profile '{name}' (there are: {', '.join(profiles)}). "
            "List them with: pkiadmin-cli profile list"
        )
    return profiles[name]


def import_profile(ws: Workspace, path: Path) -> CertProfile:
    """Check a profile file strictly and store it; a built-in name cannot be taken."""
    text = strict_toml.read_text_file(path, "profile", ProfileError)
    profile = cert_profiles.parse(text, path.name)
    if profile.name in cert_profiles.builtin_profiles():
        raise ValidationError(
            f"'{profile.name}' is a built-in profile; give yours another name (its [profile] name)."
        )
    digest = hashlib.sha256(text.encode()).hexdigest()
    with ws.db.atomic():
        before = ws.db.execute(
            "SELECT sha256 FROM cert_profiles WHERE name = ?", (profile.name,)
        ).fetchone()
        ws.db.execute(
            "INSERT INTO cert_profiles (name, toml, sha256, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET toml = excluded.toml, sha256 = excluded.sha256,"
            " added_at = excluded.added_at",
            (profile.name, text, digest, datetime.now(UTC).isoformat()),
        )
        audit.append(
            ws.db,
            "profile.import",
            {"profile": profile.name},
            artefacts=(audit.Artefact(f"profile {profile.name}", digest),),
            details={"file": str(path), "replaced": str(before[0]) if before else None},
        )
    return profile


def remove(ws: Workspace, name: str) -> None:
    if name in cert_profiles.builtin_profiles():
        raise ValidationError(f"'{name}' is built in; only profiles you imported can be removed.")
    with ws.db.atomic():
        row = ws.db.execute("SELECT sha256 FROM cert_profiles WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"There is no imported profile '{name}'.")
        ws.db.execute("DELETE FROM cert_profiles WHERE name = ?", (name,))
        audit.append(ws.db, "profile.remove", {"profile": name}, details={"sha256": str(row[0])})


def export(ws: Workspace, name: str, out: Path) -> Path:
    """The profile's TOML, exactly as reviewed, to a new file."""
    data = get(ws.db, name).text.encode()
    atomicfile.write_new_file(out, data, mode=0o644)
    with ws.db.atomic():
        audit.append(
            ws.db,
            "profile.export",
            {"profile": name},
            artefacts=(audit.Artefact(str(out), hashlib.sha256(data).hexdigest()),),
        )
    return out
