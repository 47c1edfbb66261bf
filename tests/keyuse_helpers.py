"""A scripted room for key-use ceremonies: who confirms what, and what they answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony.keyuse.facts import Output
from pkiadmin.core.ceremony.keyuse.plan import KeyUsePlan
from pkiadmin.core.ceremony.keyuse.run import KeyUseStep, Review
from pkiadmin.core.ceremony.people import Participant
from pkiadmin.core.issuance.authorities import Authority
from tests.conftest import PASSPHRASE

PARTICIPANTS = """
[[participants]]
name = "Alice Administrator"
role = "administrator"

[[participants]]
name = "Ivan Internal"
role = "internal-witness"
"""


def signing_plan(issuer: str, csr_sha256: str, plan_id: str = "SIGN-1", extra: str = "") -> str:
    return f"""[ceremony]
kind = "sign-intermediate"
id = "{plan_id}"
purpose = "Sign the issuing CA"
cps_reference = "CPS 1.0"
{PARTICIPANTS}
[signing]
issuer = "{issuer}"
csr_sha256 = "{csr_sha256}"
profile = "issuing"
validity_days = 1825
{extra}"""


def end_entity_plan(
    issuer: str, csr_sha256: str, profile: str = "ocsp-responder", extra: str = ""
) -> str:
    return f"""[ceremony]
kind = "sign-end-entity"
id = "OCSP-1"
purpose = "Sign the delegated OCSP responder"
cps_reference = "CPS 1.0, 4.9.10"
{PARTICIPANTS}
[signing]
issuer = "{issuer}"
csr_sha256 = "{csr_sha256}"
profile = "{profile}"
{extra}"""


@dataclass
class ScriptedRoom:
    """Answers like the people in the room would; lists what they were shown."""

    passphrases: list[str] = field(default_factory=lambda: [PASSPHRASE])
    shares: list[list[str]] = field(default_factory=list)
    review_matches: bool = True
    fingerprint_matches: bool = True
    retry: int = 0
    shown: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def announce(self, step: KeyUseStep) -> None:
        self.shown.append(f"== {step.title}")

    def confirm_plan(self, plan: KeyUsePlan) -> bool:
        self.shown += plan.summary_lines()
        return True

    def preflight_inputs(self, plan: KeyUsePlan) -> tuple[str, str | None]:
        return "Ivan Internal", "a test machine has a network"

    def review(self, plan: KeyUsePlan, shown: Review) -> tuple[str, bool]:
        self.shown += shown.lines
        return "Ivan Internal", self.review_matches

    def unlock(self, authority: Authority) -> tuple[str | None, Sequence[str] | None]:
        if authority.needs_shares:
            return None, self.shares.pop(0)
        return self.passphrases.pop(0), None

    def fingerprint(self, plan: KeyUsePlan, outputs: Sequence[Output]) -> tuple[str, bool]:
        self.shown += [f"{o.file} {o.sha256.hex()}" for o in outputs]
        return "Ivan Internal", self.fingerprint_matches

    def acknowledge(self, step: KeyUseStep, person: Participant) -> bool:
        return True

    def sign_off(self, person: Participant) -> bool:
        return True

    def retry_after(self, step: KeyUseStep, error: PkiError) -> bool:
        self.errors.append(str(error))
        if self.retry > 0:
            self.retry -= 1
            return True
        return False


def rollover_plan(old_root: str, new_cn: str, extra: str = "") -> str:
    return f"""[ceremony]
kind = "root-rollover"
id = "ROLLOVER-1"
purpose = "Roll the root over to a new key"
cps_reference = "CPS 1.0, 5.6"
{PARTICIPANTS}
[rollover]
old_root = "{old_root}"
common_name = "{new_cn}"
organization = "Example Ltd"
country = "SE"
{extra}"""
