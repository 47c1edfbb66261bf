"""Fixtures for the partner tests: a partner with their own GnuPG home, and our officer key."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from pkiadmin.core.exchange import partners
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.workspace.folder import Workspace
from tests.package_helpers import OFFICER_PASSPHRASE, gpg, kill_agent, make_key, new_home


@dataclass
class Exchange:
    ws: Workspace
    home: Path  # the partner's own GnuPG home
    partner_fpr: str
    officer_fpr: str


@contextmanager
def _exchange(ws: Workspace) -> Iterator[Exchange]:
    home = new_home()
    partner_fpr = make_key(home, "Pat Partner <pat@partner.example>")
    officer = partners.generate_officer_key(
        ws, "Olivia Officer", "olivia@example.com", OFFICER_PASSPHRASE
    )
    partners.add(
        ws,
        "partner",
        "Partner SA",
        (
            partners.Contact(
                "Pat Partner", "security officer", "+33 1 23 45 67 89", "signed contract, annex 2"
            ),
        ),
    )
    exported = gpg(home, "--armor", "--export", partner_fpr).stdout
    partners.import_key(ws, "partner", exported, partner_fpr)
    ours = partners.keyring(ws).export_public(officer.fingerprint).encode()
    assert gpg(home, "--import", data=ours).returncode == 0
    try:
        yield Exchange(ws, home, partner_fpr, officer.fingerprint)
    finally:
        kill_agent(home)
        partners.keyring(ws).stop_agent()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def exchange(root_ws: Workspace) -> Iterator[Exchange]:
    with _exchange(root_ws) as made:
        yield made


@pytest.fixture(scope="module")
def shared_exchange(
    _root_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exchange]:
    """One exchange for a module whose tests each add a package and look at that one only."""
    target = tmp_path_factory.mktemp("shared") / "rootws"
    shutil.copytree(_root_template, target)
    with workspace.open_workspace(target) as ws, _exchange(ws) as made:
        yield made
