"""Where the workspace is by default, apart from the modules that open it (which import SQLite
and the schema): the GUI shows its window before it needs them."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "PKIADMIN_WORKSPACE"


def default_path() -> Path:
    """$PKIADMIN_WORKSPACE, else the platform's per-user data folder."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs  # only here: with $PKIADMIN_WORKSPACE set, it is not needed

    return Path(platformdirs.user_data_dir("pkiadmin", appauthor=False)) / "workspace"
