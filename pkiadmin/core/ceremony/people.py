"""Who takes part in a ceremony, and in which role (every kind of ceremony plan has them)."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from pkiadmin.core.base.errors import ValidationError


class Role(enum.Enum):
    ADMINISTRATOR = "administrator"
    INTERNAL_WITNESS = "internal-witness"
    WITNESS = "witness"
    CUSTODIAN = "custodian"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Participant:
    name: str
    role: Role


class PlanPeople:
    """What every plan answers: its hash, and who is in the room in which role."""

    participants: tuple[Participant, ...]
    text: str

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.text.encode("utf-8")).digest()

    def by_role(self, role: Role) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if p.role is role)

    @property
    def administrator(self) -> Participant:
        return self.by_role(Role.ADMINISTRATOR)[0]

    @property
    def internal_witness(self) -> Participant:
        return self.by_role(Role.INTERNAL_WITNESS)[0]

    def participant(self, name: str) -> Participant:
        for p in self.participants:
            if p.name == name:
                return p
        raise ValidationError(f"'{name}' is not a participant in the plan.")
