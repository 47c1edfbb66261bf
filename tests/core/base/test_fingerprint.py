"""The PGP word list is pinned, and words and grouped hex come out as the reference vectors say."""

from __future__ import annotations

import hashlib

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.resources import read_bytes


def test_word_list_is_the_pinned_canonical_file() -> None:
    data = read_bytes("pgp-wordlist.txt")
    assert (
        hashlib.sha256(data).hexdigest()
        == "db6c75e54e86c5d0a8107d8c680375570c87e632964d5bf8bfe88027b4ee8185"
    )
    assert len(data.decode().splitlines()) == 256


def test_pgp_words_match_reference_vectors() -> None:
    first = bytes.fromhex("E58294F2E9A227486E8B061B31CC528FD7FA3F19")
    assert " ".join(fingerprint.pgp_words(first)) == (
        "topmost Istanbul Pluto vagabond treadmill Pacific brackish dictator goldfish Medusa "
        "afflict bravado chatter revolver Dupont midsummer stopwatch whimsical cowbell bottomless"
    )
    second = bytes.fromhex("EA5B81C564988C73EE90DEE9BAF1E07233CDE511")
    assert " ".join(fingerprint.pgp_words(second)) == (
        "Trojan exodus minnow resistor flytrap narrative offload hurricane tycoon millionaire "
        "tactics ultimate shadow vacancy tapeworm holiness chisel sandalwood topmost Babylon"
    )


def test_same_byte_reads_differently_at_even_and_odd_positions() -> None:
    # A dropped or repeated word shifts the parity, which is what makes it audible.
    assert fingerprint.pgp_words(b"\x00\x00") == ("aardvark", "adroitness")


def test_grouped_and_colon_hex() -> None:
    digest = bytes.fromhex("E58294F2E9A2")
    assert fingerprint.grouped_hex(digest) == "E582 94F2 E9A2"
    assert fingerprint.colon_hex(digest) == "E5:82:94:F2:E9:A2"
    assert fingerprint.fingerprint(b"abc").hex == hashlib.sha256(b"abc").hexdigest().upper()
