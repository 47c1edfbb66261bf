"""Fixtures for the partner tests: a partner with their own GnuPG home, and our officer key.

The keys are made once per session (OpenPGP key generation is the slow part of these tests); each
test gets its own copy of the workspace and of the partner's GnuPG home."""

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


def _setup(ws: Workspace) -> Exchange:
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
    return Exchange(ws, home, partner_fpr, officer.fingerprint)


def _stop(made: Exchange) -> None:
    kill_agent(made.home)
    partners.keyring(made.ws).stop_agent()


@contextmanager
def _exchange(ws: Workspace) -> Iterator[Exchange]:
    made = _setup(ws)
    try:
        yield made
    finally:
        _stop(made)
        shutil.rmtree(made.home, ignore_errors=True)


# Sockets and locks of the agent that made the keys stay behind; a copy starts its own agent.
_NOT_COPIED = shutil.ignore_patterns("S.*", "*.lock", ".#lk*", "random_seed")


@pytest.fixture(scope="session")
def _exchange_template(
    _root_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exchange]:
    target = tmp_path_factory.mktemp("exchange") / "rootws"
    shutil.copytree(_root_template, target)
    with workspace.open_workspace(target) as ws:
        made = _setup(ws)
        _stop(made)
    try:
        yield made
    finally:
        shutil.rmtree(made.home, ignore_errors=True)


@pytest.fixture
def exchange(_exchange_template: Exchange, tmp_path: Path) -> Iterator[Exchange]:
    """A copy of the session's exchange: this test's own workspace and partner GnuPG home."""
    ws_path = tmp_path / "ws"
    shutil.copytree(_exchange_template.ws.path, ws_path, ignore=_NOT_COPIED, symlinks=True)
    home = new_home()
    shutil.copytree(_exchange_template.home, home, ignore=_NOT_COPIED, dirs_exist_ok=True)
    with workspace.open_workspace(ws_path) as ws:
        made = Exchange(ws, home, _exchange_template.partner_fpr, _exchange_template.officer_fpr)
        try:
            yield made
        finally:
            _stop(made)
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def shared_exchange(
    _root_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exchange]:
    """One exchange for a module whose tests each add a package and look at that one only."""
    target = tmp_path_factory.mktemp("shared") / "rootws"
    shutil.copytree(_root_template, target)
    with workspace.open_workspace(target) as ws, _exchange(ws) as made:
        yield made
