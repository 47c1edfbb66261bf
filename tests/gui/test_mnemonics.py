"""Every label with a keyboard mnemonic (&) has a buddy, so the & is a shortcut, not a character
on the screen ("&Backup medium:" was shown as it is written); every button and tab of the main
window and its dialogs is reachable from the keyboard."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from pkiadmin.gui.dialogs.sign_batch import SignBatchDialog
from pkiadmin.gui.main_window import MainWindow
from pkiadmin.gui.operations.lifecycle import CrossSignDialog, DestroyKeyDialog
from tests.ceremony_helpers import stage

MNEMONIC = re.compile(r"&[^&\s]")


def _shown_ampersands(top: QWidget) -> list[str]:
    bad = []
    for label in top.findChildren(QLabel):
        text = label.text()
        if label.textFormat() == Qt.TextFormat.RichText or text.startswith("<"):
            continue  # rich text: & is an entity there
        if MNEMONIC.search(text.replace("&&", "")) and label.buddy() is None:
            bad.append(text)
    return bad


def test_no_label_shows_its_ampersand(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    plan, _answers = stage(tmp_path)
    window.ceremony_ops.start_ceremony(plan, rehearsal=True)
    wizard = window.ceremony_ops.ceremony_wizard
    assert wizard is not None
    opened: list[QWidget] = [
        window,
        wizard,
        *wizard.step_pages,
        window.authority_ops.open_new_root_dialog(),
        window.ceremony_ops.open_plan_form(),
        SignBatchDialog(window.worker, (), window),
        window.authority_ops.open_adopt_dialog(),
        window.request_ops.open_issue_key_dialog(),
        window.open_compliance_policy(),
        window.open_guides(),
        DestroyKeyDialog("A CA", window),
        CrossSignDialog("A CA", [(1, "pat: CN=Partner Root")], window),
    ]
    QApplication.processEvents()
    found = {type(w).__name__: _shown_ampersands(w) for w in opened}
    assert all(not texts for texts in found.values()), found
    wizard.abort("test over")
