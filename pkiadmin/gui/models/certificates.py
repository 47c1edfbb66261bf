"""A lazy table model over the whole inventory: a million rows without loading them.

The GUI thread never runs a query. An InventoryReader on its own thread, with its own read-only
SQLite connection (WAL lets it read while the CA worker writes), counts the matches of the
current filter (up to PROBE first, so that the first page is shown before a count of a million
is done) and loads pages of rows on demand; the model shows '…' for a row until its page
arrives. A new filter or sort starts a new generation: answers for older ones are dropped, and a
query still running for one is interrupted.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QMetaObject,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThread,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.inventory import compliance, query
from pkiadmin.core.inventory.certrecord import CertRecord
from pkiadmin.core.workspace import folder as workspace

if TYPE_CHECKING:
    from sqlite_utils import Database

PAGE = 200
PROBE = 10_000  # matches counted before the first page is shown; the exact count follows
MAX_PAGES = 64  # pages kept in memory (about 13,000 rows)
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Row:
    record: CertRecord
    revoked: bool
    findings: tuple[str, ...]

    def status(self, now: datetime) -> str:
        return "revoked" if self.revoked else self.record.status(now)


@dataclass(frozen=True)
class Request:
    generation: int
    filter: query.Filter
    sort: query.Sort
    descending: bool
    now: datetime


class MatchCounter(QObject):
    """Counts every match of a request on its own thread and connection, so that the pages the
    view asks for meanwhile are not kept waiting behind the count (SQLite releases the
    interpreter lock while it counts: the two run side by side)."""

    counted = Signal(int, int)  # generation, the exact number of matches
    failed = Signal(int, str)

    def __init__(self, workspace_path: Path) -> None:
        super().__init__()
        self._path = workspace_path
        self._db: Database | None = None

    def interrupt(self) -> None:
        if self._db is not None:
            self._db.conn.interrupt()

    @Slot(object)
    def count(self, request: Request) -> None:
        try:
            if self._db is None:
                self._db = workspace.open_reader(self._path)
            total = query.count(self._db, request.filter, request.now)
        except (sqlite3.Error, PkiError) as exc:
            if "interrupted" not in str(exc):  # else stopped on purpose by a newer request
                self.failed.emit(request.generation, workspace.read_failure(exc) or str(exc))
            return
        self.counted.emit(request.generation, total)

    @Slot()
    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class InventoryReader(QObject):
    """Lives on its own thread; answers count and page requests for the newest generation. The
    first page comes before the full count: a count that stops at PROBE chooses the plan and
    fills the view (a text search alone, by id, needs no plan: its first page is read at once),
    and the exact count follows from the counter (a word every row holds matches a million)."""

    reset_ready = Signal(
        int, int, int, object, bool
    )  # generation, matches so far, rows, page, exact
    counted = Signal(int, int)  # generation, the exact number of matches
    page_ready = Signal(int, int, object)  # generation, page number, tuple[Row, ...]
    failed = Signal(int, str)
    count_requested = Signal(object)  # a Request whose matches the counter counts

    def __init__(self, workspace_path: Path) -> None:
        super().__init__()
        self._path = workspace_path
        self._db: Database | None = None
        self._current: Request | None = None
        self._selective: bool | None = None  # the plan of the current request
        # The exact count runs on the counter (ReaderThread gives it a thread of its own); its
        # answers are this reader's, emitted straight from the counter's thread.
        self.counter = MatchCounter(workspace_path)
        self.count_requested.connect(self.counter.count)
        self.counter.counted.connect(self.counted, Qt.ConnectionType.DirectConnection)
        self.counter.failed.connect(self.failed, Qt.ConnectionType.DirectConnection)

    def connection(self) -> Database:
        if self._db is None:
            self._db = workspace.open_reader(self._path)
        return self._db

    def interrupt(self) -> None:
        """From the GUI thread: stop the queries running now, the count's included (sqlite3
        allows this across threads)."""
        if self._db is not None:
            self._db.conn.interrupt()
        self.counter.interrupt()

    @Slot(object)
    def start(self, request: Request) -> None:
        self._current = request
        try:
            db = self.connection()
            now = request.now
            rows = query.rows(db)
            if request.sort is query.Sort.ID and query.joins_text(request.filter):
                # A text search alone, by id: the full-text index gives its matches in id order
                # however many there are, so the first page is read at once; the counter counts.
                self._selective = False
                first = self._rows(db, request, 0, now)
                found, exact = len(first), len(first) < PAGE
            else:
                found = query.count(db, request.filter, now, up_to=PROBE)
                exact = found < PROBE
                self._selective = exact and found * 5 < rows
                first = self._rows(db, request, 0, now)
        except (sqlite3.Error, PkiError) as exc:
            self._report(request.generation, exc)
            return
        self.reset_ready.emit(request.generation, found, rows, first, exact)
        if not exact:
            self.count_requested.emit(request)

    @Slot(int, int)
    def load(self, generation: int, page: int) -> None:
        request = self._current
        if request is None or request.generation != generation:
            return  # a newer filter or sort has replaced this one
        try:
            rows = self._rows(self.connection(), request, page, request.now)
        except (sqlite3.Error, PkiError) as exc:
            self._report(generation, exc)
            return
        self.page_ready.emit(generation, page, rows)

    def _report(self, generation: int, exc: sqlite3.Error | PkiError) -> None:
        if "interrupted" in str(exc):
            return  # stopped on purpose: a newer request replaced this one
        self.failed.emit(generation, workspace.read_failure(exc) or str(exc))

    def _rows(self, db: Database, request: Request, page: int, now: datetime) -> tuple[Row, ...]:
        records = query.page(
            db,
            request.filter,
            now,
            request.sort,
            request.descending,
            offset=page * PAGE,
            limit=PAGE,
            selective=self._selective,
        )
        ids = [r.id for r in records]
        revoked = query.revoked_ids(db, ids)
        findings = compliance.findings_for(db, ids, now)
        return tuple(Row(r, r.id in revoked, findings.get(r.id, ())) for r in records)

    @Slot()
    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@dataclass(frozen=True)
class Column:
    header: str
    sort: query.Sort | None


COLUMNS = (
    Column("ID", query.Sort.ID),
    Column("Common name", query.Sort.COMMON_NAME),
    Column("Issuer", None),
    Column("Serial", None),
    Column("Not after", query.Sort.NOT_AFTER),
    Column("Key", query.Sort.KEY),
    Column("CA", None),
    Column("Status", None),
    Column("Source", None),
    Column("Environment", None),
    Column("Findings", None),
)
_STATUS_COLOURS = {"expired": "#c62828", "revoked": "#8e0000", "not yet valid": "#b26a00"}


def _cell(row: Row, column: int, now: datetime) -> str:
    r = row.record
    match column:
        case 0:
            return str(r.id)
        case 1:
            return r.common_name
        case 2:
            return r.issuer
        case 3:
            return r.serial_hex[:16] + ("…" if len(r.serial_hex) > 16 else "")
        case 4:
            return f"{r.not_after:%Y-%m-%d}"
        case 5:
            return r.key_algorithm if r.key_algorithm != "RSA" else f"RSA {r.key_size}"
        case 6:
            return "yes" if r.is_ca else "no"
        case 7:
            return row.status(now)
        case 8:
            return r.source.value
        case 9:
            return r.environment
        case _:
            return ("⚠ " + ", ".join(row.findings)) if row.findings else "✓"


class CertTableModel(QAbstractTableModel):
    """Rows come from the reader, page by page; the model asks for a page when a view shows it."""

    request_start = Signal(object)  # Request, queued to the reader
    request_page = Signal(int, int)  # generation, page
    loaded = Signal(int)  # matches of the current filter (so far: see `exact`), first page in
    counted = Signal(int)  # the exact number of matches, when it came after the first page
    failed = Signal(str)

    def __init__(self, reader: InventoryReader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self._generation = 0
        self._stopped = False
        self._total = 0
        self._exact = True
        self._rows_in_table = 0
        self._pages: OrderedDict[int, tuple[Row, ...]] = OrderedDict()
        self._asked: set[int] = set()
        self._filter = query.Filter()
        self._sort = query.Sort.ID
        self._descending = True
        self._asked_at = self._now = datetime.now(UTC)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests inject a clock
        self.request_start.connect(reader.start, Qt.ConnectionType.QueuedConnection)
        self.request_page.connect(reader.load, Qt.ConnectionType.QueuedConnection)
        reader.reset_ready.connect(self._reset_ready, Qt.ConnectionType.QueuedConnection)
        reader.counted.connect(self._counted, Qt.ConnectionType.QueuedConnection)
        reader.page_ready.connect(self._page_ready, Qt.ConnectionType.QueuedConnection)
        reader.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)

    # --- what the page asks for ------------------------------------------------------------

    @property
    def current_filter(self) -> query.Filter:
        return self._filter

    @property
    def total(self) -> int:
        return self._total

    @property
    def exact(self) -> bool:
        """Whether `total` is the exact number of matches (else: at least that many, counting)."""
        return self._exact

    @property
    def rows_in_inventory(self) -> int:
        return self._rows_in_table

    def set_filter(self, f: query.Filter) -> None:
        self._filter = f
        self.reload()

    def stop(self) -> None:
        """The window is closing: answers still on their way are dropped, nothing more is asked."""
        self._stopped = True
        self._generation += 1

    def reload(self) -> None:
        """Ask again (a new filter, sort, or the inventory changed)."""
        if self._stopped:
            return
        self._generation += 1
        self._reader.interrupt()
        self._asked_at = self.clock()
        self.request_start.emit(
            Request(self._generation, self._filter, self._sort, self._descending, self._asked_at)
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS) or COLUMNS[column].sort is None:
            return
        sort = COLUMNS[column].sort
        assert sort is not None  # noqa: S101 - checked above
        self._sort = sort
        self._descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def sortable(self, column: int) -> bool:
        return 0 <= column < len(COLUMNS) and COLUMNS[column].sort is not None

    def row(self, number: int) -> Row | None:
        page = self._pages.get(number // PAGE)
        if page is None or number % PAGE >= len(page):
            return None
        return page[number % PAGE]

    def find_row(self, cert_id: int) -> int | None:
        for number, rows in self._pages.items():
            for i, row in enumerate(rows):
                if row.record.id == cert_id:
                    return number * PAGE + i
        return None

    # --- answers from the reader ---------------------------------------------------------

    def _reset_ready(
        self, generation: int, total: int, rows: int, first: tuple[Row, ...], exact: bool
    ) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._now = self._asked_at
        self._total = total
        self._exact = exact
        self._rows_in_table = rows
        self._pages.clear()
        self._asked.clear()
        self._pages[0] = first
        self.endResetModel()
        self.loaded.emit(total)

    def _counted(self, generation: int, total: int) -> None:
        if generation != self._generation:
            return
        if total > self._total:
            self.beginInsertRows(QModelIndex(), self._total, total - 1)
            self._total = total
            self.endInsertRows()
        elif total < self._total:  # rows deleted since the first count
            self.beginRemoveRows(QModelIndex(), total, self._total - 1)
            self._total = total
            self.endRemoveRows()
        self._exact = True
        self.counted.emit(total)

    def _page_ready(self, generation: int, page: int, rows: tuple[Row, ...]) -> None:
        if generation != self._generation:
            return
        self._asked.discard(page)
        self._pages[page] = rows
        self._pages.move_to_end(page)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        first = page * PAGE
        last = min(self._total, first + PAGE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.failed.emit(message)

    # --- QAbstractTableModel ---------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row(index.row())
        if row is None:
            page = index.row() // PAGE
            if page not in self._asked:
                self._asked.add(page)
                self.request_page.emit(self._generation, page)
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(row, index.column(), self._now)
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 10 and row.findings:
                return "\n".join(compliance.rule(c).title for c in row.findings)
            return row.record.subject if index.column() in (1, 2) else None
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (7, 10):
            status = row.status(self._now)
            if index.column() == 7 and status in _STATUS_COLOURS:
                return QBrush(QColor(_STATUS_COLOURS[status]))
            if index.column() == 10 and row.findings:
                return QBrush(QColor("#b26a00"))
        if role == RECORD_ROLE:
            return row.record
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section].header
        return None


class ReaderThread:
    """The reader and the thread it lives on, stopped cleanly at exit."""

    def __init__(self, workspace_path: Path) -> None:
        self.thread = QThread()
        self.thread.setObjectName("pkiadmin-inventory-reader")
        self.count_thread = QThread()
        self.count_thread.setObjectName("pkiadmin-inventory-counter")
        self.reader = InventoryReader(workspace_path)
        self.reader.moveToThread(self.thread)
        self.reader.counter.moveToThread(self.count_thread)
        self.thread.start()
        self.count_thread.start()

    def stop(self) -> None:
        self.reader.interrupt()
        for thread, reader in (
            (self.thread, self.reader),
            (self.count_thread, self.reader.counter),
        ):
            if thread.isRunning():
                QMetaObject.invokeMethod(
                    reader, "close", Qt.ConnectionType.BlockingQueuedConnection
                )
                thread.quit()
                thread.wait()
