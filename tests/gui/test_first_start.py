"""First start and Help → Guides: an empty workspace says what to do first at the top of the
dashboard (the ceremony before the quick root), each choice opens what it names, and the
operator's guides read inside the application with their links, offline."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QKeySequence, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from pkiadmin.core.base import resources
from pkiadmin.gui.dialogs.guides import GuidesDialog
from pkiadmin.gui.dialogs.new_root import NewRootDialog
from pkiadmin.gui.dialogs.plan_form import PlanFormDialog
from pkiadmin.gui.main_window import MainWindow
from tests.gui.test_main_window import fill_and_create


def _image_widths(dialog: GuidesDialog) -> list[float]:
    document = dialog.browser.document()
    widths = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            shape = it.fragment().charFormat()
            if shape.isImageFormat():
                name = shape.toImageFormat().name()
                image = document.resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
                assert image is not None and not image.isNull(), f"{name} is not found"
                widths.append(shape.toImageFormat().width())
            it += 1
        block = block.next()
    return widths


def _open_dialogs() -> list[object]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


def test_an_empty_workspace_says_what_to_do_first_where_it_is_seen(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.resize(1280, 800)
    panel = window.dashboard.first_start
    qtbot.waitUntil(lambda: window.overview_data is not None, timeout=10_000)
    assert panel.isVisible()
    label = window.dashboard.findChild(QLabel, "firstStartText")
    assert isinstance(label, QLabel)
    text = label.text()
    assert "holds no CA yet" in text and "key ceremony" in text and "rehearse" in text
    # Above the fold at 1280x800: the whole panel is inside the window without scrolling.
    bottom = panel.mapTo(window, QPoint(0, panel.height())).y()
    assert 0 < bottom < window.height()
    captions = [b.text().replace("&", "") for b in window.dashboard.start_buttons.values()]
    assert captions[0].startswith("1. Write a ceremony plan")
    assert captions.index("Or: a quick test root…") > captions.index(
        "3. Run the root key ceremony…"
    )


def test_each_first_step_opens_what_it_names(qtbot: QtBot, window: MainWindow) -> None:
    buttons = window.dashboard.start_buttons
    qtbot.mouseClick(buttons["plan"], Qt.MouseButton.LeftButton)
    assert any(isinstance(w, PlanFormDialog) for w in _open_dialogs())
    assert window.stack.currentWidget() is window.ceremonies
    for w in _open_dialogs():
        if isinstance(w, PlanFormDialog):
            w.reject()
    qtbot.mouseClick(buttons["guide"], Qt.MouseButton.LeftButton)
    guides = [w for w in _open_dialogs() if isinstance(w, GuidesDialog)]
    assert guides and guides[0].current() == "ceremonies"
    assert "Key ceremonies" in guides[0].browser.toPlainText()
    guides[0].reject()
    qtbot.mouseClick(buttons["quick"], Qt.MouseButton.LeftButton)
    dialog = next(w for w in _open_dialogs() if isinstance(w, NewRootDialog))
    fill_and_create(qtbot, dialog)
    qtbot.waitUntil(lambda: not window.dashboard.first_start.isVisibleTo(window), timeout=10_000)


def test_guides_open_with_f1_follow_their_links_and_fetch_nothing(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.guides_action.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    dialog = window.open_guides()
    titles = [dialog.list.item(n).text() for n in range(dialog.list.count())]
    assert titles[0] == "A tour of the window" and "Key ceremonies" in titles
    assert len(titles) == len(resources.guides()) >= 10
    assert dialog.current() == "tour"
    # The tour's screenshots are found next to it and scaled to the text's width.
    dialog.resize(1100, 720)
    dialog.browser.fit_images()
    widths = _image_widths(dialog)
    assert len(widths) >= 10 and all(0 < w <= dialog.browser.viewport().width() for w in widths)
    dialog.follow(QUrl("partners.md"))
    assert dialog.current() == "partners"
    assert "verification call" in dialog.browser.toPlainText()
    dialog.follow(QUrl("https://example.com/elsewhere"))
    assert dialog.current() == "partners"  # nothing fetched, nothing left
    assert "not opened here: https://example.com/elsewhere" in dialog.outside.text()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Up)
    assert dialog.current() != "partners" and not dialog.outside.isVisibleTo(dialog)
    dialog.reject()
