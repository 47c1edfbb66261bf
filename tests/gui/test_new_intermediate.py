"""Three tiers through the GUI alone: a root, then a policy CA and an issuing CA whose keys are
made here (File → New intermediate CA…), then a TLS server certificate signed by the issuing CA
in the signing dialog, which openssl accepts for its purpose."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.gui.dialogs import new_intermediate
from pkiadmin.gui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.gui.test_main_window import fill_and_create
from tests.gui.test_requests import csr_file

POLICY_SECRET = "policy CA passphrase for the GUI test"
ISSUING_SECRET = "issuing CA passphrase for the GUI test"


def _create(
    qtbot: QtBot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    names: tuple[str, str],
    secret: str,
    unlock_with: str,
) -> new_intermediate.NewIntermediateDialog:
    """Fill the dialog for CA names[1] under names[0]; the issuer's unlock prompt answers
    `unlock_with`."""
    issuer, cn = names
    dialog = window.authority_ops.open_new_intermediate_dialog()
    dialog.issuer.setCurrentIndex(dialog.issuer.findText(issuer, Qt.MatchFlag.MatchStartsWith))
    qtbot.keyClicks(dialog.common_name, cn)
    qtbot.keyClicks(dialog.passphrase, secret)
    qtbot.keyClicks(dialog.confirmation, secret)
    asked: list[str] = []

    def unlock(_shell: object, ca_id: int, _title: str) -> tuple[str, None]:
        asked.append(str(ca_id))
        return unlock_with, None

    monkeypatch.setattr(new_intermediate, "ask_unlock", unlock)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert asked, "the issuer's key was never asked for"
    return dialog


def test_three_tiers_and_a_server_certificate_through_the_gui(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    qtbot.waitUntil(lambda: bool(window.overview_data and window.overview_data.authorities))

    policy = _create(
        qtbot, window, monkeypatch, ("GUI Root CA", "GUI Policy CA"), POLICY_SECRET, PASSPHRASE
    )
    assert not policy.isVisible(), policy.error.text()
    # The profile followed the issuer: a root signs a policy CA.
    assert policy.profile.currentData().value == "policy"
    qtbot.waitUntil(lambda: len(window.overview_data.authorities) == 2)  # type: ignore[union-attr]
    issuing = _create(
        qtbot,
        window,
        monkeypatch,
        ("GUI Policy CA", "GUI Issuing CA"),
        ISSUING_SECRET,
        POLICY_SECRET,
    )
    assert not issuing.isVisible(), issuing.error.text()
    assert issuing.profile.currentData().value == "issuing"
    qtbot.waitUntil(lambda: len(window.overview_data.authorities) == 3)  # type: ignore[union-attr]

    tree = window.authorities.tree
    root = tree.topLevelItem(0)
    assert root is not None and root.text(0) == "GUI Root CA"
    policy_item = root.child(0)
    assert policy_item is not None and policy_item.text(0) == "GUI Policy CA"
    issuing_item = policy_item.child(0)
    assert issuing_item is not None and issuing_item.text(0) == "GUI Issuing CA"
    assert issuing_item.text(2) == "held here (passphrase)"

    # A service certificate from that issuing CA, in the signing dialog.
    window.request_ops.import_csr(csr_file(tmp_path, "www.csr", "www.example.com"))
    dialog = window.request_ops.open_sign_dialog(1)
    assert dialog is not None
    dialog.issuer.setCurrentIndex(dialog.issuer.findData(3))
    dialog.profile.setCurrentIndex(dialog.profile.findData("tls-server"))
    dialog.preview_button.click()
    dialog.checked.setChecked(True)
    dialog.secret.setText(ISSUING_SECRET)
    dialog.sign_button.click()
    assert dialog.issued is not None, dialog.error.text()

    with workspace.open_workspace(window.workspace_path) as ws:
        chain = inventory.chain(ws.db, dialog.issued.cert_id)
    leaf, *issuers = chain
    assert [c.subject.rfc4514_string().split(",")[0] for c in issuers] == [
        "CN=GUI Issuing CA",
        "CN=GUI Policy CA",
        "CN=GUI Root CA",
    ]
    pem = serialization.Encoding.PEM
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "untrusted.pem").write_bytes(b"".join(c.public_bytes(pem) for c in issuers[:2]))
    (tmp_path / "root.pem").write_bytes(issuers[2].public_bytes(pem))
    done = subprocess.run(
        [
            "openssl", "verify", "-x509_strict", "-purpose", "sslserver",
            "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "untrusted.pem"),
            str(tmp_path / "leaf.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.stdout.strip().endswith(": OK"), done.stdout + done.stderr
    bc = issuers[0].extensions.get_extension_for_class(x509.BasicConstraints).value
    assert bc.ca and bc.path_length == 0


def test_a_wrong_issuer_passphrase_is_shown_and_creates_nothing(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    qtbot.waitUntil(lambda: bool(window.overview_data and window.overview_data.authorities))
    dialog = _create(
        qtbot,
        window,
        monkeypatch,
        ("GUI Root CA", "GUI Policy CA"),
        POLICY_SECRET,
        "certainly not it",
    )
    assert dialog.isVisible()
    assert "passphrase is wrong" in dialog.error.text()
    assert dialog.create_button.isEnabled()
    with workspace.open_workspace(window.workspace_path) as ws:
        held = ws.db.execute("SELECT COUNT(*) FROM authorities").fetchone()[0]
    assert held == 1
    assert not list((window.workspace_path / "keys").glob("intermediate-*"))
