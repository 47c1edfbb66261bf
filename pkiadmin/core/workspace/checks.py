"""What is checked of a workspace folder before its database is opened, for writing or only for
reading (a light module: neither SQLite nor sqlite-utils)."""

from __future__ import annotations

import stat
from pathlib import Path

from pkiadmin.core.base.errors import WorkspaceError

DB_NAME = "pkiadmin.db"
PRIVATE_DIRS = ("keys", "gnupg")


def is_workspace(path: Path) -> bool:
    return (path / DB_NAME).is_file()


def database_path(path: Path) -> Path:
    """The database of the workspace at `path` (absolute), once the folder is one and its
    private folders are private; else a WorkspaceError that says what to do."""
    if not path.exists():
        raise WorkspaceError(
            f"There is no workspace at {path}. Create one with: pkiadmin-cli workspace init"
        )
    if not is_workspace(path):
        raise WorkspaceError(
            f"{path} is not a pkiadmin workspace (it has no {DB_NAME}). "
            "Create one with: pkiadmin-cli workspace init, or choose the right folder."
        )
    for name in PRIVATE_DIRS:
        folder = path / name
        if not folder.is_dir():
            raise WorkspaceError(
                f"The workspace folder {folder} is missing. Restore it from a backup."
            )
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o077:
            raise WorkspaceError(
                f"{folder} can be read by other users (mode {mode:04o}). Run: chmod 700 '{folder}'"
            )
    return path / DB_NAME
