"""Fixtures for the partner tests: a partner with their own GnuPG home, and our officer key."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pkiadmin.core import partners
from pkiadmin.core.workspace import Workspace
from tests.package_helpers import OFFICER_PASSPHRASE, gpg, kill_agent, make_key, new_home


@dataclass
class Exchange:
    ws: Workspace
    home: Path  # the partner's own GnuPG home
    partner_fpr: str
    officer_fpr: str


@pytest.fixture
def exchange(root_ws: Workspace) -> Iterator[Exchange]:
    home = new_home()
    partner_fpr = make_key(home, "Pat Partner <pat@partner.example>")
    officer = partners.generate_officer_key(
        root_ws, "Olivia Officer", "olivia@example.com", OFFICER_PASSPHRASE
    )
    partners.add(
        root_ws,
        "partner",
        "Partner SA",
        (
            partners.Contact(
                "Pat Partner", "security officer", "+33 1 23 45 67 89", "signed contract, annex 2"
            ),
        ),
    )
    exported = gpg(home, "--armor", "--export", partner_fpr).stdout
    partners.import_key(root_ws, "partner", exported, partner_fpr)
    ours = partners.keyring(root_ws).export_public(officer.fingerprint).encode()
    assert gpg(home, "--import", data=ours).returncode == 0
    yield Exchange(root_ws, home, partner_fpr, officer.fingerprint)
    kill_agent(home)
    partners.keyring(root_ws).stop_agent()
    shutil.rmtree(home, ignore_errors=True)
