"""The revocation reasons pkiadmin records, by their RFC 5280 names (a light module: the command
line offers them without loading the revocation code)."""

from __future__ import annotations

# RFC 5280 5.3.1 names, which are also cryptography's ReasonFlags values. certificateHold,
# removeFromCRL and aACompromise are left out: holds are not used, and there are no AA certificates.
NAMES = (
    "unspecified",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "privilegeWithdrawn",
)
