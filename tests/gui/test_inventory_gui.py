"""The certificates view at scale and the dashboard: filter, sort and open details in a large
inventory; the dashboard's counts for known expiry dates (clock injected), each opening the
filtered table; import with progress, export of the view, metadata."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from pkiadmin.core.inventory import query, view_export
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.gui.main_window import MainWindow
from pkiadmin.gui.models.certificates import PAGE, PROBE
from pkiadmin.gui.worker import InlineCaWorker
from tests.gui.conftest import MessageLog, wait_for_rows
from tests.inventory_helpers import dated, large

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
ROWS = 60_000


def open_window(qtbot: QtBot, path: Path) -> MainWindow:
    win = MainWindow(InlineCaWorker(path), path)
    win.certificates.model.clock = lambda: NOW
    qtbot.addWidget(win)
    win.show()
    win.refresh()
    return win


@pytest.fixture
def big_window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    path = tmp_path / "ws"
    with workspace.create(path) as ws:
        large(ws, tmp_path / "in", NOW, real=2000, rows=ROWS)
    win = open_window(qtbot, path)
    yield win
    win.close()


def test_filter_sort_and_details_in_a_large_inventory(qtbot: QtBot, big_window: MainWindow) -> None:
    page = big_window.certificates
    qtbot.keyClick(big_window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert big_window.stack.currentWidget() is page
    wait_for_rows(qtbot, big_window, ROWS)
    assert page.count_label.text() == f"{ROWS:,} certificates"
    # The newest first; a row far down loads when it is shown.
    assert page.model.index(0, 0).data() == str(ROWS)
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.row(ROWS - 1) is not None, timeout=10_000)
    assert page.model.index(ROWS - 1, 0).data() == "1"
    # Free text.
    qtbot.keyClicks(page.filter, "host1234")
    wait_for_rows(qtbot, big_window, 1)
    assert page.model.index(0, 1).data() == "host1234.example"
    # Sort by expiry, soonest first, within a filter: 'copy7-' rows of 2,000 real ones.
    page.filter.clear()
    qtbot.keyClicks(page.filter, "copy7")
    wait_for_rows(qtbot, big_window, 2000)
    header = page.table.horizontalHeader()
    header.setSortIndicator(4, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: page.model.index(0, 4).data() == "2027-03-11", timeout=10_000)
    dates = [page.model.index(i, 4).data() for i in range(50)]
    assert dates == sorted(dates)
    # A column that has no index is not sortable: the indicator stays where it was.
    header.setSortIndicator(2, Qt.SortOrder.AscendingOrder)
    assert header.sortIndicatorSection() == 4
    # Combined with a structured filter; the count is what the core query counts.
    page.expiry.setCurrentIndex(page.expiry.findText("Expires within 30 days"))
    with workspace.open_workspace(big_window.workspace_path) as ws:
        expected = query.count(ws.db, query.Filter(text="copy7", expires_within_days=30), NOW)
    assert 0 < expected < 2000
    wait_for_rows(qtbot, big_window, expected)
    # Details of the selected row.
    page.table.selectRow(0)
    record = page.selected_record()
    assert record is not None
    text = page.details.plain_text()
    assert record.common_name.replace("copy7-", "host") in text  # the copy shares its DER
    assert "No finding against the policy" in text
    # A new search leaves no stale details behind (they used to show the previous certificate).
    qtbot.keyClicks(page.filter, "-nothing-matches-this")
    wait_for_rows(qtbot, big_window, 0)
    assert page.selected_record() is None
    assert "Select a certificate to see its details." in page.details.plain_text()
    page.clear_filters()
    wait_for_rows(qtbot, big_window, ROWS)


def test_first_page_comes_before_the_count_of_many_matches(
    qtbot: QtBot, big_window: MainWindow
) -> None:
    """A word every row holds, by id: the view fills from the first page alone (the full-text
    index gives the matches in id order), says it is counting, and grows to the exact count
    when it is done (the first page is not kept waiting for it)."""
    page = big_window.certificates
    qtbot.keyClick(big_window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    wait_for_rows(qtbot, big_window, ROWS)
    seen: list[tuple[bool, int, str, bool]] = []
    page.model.loaded.connect(
        lambda total: seen.append(
            (page.model.exact, total, page.count_label.text(), page.model.row(0) is not None)
        )
    )
    qtbot.keyClicks(page.filter, "example")
    qtbot.waitUntil(lambda: bool(seen) and page.model.exact, timeout=10_000)
    wait_for_rows(qtbot, big_window, ROWS)
    assert seen[-1] == (
        False,
        PAGE,
        f"At least {PAGE:,} certificates match (of about {ROWS:,}), counting…",
        True,
    )
    assert page.model.exact
    assert page.count_label.text() == f"{ROWS:,} certificates match (of about {ROWS:,})"
    page.table.scrollToBottom()  # the rows the count added load like any other
    qtbot.waitUntil(lambda: page.model.row(ROWS - 1) is not None, timeout=10_000)
    assert page.model.index(ROWS - 1, 0).data() == "1"


def test_pages_are_not_kept_waiting_behind_the_count(
    qtbot: QtBot, big_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the exact count of many matches runs (held here until released), a page further
    down the first PROBE rows is read and shown: the count has its own thread and connection."""
    release = threading.Event()
    counting = threading.Event()
    real_count = query.count

    def held(db: object, f: object, now: object = None, up_to: int | None = None) -> int:
        if up_to is None:  # the exact count
            counting.set()
            release.wait(30)
        return real_count(db, f, now, up_to)  # type: ignore[arg-type]

    page = big_window.certificates
    qtbot.keyClick(big_window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    page.model.sort(1, Qt.SortOrder.AscendingOrder)  # by name: the count chooses the plan
    wait_for_rows(qtbot, big_window, ROWS)
    qtbot.waitUntil(lambda: page.model.exact, timeout=10_000)
    monkeypatch.setattr(query, "count", held)
    qtbot.keyClicks(page.filter, "example")
    qtbot.waitUntil(lambda: counting.is_set() and page.model.row(0) is not None, timeout=10_000)
    try:
        assert not page.model.exact
        target = PROBE - 50
        page.table.scrollTo(page.model.index(target, 0))
        qtbot.waitUntil(lambda: page.model.row(target) is not None, timeout=10_000)
        assert not page.model.exact  # the count is still held
    finally:
        release.set()
    qtbot.waitUntil(lambda: page.model.exact, timeout=10_000)
    assert page.model.rowCount() == ROWS


def test_dashboard_counts_known_expiry_dates_and_opens_them(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with workspace.create(path) as ws:
        dated(ws, tmp_path / "in", NOW)
    win = open_window(qtbot, path)
    board = win.dashboard
    qtbot.waitUntil(lambda: board.buttons["certificates"].count == 8, timeout=10_000)
    counts = {key: b.count for key, b in board.buttons.items()}
    assert (counts["valid"], counts["expired"], counts["not_yet_valid"], counts["revoked"]) == (
        6,
        1,
        1,
        0,
    )
    assert [counts[f"within_{d}"] for d in (1, 3, 7, 14, 30)] == [1, 2, 3, 4, 5]
    assert counts["finding_no-eku"] == 1 and counts["finding_expired"] == 1
    # 12 months; March 2027 (from the 10th) holds half-day, two-days, five-days, ten-days,
    # twenty-days; May holds sixty-days; September holds 'future'.
    months = board.chart.counts()
    assert len(months) == 12 and sum(months) == 7
    assert months[0] == 5 and months[2] == 1 and months[6] == 1
    # Each number opens the certificates it counts.
    qtbot.mouseClick(board.buttons["within_7"], Qt.MouseButton.LeftButton)
    assert win.stack.currentWidget() is win.certificates
    wait_for_rows(qtbot, win, 3)
    names = {win.certificates.model.index(i, 1).data() for i in range(3)}
    assert names == {"half-day.example", "two-days.example", "five-days.example"}
    assert win.certificates.expiry.currentText() == "Expires within 7 days"
    board.buttons["finding_no-eku"].setFocus()
    qtbot.keyClick(board.buttons["finding_no-eku"], Qt.Key.Key_Space)
    wait_for_rows(qtbot, win, 1)
    assert win.certificates.model.index(0, 1).data() == "sixty-days.example"
    board.chart.click_month(6)
    qtbot.waitUntil(
        lambda: win.certificates.model.index(0, 1).data() == "future.example", timeout=10_000
    )
    assert win.certificates.model.rowCount() == 1
    win.close()


def test_import_with_progress_export_and_metadata(
    qtbot: QtBot, tmp_path: Path, messages: MessageLog
) -> None:
    source = tmp_path / "source"
    with workspace.create(source) as ws:
        dated(ws, tmp_path / "in", NOW)
    folder = tmp_path / "in"
    (folder / "garbage.crt").write_bytes(b"not a certificate")
    win = open_window(qtbot, tmp_path / "ws")
    actions = win.inventory_ops
    actions.import_paths([folder])
    assert actions.last_summary is not None and actions.last_summary.imported == 8
    assert any("garbage.crt: not a certificate file pkiadmin can read" in t for t in messages.texts)
    assert actions.progress is not None and not actions.progress.isVisible()
    wait_for_rows(qtbot, win, 8)
    # Export what the view shows.
    out = tmp_path / "view.csv"
    actions.export_view(query.Filter(expires_within_days=7), view_export.ViewFormat.CSV, out)
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert sorted(r["common_name"] for r in rows) == [
        "five-days.example",
        "half-day.example",
        "two-days.example",
    ]
    assert win.statusBar().currentMessage() == f"Wrote 3 certificate(s) to {out}"
    # Metadata: edited in the dialog, shown in details, filterable, audited.
    page = win.certificates
    page.table.selectRow(0)
    record = page.selected_record()
    assert record is not None
    dialog = actions.open_metadata_dialog(record.id)
    assert dialog is not None
    dialog.service.setText("payments-api")
    dialog.environment.setText("production")
    dialog.tags.setText("pci, external")
    dialog.accept()
    qtbot.waitUntil(lambda: "payments-api" in page.details.plain_text(), timeout=10_000)
    qtbot.waitUntil(lambda: page.environment.findData("production") > 0, timeout=10_000)
    page.environment.setCurrentIndex(page.environment.findData("production"))
    wait_for_rows(qtbot, win, 1)
    assert page.model.index(0, 9).data() == "production"
    out_json = tmp_path / "view.json"
    actions.export_view(page.model.current_filter, view_export.ViewFormat.JSON, out_json)
    exported = json.loads(out_json.read_text())
    assert [(e["service"], e["tags"]) for e in exported] == [("payments-api", "pci external")]
    win.close()


PAGED = 1_100  # six pages of 200


@pytest.fixture
def paged_window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    path = tmp_path / "ws"
    with workspace.create(path) as ws:
        large(ws, tmp_path / "in", NOW, real=300, rows=PAGED)
    win = open_window(qtbot, path)
    yield win
    win.close()


def test_qt_model_tester_accepts_the_certificates_model_across_pages(
    qtbot: QtBot, paged_window: MainWindow
) -> None:
    """Qt's own model checks, while pages load (the rows below are in different pages of 200),
    then after a new filter and a sort reset the model."""
    page = paged_window.certificates
    paged_window.go_to("Certificates")  # rows load as the view shows them
    wait_for_rows(qtbot, paged_window, PAGED)
    tester = ModelTester(None)
    tester.check(page.model)
    for row in (0, 450, PAGED // 2, PAGED - 1):
        page.table.scrollTo(page.model.index(row, 0))

        def shown(number: int = row) -> bool:
            return page.model.row(number) is not None

        qtbot.waitUntil(shown, timeout=10_000)
    tester.check(page.model)
    qtbot.keyClicks(page.filter, "host1")
    qtbot.waitUntil(lambda: 1 < page.model.rowCount() < PAGED, timeout=10_000)
    page.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    tester.check(page.model)


def test_a_bundle_shows_progress_in_certificates_and_no_password_is_asked(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1,200-certificate bundle is one file: its progress moves with its certificates (it used
    to sit at 0% until the file was done). A folder without PKCS#12 files asks no password."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QProgressDialog

    from tests.interop.test_frozen import _write_bundle

    folder = tmp_path / "in"
    folder.mkdir()
    _write_bundle(folder / "bundle.pem", 1_200)
    win = open_window(qtbot, tmp_path / "ws")
    values: list[tuple[int, str]] = []
    real = QProgressDialog.setValue

    def seen(dialog: QProgressDialog, value: int) -> None:
        values.append((value, dialog.labelText()))
        real(dialog, value)

    monkeypatch.setattr(QProgressDialog, "setValue", seen)
    asked: list[str] = []

    def ask(*args: object, **_kwargs: object) -> tuple[str, bool]:
        asked.append(str(args[1]))
        return "", False

    monkeypatch.setattr(QInputDialog, "getText", ask)
    monkeypatch.setattr(QMessageBox, "exec", lambda box: box.buttons()[1].click() or 0)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(folder))
    win.inventory_ops.choose_and_import()  # the folder button
    assert asked == []  # no .p12 in the folder: no password asked
    summary = win.inventory_ops.last_summary
    assert summary is not None and summary.imported == 1_200
    middle = [v for v, _ in values if 0 < v < 1000]
    assert middle, values[:5]  # the bar moved while the one file was read
    assert any("of 1,200 certificate(s) stored from it" in text for _, text in values)
    (folder / "client.p12").write_bytes(b"not really")
    win.inventory_ops.choose_and_import()
    assert asked == ["PKCS#12 password"]
    win.close()


def test_the_default_columns_fit_at_1280x800(qtbot: QtBot, paged_window: MainWindow) -> None:
    """No sideways scrolling in the certificates view at its default columns (2x is the same
    1280x800 in logical pixels)."""
    win = paged_window
    win.resize(1280, 800)
    win.go_to("Certificates")
    table = win.certificates.table
    qtbot.waitUntil(lambda: win.certificates.model.rowCount() > 0, timeout=10_000)
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    assert not table.horizontalScrollBar().isVisible()
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width()
    # The names keep room to be read.
    assert min(header.sectionSize(1), header.sectionSize(2)) >= 140


def test_what_is_not_yet_counted_is_not_shown_as_known(qtbot: QtBot) -> None:
    from pkiadmin.gui.pages.dashboard import DashboardPage

    board = DashboardPage("/nonexistent-workspace")
    qtbot.addWidget(board)
    board.show()
    assert not board.first_start.isVisible()  # "no CA yet" is not said before it is known
    expired = board.buttons["expired"]
    assert expired.text().startswith("…") and not expired.isEnabled()
    with qtbot.assertNotEmitted(board.filter_requested):
        qtbot.mouseClick(expired, Qt.MouseButton.LeftButton)
    expired.show_count(3)
    assert expired.isEnabled() and expired.text().startswith("3\n")
