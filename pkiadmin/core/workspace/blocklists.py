"""Blocklists of known-compromised keys installed in the workspace (keys/known_bad.py checks
them). The machine is air-gapped, so a list arrives on a medium: badkeys' `blocklist.dat` (or
`.dat.xz`) with, ideally, its `badkeysdata.json`, whose SHA-256 for the list is checked. Each list
is kept under `blocklists/` by its SHA-256, recorded in the workspace and audited; before a list
is used its size and modification time are checked against what was recorded, and its SHA-256
once per process, so a list changed or removed behind pkiadmin's back stops every signing until
it is installed again."""

from __future__ import annotations

import contextlib
import hashlib
import json
import lzma
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.keys import known_bad
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

META_KEY = "blocklists"
FOLDER = "blocklists"
_CHUNK = 1 << 20
_MAX_METADATA = 1 << 20


@dataclass(frozen=True)
class Installed:
    name: str  # the file name it was installed from
    sha256: str
    entries: int
    lists: dict[int, str]  # list id -> name, from badkeysdata.json (may be empty)
    installed_at: str
    metadata_checked: bool

    @property
    def file_name(self) -> str:
        return f"{self.sha256}.dat"

    def describe(self) -> str:
        names = ", ".join(sorted(set(self.lists.values()))) or "list names unknown"
        checked = (
            "hash checked against its badkeysdata.json"
            if self.metadata_checked
            else ("no badkeysdata.json given: its hash was not checked against the publisher's")
        )
        return (
            f"{self.name}: {self.entries:,} keys ({names}); SHA-256 {self.sha256}; "
            f"installed {self.installed_at}; {checked}"
        )


def recorded(ws: Workspace) -> list[Installed]:
    row = ws.db.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is None:
        return []
    return [
        Installed(
            str(item["name"]),
            str(item["sha256"]),
            int(item["entries"]),
            {int(k): str(v) for k, v in dict(item["lists"]).items()},
            str(item["installed_at"]),
            bool(item["metadata_checked"]),
        )
        for item in json.loads(row[0])
    ]


def _save(ws: Workspace, items: list[Installed]) -> None:
    value = json.dumps(
        [
            {
                "name": i.name,
                "sha256": i.sha256,
                "entries": i.entries,
                "lists": {str(k): v for k, v in i.lists.items()},
                "installed_at": i.installed_at,
                "metadata_checked": i.metadata_checked,
            }
            for i in items
        ],
        sort_keys=True,
    )
    ws.db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (META_KEY, value),
    )


def _list_names(metadata: Path | None, sha256: str) -> tuple[dict[int, str], bool]:
    if metadata is None:
        return {}, False
    try:
        if metadata.stat().st_size > _MAX_METADATA:
            raise ValidationError(f"{metadata.name} is far larger than a badkeysdata.json.")
        data: Any = json.loads(metadata.read_text(encoding="utf-8"))
        expected = str(data["blocklist_sha256"]).lower()
        lists = {int(b["id"]): str(b["name"])[:80] for b in data.get("blocklists", [])}
    except OSError as exc:
        raise ValidationError(f"{metadata.name} cannot be read ({exc.strerror}).") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(
            f"{metadata.name} is not a badkeys badkeysdata.json (it needs blocklist_sha256 and "
            "blocklists)."
        ) from exc
    if expected != sha256:
        raise ValidationError(
            f"The blocklist's SHA-256 is {sha256}, but {metadata.name} says it must be "
            f"{expected}: the file is damaged or not the one published with it. Nothing was "
            "installed."
        )
    return lists, True


def _unpack(source: Path, target: Path) -> str:
    """Copy (or unpack, for .xz) source to target; the SHA-256 of what was written."""
    digest = hashlib.sha256()
    packed = source.suffix.lower() == ".xz"
    with lzma.open(source, "rb") if packed else source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def install(ws: Workspace, source: Path, metadata: Path | None = None) -> Installed:
    """Check and install one blocklist; audited. Raises ValidationError and installs nothing
    when the file is not a blocklist or its hash is not the one its metadata names."""
    folder = ws.path / FOLDER
    folder.mkdir(exist_ok=True)
    staging = folder / f".installing-{os.getpid()}.dat"
    try:
        try:
            sha256 = _unpack(source, staging)
        except (OSError, lzma.LZMAError, EOFError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ValidationError(f"{source.name} cannot be read ({why}).") from exc
        lists, checked = _list_names(metadata, sha256)
        with staging.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            problem = "it is empty" if size == 0 else None
            if problem is None:
                blocklist = known_bad.Blocklist(staging)
                problem = known_bad.check_format(blocklist.open())
                blocklist.close()
        if problem is not None:
            raise ValidationError(
                f"{source.name} is not a blocklist of known-bad keys: {problem}. Nothing was "
                "installed."
            )
        items = recorded(ws)
        if any(i.sha256 == sha256 for i in items):
            raise ValidationError(f"This blocklist ({sha256}) is installed already.")
        entry = Installed(
            source.name,
            sha256,
            size // known_bad.RECORD,
            lists,
            datetime.now(UTC).isoformat(timespec="seconds"),
            checked,
        )
        with ws.db.atomic():
            staging.replace(folder / entry.file_name)
            _save(ws, [*items, entry])
            audit.append(
                ws.db,
                "keys.blocklist-install",
                {"blocklist": entry.name},
                artefacts=(audit.Artefact("blocklist", sha256),),
                details={
                    "entries": entry.entries,
                    "lists": sorted(set(lists.values())),
                    "metadata_checked": checked,
                },
            )
        return entry
    finally:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()


def remove(ws: Workspace, which: str) -> Installed:
    """Remove one list, named by its file name or SHA-256; audited."""
    items = recorded(ws)
    gone = [i for i in items if which in (i.sha256, i.name)]
    if len(gone) != 1:
        raise ValidationError(
            f"No installed blocklist is named or has the SHA-256 '{which}'"
            + (
                f"; installed: {', '.join(i.name for i in items)}."
                if items
                else "; none is installed."
            )
        )
    with ws.db.atomic():
        _save(ws, [i for i in items if i is not gone[0]])
        audit.append(
            ws.db,
            "keys.blocklist-remove",
            {"blocklist": gone[0].name},
            artefacts=(audit.Artefact("blocklist", gone[0].sha256),),
        )
    with contextlib.suppress(FileNotFoundError):
        (ws.path / FOLDER / gone[0].file_name).unlink()
    return gone[0]


# Lists whose SHA-256 this process has checked, by (path, size, mtime): a batch of CSRs hashes
# a list of hundreds of MB once, not once a certificate.
_verified: dict[tuple[str, int, int], known_bad.Blocklist] = {}


def installed(ws: Workspace) -> tuple[known_bad.Blocklist, ...]:
    """Every installed list, checked against its record. Raises CheckFailedError if one was
    changed or removed since it was installed."""
    lists = []
    for item in recorded(ws):
        path = ws.path / FOLDER / item.file_name
        try:
            stat = path.stat()
        except OSError:
            stat = None
        if stat is None or stat.st_size != item.entries * known_bad.RECORD:
            raise _changed(item, "is missing" if stat is None else "has changed size")
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        found = _verified.get(key)
        if found is None:
            digest = hashlib.sha256()
            with path.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != item.sha256:
                raise _changed(item, "was changed")
            found = _verified[key] = known_bad.Blocklist(path, item.lists)
        lists.append(found)
    return tuple(lists)


def _changed(item: Installed, what: str) -> CheckFailedError:
    return CheckFailedError(
        f"The known-bad-key blocklist {item.name} ({item.sha256[:16]}…) {what} since it was "
        "installed, so keys cannot be checked against it and nothing is signed. Install it again "
        "from its medium (keys blocklist install), or remove it (keys blocklist remove)."
    )
