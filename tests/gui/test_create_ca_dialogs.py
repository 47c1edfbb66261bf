"""The dialogs that create a CA keep their fields' size when an error is shown (they used to
squeeze them, smaller after each error), and an error goes as soon as a field is changed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pkiadmin.gui.main_window import MainWindow


def test_an_error_leaves_the_fields_their_size_and_goes_when_a_field_changes(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = window.authority_ops.open_new_root_dialog()
    qtbot.waitExposed(dialog)
    heights = [dialog.common_name.height(), dialog.organization.height()]
    qtbot.keyClicks(dialog.common_name, "Service_E Root")
    qtbot.keyClicks(dialog.passphrase, "short")
    qtbot.keyClicks(dialog.confirmation, "short")
    for _ in range(3):
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "too short" in dialog.error.text() and dialog.error.isVisible()
    after = [dialog.common_name.height(), dialog.organization.height()]
    assert all(a >= b for a, b in zip(after, heights, strict=True)), (after, heights)
    assert dialog.common_name.text() == "Service_E Root"
    qtbot.keyClicks(dialog.passphrase, " and now much longer")
    assert not dialog.error.isVisible()
    dialog.reject()
