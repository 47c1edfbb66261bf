"""The record tables (audit, revocations, CRLs, requests, ...): sorted by the source model when a
header is clicked, the selection kept across a re-sort, the order kept across refreshes, and
filtered by the proxy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QHeaderView, QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from pkiadmin.gui.models.table import (
    RECORD_ROLE,
    Column,
    RecordFilterProxy,
    RecordTableModel,
    record_table,
    selected_record,
)


@dataclass(frozen=True)
class Item:
    number: int
    name: str
    when: datetime | None


COLUMNS: tuple[Column[Item], ...] = (
    Column("Number", lambda i: str(i.number), lambda i: i.number),
    Column("Name", lambda i: i.name),
    Column("When", lambda i: f"{i.when:%Y-%m-%d}" if i.when else "-", lambda i: i.when),
)
START = datetime(2026, 1, 1, tzinfo=UTC)


def _table(qtbot: QtBot) -> tuple[RecordTableModel[Item], RecordFilterProxy, QTableView]:
    model: RecordTableModel[Item] = RecordTableModel(COLUMNS)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    table = record_table(proxy, "items", descending=True)
    qtbot.addWidget(table)
    table.show()
    return model, proxy, table


def _shown(proxy: RecordFilterProxy, column: int = 0) -> list[str]:
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


def test_a_header_click_sorts_and_keeps_the_selection(qtbot: QtBot) -> None:
    model, proxy, table = _table(qtbot)
    model.set_records(
        [Item(2, "beta", START), Item(10, "alpha", None), Item(1, "gamma", START + timedelta(1))]
    )
    assert _shown(proxy) == ["10", "2", "1"]  # numbers, not text; descending as asked
    table.selectRow(1)
    header = table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=_centre(header, 1))
    assert header.sortIndicatorSection() == 1
    names = _shown(proxy, 1)
    assert names in (["alpha", "beta", "gamma"], ["gamma", "beta", "alpha"])
    selected = selected_record(table, Item)
    assert selected is not None and selected.name == "beta"
    # A date column with a missing date sorts (as text) rather than failing.
    table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    assert _shown(proxy, 2) == ["2026-01-01", "2026-01-02", "-"]
    # New records keep the chosen order; the proxy filters them.
    model.set_records([*model.records(), Item(3, "delta", START - timedelta(1))])
    assert _shown(proxy, 2)[0] == "2025-12-31"
    proxy.setFilterFixedString("ALP")
    assert [proxy.index(0, 0).data(RECORD_ROLE).name] == ["alpha"]


def _centre(header: QHeaderView, section: int) -> QPoint:
    position = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    return QPoint(position, header.height() // 2)


def test_a_refresh_of_many_rows_keeps_the_order(qtbot: QtBot) -> None:
    model, proxy, _view = _table(qtbot)
    rows = [Item(i, f"name {i:04}", START + timedelta(minutes=i)) for i in range(1000)]
    model.set_records(rows)
    assert _shown(proxy)[:3] == ["999", "998", "997"]
    model.set_records(rows[:10])
    assert _shown(proxy) == [str(i) for i in range(9, -1, -1)]


def test_qt_model_tester_accepts_the_record_model_and_its_proxy(qtbot: QtBot) -> None:
    """Qt's model checks on a table of many records, through new records, a sort and a filter."""
    model, proxy, table = _table(qtbot)
    tester = ModelTester(None)
    tester.check(model)
    model.set_records([Item(n, f"item {n}", START + timedelta(n)) for n in range(500)])
    tester.check(model)
    tester.check(proxy)
    table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    proxy.setFilterFixedString("item 4")
    assert 1 < proxy.rowCount() < 500
    tester.check(proxy)
    model.set_records([Item(n, f"item {n}", None) for n in range(3)])
    tester.check(model)
