"""A table model over a tuple of frozen records, with its columns defined as data, and a filter proxy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

R = TypeVar("R")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column(Generic[R]):
    header: str
    value: Callable[[R], str]
    sort_key: Callable[[R], Any] | None = None
    tooltip: Callable[[R], str] | None = None


class RecordTableModel(QAbstractTableModel, Generic[R]):
    """Read-only rows; SORT_ROLE carries real values (datetimes, ints), RECORD_ROLE the record."""

    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._records: tuple[R, ...] = ()
        self._order: tuple[int, bool] | None = None  # column, descending

    def set_records(self, records: Sequence[R]) -> None:
        self.beginResetModel()
        self._records = self._sorted(records)
        self.endResetModel()

    def sort_records(self, column: int, descending: bool) -> None:
        """Keep the rows in this column's order (sorted here, in one pass over the keys: a
        proxy's comparisons each call into Python several times, 100 ms for 1,000 rows)."""
        self._order = (column, descending) if 0 <= column < len(self._columns) else None
        self.layoutAboutToBeChanged.emit()
        before = self._records
        self._records = self._sorted(before)
        rows = {id(record): row for row, record in enumerate(self._records)}
        old = self.persistentIndexList()
        self.changePersistentIndexList(
            old,
            [
                self.index(rows[id(before[i.row()])], i.column()) if i.row() < len(before) else i
                for i in old
            ],
        )
        self.layoutChanged.emit()

    def _sorted(self, records: Sequence[R]) -> tuple[R, ...]:
        if self._order is None:
            return tuple(records)
        column, descending = self._order
        key = self._columns[column].sort_key or self._columns[column].value
        try:
            return tuple(sorted(records, key=key, reverse=descending))
        except TypeError:  # values of different types (None beside dates): compared as text
            return tuple(sorted(records, key=lambda r: str(key(r)), reverse=descending))

    def records(self) -> tuple[R, ...]:
        return self._records

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            not index.isValid()
            or index.row() >= len(self._records)
            or index.column() >= len(self._columns)
        ):
            return None
        record = self._records[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.value(record)
        if role == SORT_ROLE:
            return (column.sort_key or column.value)(record)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(record)
        if role == RECORD_ROLE:
            return record
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self._columns):
            return self._columns[section].header
        return None


class RecordFilterProxy(QSortFilterProxyModel):
    """Case-insensitive substring filter over every column; sorting on SORT_ROLE."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is done by the source model (RecordTableModel.sort_records); the proxy keeps
        its order and only filters."""
        source = self.sourceModel()
        if isinstance(source, RecordTableModel):
            source.sort_records(column, order == Qt.SortOrder.DescendingOrder)
        else:
            super().sort(column, order)


def record_table(
    proxy: RecordFilterProxy, object_name: str, descending: bool = False, single: bool = True
) -> QTableView:
    """The read-only, sortable, row-selecting table every section uses."""
    table = QTableView()
    table.setObjectName(object_name)
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.sortByColumn(
        0, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
    )
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def selected_record(table: QTableView, kind: type[R]) -> R | None:
    """The record of the selected row, if it is a `kind`."""
    rows = table.selectionModel().selectedRows()
    record = rows[0].data(RECORD_ROLE) if rows else None
    return record if isinstance(record, kind) else None
