"""GUI fixtures: every test here is marked gui and runs offscreen with an inline CA worker by default."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QMessageBox

from pkiadmin.gui.main_window import MainWindow
from pkiadmin.gui.worker import InlineCaWorker


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def window(qtbot: object, tmp_path: Path) -> Iterator[MainWindow]:
    path = tmp_path / "ws"
    win = MainWindow(InlineCaWorker(path), path)
    qtbot.addWidget(win)  # type: ignore[attr-defined]
    win.show()
    yield win
    win.close()


class MessageLog:
    """Replaces QMessageBox.exec so messages are recorded instead of blocking the test."""

    def __init__(self) -> None:
        self.texts: list[str] = []


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> MessageLog:
    log = MessageLog()

    def fake_exec(box: QMessageBox) -> int:
        log.texts.append(box.text())
        return int(QMessageBox.StandardButton.Ok.value)

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return log


@pytest.fixture(autouse=True)
def _no_worker_left_behind() -> Iterator[None]:
    """Like napari: a GUI test fails if it leaves a CA worker thread running."""
    import threading

    yield
    alive = [
        t.name for t in threading.enumerate() if t.name == "pkiadmin-ca-worker" and t.is_alive()
    ]
    assert not alive, (
        f"{len(alive)} CA worker thread(s) left running; close the window or call shutdown()"
    )


def wait_for_rows(qtbot: object, window: MainWindow, count: int) -> None:
    """The certificates table is filled by its reader thread: wait until it shows `count` rows
    and the first page is in."""
    page = window.certificates

    def ready() -> bool:
        return page.model.rowCount() == count and (count == 0 or page.model.row(0) is not None)

    qtbot.waitUntil(ready, timeout=10_000)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _crash_dialogs_fail_the_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """An unexpected error shown to the user is a failed test (not a modal dialog waiting forever).
    A test that expects one patches CrashDialog.exec itself."""
    from pkiadmin.gui import errors

    seen: list[str] = []

    def record(dialog: errors.CrashDialog) -> int:
        seen.append(dialog.details_text)
        return 0

    monkeypatch.setattr(errors.CrashDialog, "exec", record)
    yield seen
    assert not seen, "an unexpected error was shown:\n" + "\n".join(seen)


def shown_window(qtbot: object, path: Path) -> MainWindow:
    """A main window on the workspace at `path` (an existing one, or made now), shown, with its
    first overview read."""
    win = MainWindow(InlineCaWorker(path), path)
    qtbot.addWidget(win)  # type: ignore[attr-defined]
    win.show()
    qtbot.waitUntil(lambda: win.overview_data is not None, timeout=10_000)  # type: ignore[attr-defined]
    return win


def accept_confirmations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every 'what will be signed' confirmation read (its box ticked) and accepted; returns the
    texts shown, in order."""
    from PySide6.QtWidgets import QDialog

    from pkiadmin.gui.operations import lifecycle

    shown: list[str] = []

    def read(dialog: lifecycle.ConfirmDialog) -> int:
        shown.append(dialog.text)
        assert not dialog.go.isEnabled()  # only once it was read
        dialog.checked.setChecked(True)
        return int(QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(lifecycle.ConfirmDialog, "exec", read)
    return shown
