"""Custodian shares in the GUI: one hidden input per custodian, named, checked word by word as it
is typed (a wrong word found by its position, a complete share by its checksum); the dialog that
asks for them says which CA and what will be signed; all the shares of the split are fine."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QLineEdit
from pytestqt.qtbot import QtBot

from pkiadmin.core.revocation import crl as crl_records
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.gui.dialogs import share_inputs
from pkiadmin.gui.dialogs.share_inputs import ShareInputs, SharesDialog
from tests.ceremony_helpers import rehearse, share_lines
from tests.gui.conftest import shown_window


def test_each_share_is_hidden_and_checked_word_by_word(qtbot: QtBot, tmp_path: Path) -> None:
    with workspace.create(tmp_path / "ws") as ws:
        rehearse(ws, tmp_path)
    share = share_lines(tmp_path)["Carol Custodian"]
    words = share.split()
    inputs = ShareInputs(["Carol Custodian", "Dave Custodian"])
    qtbot.addWidget(inputs)
    field, check = inputs.fields[0], inputs.checks[0]
    assert field.echoMode() is QLineEdit.EchoMode.Password
    qtbot.keyClicks(field, " ".join(words[:5]) + " " + words[5][:2])
    assert check.text() == "6 word(s) of 20"
    field.setText(" ".join([*words[:8], "qqqq", *words[9:]]))
    assert check.text() == "word 9 is not in the SLIP-39 word list"
    assert "b71c1c" in check.styleSheet()  # drawn red
    inputs.show_boxes[0].setChecked(True)  # the custodian alone looks, to find the word
    assert field.echoMode() is QLineEdit.EchoMode.Normal
    field.setText(share)
    assert check.text() == "✔ 20 words, checksum correct" and "1b5e20" in check.styleSheet()
    inputs.clear()
    assert field.text() == "" and field.echoMode() is QLineEdit.EchoMode.Password


def test_a_crl_of_a_ceremony_root_is_signed_with_every_custodians_share(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ws"
    with workspace.create(path) as ws:
        result = rehearse(ws, tmp_path / "ceremony")
    shares = share_lines(tmp_path / "ceremony")
    window = shown_window(qtbot, path)
    seen: dict[str, object] = {}

    def typed(dialog: SharesDialog) -> int:
        seen["title"] = dialog.windowTitle()
        seen["rows"] = [
            dialog.inputs.grid.itemAtPosition(2 * r, 0).widget().text()  # type: ignore[union-attr]
            for r in range(len(dialog.fields))
        ]
        for field, name in zip(dialog.fields, shares, strict=True):
            field.setText(shares[name])  # all three: more than the quorum is fine
        seen["checks"] = [c.text() for c in dialog.inputs.checks]
        return int(QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(share_inputs.SharesDialog, "exec", typed)
    window.revocation_ops.ask_and_issue_crl(result.ca_id)
    assert "Issue a CRL" in str(seen["title"]) and "Example Root CA" in str(seen["title"])
    assert seen["rows"] == ["Carol Custodian:", "Dave Custodian:", "Erin Custodian:"]
    assert seen["checks"] == ["✔ 20 words, checksum correct"] * 3
    with workspace.open_workspace(path) as ws:
        assert [c.number for c in crl_records.list_crls(ws.db)] == [1]
    window.close()
