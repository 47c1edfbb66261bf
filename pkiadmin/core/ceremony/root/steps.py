"""The ceremony's steps, what each one does, and the records the steps produce."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from pkiadmin.core.base import fingerprint
from pkiadmin.core.ceremony.root.plan import CeremonyPlan
from pkiadmin.core.workspace.folder import Workspace


class Step(enum.Enum):
    PLAN_REVIEW = "plan-review"
    PREFLIGHT = "preflight"
    KEY_GENERATION = "key-generation"
    SHARE_DISTRIBUTION = "share-distribution"
    RECOVERY_TEST = "recovery-test"
    ROOT_SIGNING = "root-signing"
    FINGERPRINT = "fingerprint"
    BACKUP = "backup"
    SIGN_OFF = "sign-off"

    @property
    def title(self) -> str:
        return _TITLES[self][0]

    @property
    def explanation(self) -> str:
        return _TITLES[self][1]


_TITLES = {
    Step.PLAN_REVIEW: (
        "Plan review",
        "Read the plan's SHA-256 aloud in PGP words; everyone compares it with the reviewed printout.",
    ),
    Step.PREFLIGHT: (
        "Pre-flight checks",
        "Network off, clock read aloud and confirmed, software hashes recorded, workspace and backup medium writable, custodians present.",
    ),
    Step.KEY_GENERATION: (
        "Root key generation",
        "Generate the root key and a random 128-bit passphrase; encrypt the key under it.",
    ),
    Step.SHARE_DISTRIBUTION: (
        "Custodian shares",
        "Split the passphrase with SLIP-39; each custodian receives and writes down their share, one at a time.",
    ),
    Step.RECOVERY_TEST: (
        "Recovery test",
        "A quorum of custodians types their shares back; pkiadmin proves they unlock the key.",
    ),
    Step.ROOT_SIGNING: (
        "Root certificate",
        "Lint a throw-away-key copy, self-sign the root, check the signed TBS equals the linted one, verify, lint again.",
    ),
    Step.FINGERPRINT: (
        "Fingerprint read-aloud",
        "Read the root's SHA-256 aloud in PGP words; the witness confirms it matches the screen.",
    ),
    Step.BACKUP: (
        "Key backup",
        "Write the encrypted key to the backup medium and verify it by reading it back.",
    ),
    Step.SIGN_OFF: ("Sign-off", "Every participant signs off the ceremony."),
}
STEPS = tuple(Step)


@dataclass(frozen=True)
class KeyFacts:
    algorithm: str
    spki_sha256: str

    @property
    def spki_words(self) -> tuple[str, ...]:
        return fingerprint.pgp_words(bytes.fromhex(self.spki_sha256))


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str


@dataclass(frozen=True)
class CeremonyResult:
    ceremony_id: int
    ca_id: int
    cert_id: int
    key_path: Path | None  # None when the key is on a token
    report_dir: Path
    key_uri: str | None = None

    @property
    def key_location(self) -> str:
        return self.key_uri or str(self.key_path)


@dataclass(frozen=True)
class CeremonyFacts:
    """What finishing the ceremony needs from its run, frozen at the end (never the live run)."""

    ws: Workspace
    ceremony_id: int  # the ceremonies row
    plan: CeremonyPlan
    rehearsal: bool
    certificate: x509.Certificate
    report_facts: Mapping[str, Any]  # facts, never secrets
