"""Shared fixtures. With PKIADMIN_TEST_WITHOUT_QT=1, PySide6 cannot be imported at all."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from pkiadmin.core.issuance.root import RootCaRequest, RootCaResult, create_root_ca
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.names import SubjectSpec

PASSPHRASE = "correct horse battery staple"


class _QtBlocker(importlib.abc.MetaPathFinder):
    """Makes PySide6 unimportable, as if it were not installed (core/cli must not need it)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".", maxsplit=1)[0] in {"PySide6", "shiboken6"}:
            raise ModuleNotFoundError(
                f"No module named '{fullname}' (blocked for the Qt-free test run)"
            )
        return None


if os.environ.get("PKIADMIN_TEST_WITHOUT_QT"):
    if any(name.split(".")[0] in {"PySide6", "shiboken6"} for name in sys.modules):
        raise RuntimeError("PySide6 was imported before the Qt-free test run could block it")
    sys.meta_path.insert(0, _QtBlocker())


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A new, empty workspace."""
    opened = workspace.create(tmp_path / "ws")
    yield opened
    opened.close()


def make_root(ws: Workspace, cn: str = "Test Root CA", **kwargs: object) -> RootCaResult:
    request = RootCaRequest(SubjectSpec(cn, "Example Ltd", country="DE"), **kwargs)  # type: ignore[arg-type]
    return create_root_ca(ws, request, PASSPHRASE)


@pytest.fixture(scope="session")
def _root_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ws"
    with workspace.create(path) as opened:
        make_root(opened)
        opened.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def root_ws_path(_root_template: Path, tmp_path: Path) -> Path:
    """A workspace folder holding one EC P-384 root CA (copied from a session template)."""
    target = tmp_path / "rootws"
    shutil.copytree(_root_template, target)
    return target


@pytest.fixture
def root_ws(root_ws_path: Path) -> Iterator[Workspace]:
    opened = workspace.open_workspace(root_ws_path)
    yield opened
    opened.close()


def counts(ws: Workspace) -> tuple[int, int, int, list[str]]:
    """(certificates, authorities, audit entries, key files): what a failed operation must leave unchanged."""
    db = ws.db
    return (
        db.execute("SELECT count(*) FROM certificates").fetchone()[0],
        db.execute("SELECT count(*) FROM authorities").fetchone()[0],
        db.execute("SELECT count(*) FROM audit_log").fetchone()[0],
        sorted(p.name for p in ws.keys_dir.iterdir()),
    )


TOKEN_PIN = "4711-0815"
SO_PIN = "87654321"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SoftHSM2 token directory for this test run. The PKCS#11 module reads SOFTHSM2_CONF once,
    when it is first loaded in the process, so every token of the run lives here."""
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    return folder


def init_token(label: str) -> str:
    """Initialise a SoftHSM2 token with user PIN TOKEN_PIN (as its owner would, outside pkiadmin)."""
    import subprocess

    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            SO_PIN,
            "--pin",
            TOKEN_PIN,
        ],
        check=True,
        capture_output=True,
    )
    return label


@pytest.fixture
def token(softhsm: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty token with user PIN TOKEN_PIN; its label is unique to the test. Whatever the
    test left logged in is logged out afterwards."""
    import hashlib

    from pkiadmin.core.keys import pkcs11 as hsm

    yield init_token("t-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20])
    hsm.logout_all()
