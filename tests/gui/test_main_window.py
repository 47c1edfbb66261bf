"""The main window as a person uses it: create a root in the dialog, see it, read its details, export it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography import x509
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import PkiError
from pkiadmin.gui import errors
from pkiadmin.gui.dialogs.new_root import NewRootDialog
from pkiadmin.gui.main_window import SECTIONS, MainWindow
from pkiadmin.gui.worker import CaWorker
from tests.conftest import PASSPHRASE
from tests.gui.conftest import MessageLog, wait_for_rows


def fill_and_create(
    qtbot: QtBot,
    dialog: NewRootDialog,
    cn: str = "GUI Root CA",
    secret: str = PASSPHRASE,
    repeat: str | None = None,
) -> None:
    qtbot.keyClicks(dialog.common_name, cn)
    qtbot.keyClicks(dialog.organization, "Example Ltd")
    qtbot.keyClicks(dialog.country, "SE")
    qtbot.keyClicks(dialog.passphrase, secret)
    qtbot.keyClicks(dialog.confirmation, secret if repeat is None else repeat)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)


def test_create_root_in_dialog_then_see_it_and_its_details(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = window.authority_ops.open_new_root_dialog()
    fill_and_create(qtbot, dialog)
    assert not dialog.isVisible()
    page = window.certificates
    assert window.stack.currentWidget() is page
    wait_for_rows(qtbot, window, 1)
    qtbot.waitUntil(lambda: page.selected_record() is not None, timeout=10_000)
    record = page.selected_record()
    assert record is not None and record.common_name == "GUI Root CA"
    text = page.details.plain_text()
    assert "CN=GUI Root CA,O=Example Ltd,C=SE" in text
    assert "CA: TRUE, path length: unlimited" in text
    assert "Certificate Sign, CRL Sign" in text
    assert fingerprint.grouped_hex(bytes.fromhex(record.sha256)) in text
    assert window.dashboard.figures["authorities"].text() == "1"
    assert "GUI Root CA" in window.dashboard.ca_list.text()
    assert "chain intact" in window.dashboard.audit_state.text()
    assert window.audit.model.rowCount() == 2
    assert "2 entries, chain intact" in window.audit.verdict.text()


def test_dialog_shows_errors_and_creates_nothing(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.authority_ops.open_new_root_dialog()
    fill_and_create(qtbot, dialog, secret="short")
    assert dialog.isVisible()
    assert "passphrase is too short" in dialog.error.text()
    dialog.passphrase.clear()
    dialog.confirmation.clear()
    fill_and_create(qtbot, dialog, cn="", secret=PASSPHRASE, repeat=PASSPHRASE + "x")
    assert "two passphrase entries differ" in dialog.error.text()
    dialog.country.setText("UK")
    dialog.confirmation.setText(PASSPHRASE)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "the United Kingdom's code is 'GB'" in dialog.error.text()
    dialog.reject()
    window.refresh()
    assert window.certificates.model.rowCount() == 0
    assert window.audit.model.rowCount() == 1


def test_real_worker_thread_creates_root_with_busy_indicator(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "threaded"
    worker = CaWorker(path)
    win = MainWindow(worker, path)
    qtbot.addWidget(win)
    win.show()
    dialog = win.authority_ops.open_new_root_dialog()
    with qtbot.waitSignal(dialog.created, timeout=30_000):
        fill_and_create(qtbot, dialog, cn="Threaded Root")
        # The click returned while the job runs on the worker: the GUI shows it is busy.
        assert dialog.busy.isVisible()
        assert win.busy.isVisible()
        assert not dialog.create_button.isEnabled()
    qtbot.waitUntil(lambda: win.certificates.model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: not win.busy.isVisible(), timeout=10_000)
    win.close()
    assert not worker._thread.is_alive()


def test_keyboard_reaches_every_section_and_the_dialog(qtbot: QtBot, window: MainWindow) -> None:
    for number, name in enumerate(SECTIONS, start=1):
        qtbot.keyClick(
            window, Qt.Key(Qt.Key.Key_0.value + number), Qt.KeyboardModifier.ControlModifier
        )
        assert window.nav.currentItem().text() == name
        assert window.stack.currentIndex() == number - 1
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialogs = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, NewRootDialog) and w.isVisible()
    ]
    assert len(dialogs) == 1
    qtbot.keyClick(dialogs[0], Qt.Key.Key_Escape)
    assert not dialogs[0].isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.certificates
    assert window.certificates.filter.hasFocus()


def test_filter_and_models(qtbot: QtBot, window: MainWindow) -> None:
    for cn in ("Alpha Root", "Beta Root"):
        fill_and_create(qtbot, window.authority_ops.open_new_root_dialog(), cn=cn)
    page = window.certificates
    wait_for_rows(qtbot, window, 2)
    qtbot.keyClicks(page.filter, "beta")
    wait_for_rows(qtbot, window, 1)
    assert page.model.index(0, 1).data() == "Beta Root"
    assert page.count_label.text() == "1 certificate match (of about 2)"
    for model in (page.model, window.audit.model, window.authorities.model):
        ModelTester(None).check(model)


def test_export_selected_certificate(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    qtbot.waitUntil(lambda: window.certificates.selected_record() is not None, timeout=10_000)
    target = tmp_path / "root.pem"
    window.inventory_ops.export_selected(target)
    cert = x509.load_pem_x509_certificate(target.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=GUI Root CA,O=Example Ltd,C=SE"
    assert window.statusBar().currentMessage() == f"Wrote {target}"
    der = tmp_path / "root.der"
    window.inventory_ops.export_selected(der)
    assert x509.load_der_x509_certificate(der.read_bytes()) == cert


def test_tampered_audit_log_is_shown_as_broken(qtbot: QtBot, window: MainWindow) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    conn = sqlite3.connect(window.workspace_path / "pkiadmin.db")
    conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()
    qtbot.keyClick(
        window,
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.stack.currentWidget() is window.audit
    assert "chain broken at entry #2: entry #2 was edited" in window.audit.verdict.text()


def test_foreign_folder_is_reported_not_swallowed(
    qtbot: QtBot, tmp_path: Path, messages: MessageLog
) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "photo.jpg").write_bytes(b"x")
    worker = CaWorker(foreign)
    win = MainWindow(worker, foreign)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: bool(messages.texts), timeout=10_000)
    assert "is not a pkiadmin workspace" in messages.texts[0]
    win.close()
    assert sorted(p.name for p in foreign.iterdir()) == ["photo.jpg"]


def test_user_errors_are_messages_and_bugs_get_a_crash_dialog(
    qtbot: QtBot, messages: MessageLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors.show_error(None, PkiError("The passphrase is wrong. Try again."))
    assert messages.texts == ["The passphrase is wrong. Try again."]
    shown: list[errors.CrashDialog] = []

    def fake_exec(dialog: errors.CrashDialog) -> int:
        shown.append(dialog)
        return 0

    monkeypatch.setattr(errors.CrashDialog, "exec", fake_exec)

    def bug() -> None:
        raise RuntimeError("boom")

    try:
        bug()
    except RuntimeError as exc:
        errors.show_error(None, exc)
    assert len(shown) == 1
    assert "RuntimeError: boom" in shown[0].details_text
    assert "package files SHA-256" in shown[0].details_text
    shown[0].copy_details()
    assert "RuntimeError: boom" in QApplication.clipboard().text()
    qtbot.addWidget(shown[0])


def test_export_without_selection_says_what_to_do(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: said.append(text))
    window.inventory_ops.export_selected(Path("/nonexistent/x.pem"))
    assert said == ["Select a certificate in Certificates first."]


def test_cancel_button_closes_dialog(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.authority_ops.open_new_root_dialog()
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_check_key_passphrase_from_authorities(
    qtbot: QtBot, window: MainWindow, messages: MessageLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    page = window.authorities
    assert page.selected() is not None and page.verify_key_button.isEnabled()
    answers = iter([("wrong passphrase, surely", True), (PASSPHRASE, True)])
    monkeypatch.setattr(
        "pkiadmin.gui.dialogs.unlock.QInputDialog.getText", lambda *_a, **_k: next(answers)
    )
    infos: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: infos.append(text))
    qtbot.mouseClick(page.verify_key_button, Qt.MouseButton.LeftButton)
    assert messages.texts == [
        "The passphrase is wrong (the key file could not be decrypted). Try again."
    ]
    qtbot.mouseClick(page.verify_key_button, Qt.MouseButton.LeftButton)
    assert len(infos) == 1 and "the key matches the certificate of GUI Root CA" in infos[0]


def test_the_clock_is_confirmed_from_the_tools_menu(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QInputDialog

    from pkiadmin.core.workspace import audit

    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("Alice Admin", True))
    action = next(a for a in window.findChildren(QAction) if a.text() == "&Confirm the clock…")
    action.trigger()
    qtbot.waitUntil(lambda: "Clock confirmed" in window.statusBar().currentMessage(), timeout=5000)
    ws = window.worker._ws  # type: ignore[attr-defined]
    last = audit.entries(ws.db, limit=1)[0]
    assert last.operation == "clock.confirmed" and last.objects == {"by": "Alice Admin"}
