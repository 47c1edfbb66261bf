"""The passphrase rule."""

from __future__ import annotations

import pytest

from pkiadmin.core.base.errors import PassphraseError
from pkiadmin.core.keys.passphrase import check_new, check_strength


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("short", "too short: it has 5 characters and needs at least 16"),
        ("aaaaaaaaaaaaaaaaaaaa", "at least 8 different"),
        (" correct horse battery", "starts or ends with a space"),
    ],
)
def test_weak_passphrases_are_refused(value: str, message: str) -> None:
    with pytest.raises(PassphraseError, match=message):
        check_strength(value)


def test_strong_passphrase_passes() -> None:
    check_strength("correct horse battery staple")


def test_entries_must_match() -> None:
    with pytest.raises(PassphraseError, match="two passphrase entries differ"):
        check_new("correct horse battery staple", "correct horse battery stapel")
