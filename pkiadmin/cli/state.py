"""What the top-level command hands its subcommands (kept apart from cli/context.py, which
imports the domain, so that `pkiadmin-cli --help` imports nothing it does not show)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

ENV_VAR = "PKIADMIN_WORKSPACE"  # as core/workspace/location.py reads it


@dataclasses.dataclass
class CliState:
    workspace_path: Path | None  # None: the default (the environment, else the per-user folder)
