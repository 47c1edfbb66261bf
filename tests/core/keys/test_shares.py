"""Custodian shares forgive what custodians do in the room and name what cannot work: more
shares than the quorum are fine, a share typed twice counts once and is named, a share of
another split is named, too few say how many more are needed."""

from __future__ import annotations

import pytest

from pkiadmin.core.base.errors import PassphraseError
from pkiadmin.core.keys import shares
from pkiadmin.core.keys.shares import CustodianGroup, CustodianScheme

TWO_OF_THREE = CustodianScheme(1, (CustodianGroup("custodians", 2, ("Carol", "Dave", "Erin")),))


def _split() -> tuple[bytes, list[str]]:
    secret = shares.new_secret()
    return secret, [s.mnemonic for s in shares.split(secret, TWO_OF_THREE)]


def test_every_share_of_a_split_is_more_than_a_quorum_and_fine() -> None:
    secret, words = _split()
    assert shares.combine(words) == secret  # all three of a 2-of-3
    assert shares.combine(words[1:]) == secret
    assert shares.combine([words[2], words[0]]) == secret


def test_a_share_given_twice_counts_once_and_is_named() -> None:
    secret, words = _split()
    assert shares.combine([words[0], words[0], words[1]]) == secret  # a quorum without it
    with pytest.raises(PassphraseError) as refused:
        shares.combine([words[0], words[0].upper()])
    text = str(refused.value)
    assert "2 are needed from this group, 1 different share(s) were given" in text
    assert "share 2 repeats share 1" in text and "counts once" in text


def test_a_share_of_another_split_is_named() -> None:
    _secret, words = _split()
    _other, foreign = _split()
    with pytest.raises(PassphraseError, match="Share 2 comes from another split"):
        shares.combine([words[0], foreign[1]])


def test_too_few_shares_say_how_many_are_needed_and_never_quote_words() -> None:
    _secret, words = _split()
    with pytest.raises(PassphraseError) as refused:
        shares.combine([words[0]])
    assert "2 are needed from this group, 1 different share(s) were given." in str(refused.value)
    assert " ".join(words[0].split()[:4]) not in str(refused.value)


def test_a_share_is_checked_word_by_word_as_it_is_typed() -> None:
    _, mnemonics = _split()
    words = mnemonics[0].split()
    assert len(words) == 20
    assert shares.check_words("").message == ""
    typing = shares.check_words(" ".join(words[:3]) + " " + words[3][:2])  # mid-word
    assert not typing.unknown and not typing.complete and typing.message == "4 word(s) of 20"
    wrong = shares.check_words(" ".join([*words[:6], "zzzz", *words[7:]]))
    assert wrong.unknown == (7,) and "word 7 is not in the SLIP-39 word list" in wrong.message
    assert shares.check_words(mnemonics[0]).complete
    assert shares.check_words(mnemonics[0]).message == "✔ 20 words, checksum correct"
    swapped = [*words[:4], words[5], words[4], *words[6:]]
    if swapped != words:
        check = shares.check_words(" ".join(swapped))
        assert not check.complete and "the checksum fails" in check.message
    # A message never quotes a word of the share.
    for check in (typing, wrong, shares.check_words(" ".join(swapped))):
        assert not any(w in check.message.split() for w in words)
