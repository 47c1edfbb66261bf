"""The passphrase rule for private keys: long enough to resist offline guessing of the key file."""

from __future__ import annotations

from pkiadmin.core.base.errors import PassphraseError

MIN_LENGTH = 16
MIN_DISTINCT = 8


def check_strength(passphrase: str) -> None:
    """Raise PassphraseError unless the passphrase meets the minimum-strength rule.

    The key file may be copied and attacked offline for years, so the rule asks for length
    (NIST SP 800-63B favours length over composition rules) and rejects trivially repetitive text.
    """
    if len(passphrase) < MIN_LENGTH:
        raise PassphraseError(
            f"The passphrase is too short: it has {len(passphrase)} characters and needs at least "
            f"{MIN_LENGTH}. A sentence of four or more unrelated words works well."
        )
    if passphrase != passphrase.strip():
        raise PassphraseError(
            "The passphrase starts or ends with a space; remove it, since it is easy to lose "
            "when the passphrase is typed again."
        )
    if len(set(passphrase)) < MIN_DISTINCT:
        raise PassphraseError(
            f"The passphrase repeats too few characters (it needs at least {MIN_DISTINCT} "
            "different ones). Choose one that is hard to guess."
        )


def check_new(passphrase: str, confirmation: str) -> None:
    """Check a new passphrase entered twice."""
    if passphrase != confirmation:
        raise PassphraseError("The two passphrase entries differ. Type the same passphrase twice.")
    check_strength(passphrase)
