"""A package looked at without decrypting it: its size, its SHA-256 (to compare with what the
sender says) and the OpenPGP keys it is encrypted to (ours should be among them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pkiadmin.core.base.errors import StorageError
from pkiadmin.core.exchange import partners
from pkiadmin.core.workspace.folder import Workspace

MAX_BYTES = 256 * 1024 * 1024  # as package_open's bound on what it reads


@dataclass(frozen=True)
class Inspection:
    path: Path
    size: int
    sha256: str
    recipients: tuple[str, ...]  # key ids it is encrypted to

    def describe(self) -> str:
        lines = [f"{self.path}: {self.size:,} bytes, SHA-256 {self.sha256}"]
        lines += [f"  encrypted to key id {k}" for k in self.recipients] or [
            "  encrypted to no key (not an OpenPGP encrypted message)"
        ]
        return "\n".join(lines)


def inspect(ws: Workspace, path: Path) -> Inspection:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise StorageError(f"{path} is {size:,} bytes: far more than a trust package.")
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"Cannot read {path}: {exc.strerror}.") from exc
    keyring = partners.keyring(ws)
    recipients = keyring.call("list recipients", lambda: keyring.gpg.get_recipients(data))
    return Inspection(path, size, hashlib.sha256(data).hexdigest(), tuple(recipients or ()))
