"""What a key-use ceremony produced, as frozen records: each signed output, and the facts the
report is built from (so the report never needs the live run)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pkiadmin.core.ceremony.keyuse.plan import KeyUsePlan
from pkiadmin.core.ceremony.step_run import StepLike
from pkiadmin.core.workspace.folder import Workspace


@dataclass(frozen=True)
class Output:
    """One thing the ceremony signed: its file in the report folder and the bytes read aloud."""

    name: str
    file: str
    data: bytes
    der: bytes

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.der).digest()


@dataclass(frozen=True)
class KeyUseFacts:
    """The run as the report sees it: where, which plan, the steps and what each produced."""

    ws: Workspace
    ceremony_id: int
    plan: KeyUsePlan
    steps: Sequence[StepLike]
    step_results: Mapping[str, Any]
    outputs: tuple[Output, ...]
