"""The Profiles section: the built-in profiles listed with their TOML, one imported (refused with
the line named when it is wrong), exported and removed; built-in ones cannot be removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from pkiadmin.gui.main_window import SECTIONS, MainWindow
from tests.core.issuance.test_end_entity import SUFFIX_PROFILE
from tests.gui.conftest import MessageLog


def _select(window: MainWindow, name: str) -> None:
    view = window.profiles.table.model()  # the proxy, in the order shown
    row = next(r for r in range(view.rowCount()) if view.index(r, 0).data() == name)
    window.profiles.table.selectRow(row)


def test_profiles_listed_imported_exported_removed(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    messages: MessageLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.profiles
    assert SECTIONS[-1] == "Profiles"
    page = window.profiles
    qtbot.waitUntil(lambda: page.model.rowCount() == 5)
    _select(window, "tls-server")
    assert 'name = "tls-server"' in page.text.toPlainText()
    assert page.export_button.isEnabled() and not page.remove_button.isEnabled()  # built in
    bad = tmp_path / "bad.toml"
    bad.write_text(SUFFIX_PROFILE.replace("validity_days = 90", "validity_days = 900"))
    window.profile_ops.import_file(bad)
    assert "line 6, [profile] validity_days must be between 1 and 180" in messages.texts[-1]
    good = tmp_path / "gateway.toml"
    good.write_text(SUFFIX_PROFILE)
    window.profile_ops.import_file(good)
    qtbot.waitUntil(lambda: page.model.rowCount() == 6)
    _select(window, "partner-gateway")
    assert page.remove_button.isEnabled()
    window.profile_ops.export_file("partner-gateway", tmp_path / "out.toml")
    assert (tmp_path / "out.toml").read_text() == SUFFIX_PROFILE
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    page.remove_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 5)
    assert window.overview_data is not None
    assert [e.operation for e in window.overview_data.audit_entries][-3:] == [
        "profile.import", "profile.export", "profile.remove",
    ]  # fmt: skip
