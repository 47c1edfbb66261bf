"""A text search is read from the full-text index joined to the rows, and its first page comes
before its full count: whichever plan a page takes (few matches sorted, or many read in the sort
index's order), it must hold exactly the rows, in exactly the order, of the plain filter."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pkiadmin.core.inventory import query
from pkiadmin.core.inventory.certrecord import CertRecord
from pkiadmin.core.inventory.query import Filter, Sort
from pkiadmin.core.workspace import folder as workspace
from tests.inventory_helpers import large

NOW = datetime(2027, 1, 1, tzinfo=UTC)
ROWS = 3000
KEYS = {
    Sort.ID: lambda r: (r.id,),
    Sort.COMMON_NAME: lambda r: (r.common_name, r.id),
    Sort.NOT_BEFORE: lambda r: (r.not_before, r.id),
    Sort.NOT_AFTER: lambda r: (r.not_after, r.id),
    Sort.KEY: lambda r: (r.key_algorithm, r.key_size, r.id),
}
FILTERS = [
    Filter(text="example"),  # every row
    Filter(text="copy3"),  # a tenth of the rows
    Filter(text="host12"),  # a few
    Filter(text="host123.example"),  # one (a phrase)
    Filter(text="example", expires_within_days=100),
    Filter(text="copy2", ca=False),
    Filter(text="nothing-like-this"),
]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plans")
    with workspace.create(folder / "ws") as ws:
        large(ws, folder / "in", NOW, real=300, rows=ROWS)
    return folder / "ws"


def expected(records: list[CertRecord], sort: Sort, descending: bool) -> list[int]:
    return [r.id for r in sorted(records, key=KEYS[sort], reverse=descending)]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f"{f.text}-{f.expires_within_days}-{f.ca}")
def test_every_plan_gives_the_rows_and_order_of_the_filter(db_path: Path, f: Filter) -> None:
    with workspace.open_workspace(db_path) as ws:
        db = ws.db
        everything = list(query.iterate(db, f, NOW))  # the IN-clause reading of the same filter
        assert query.count(db, f, NOW) == len(everything)
        for up_to in (1, 50, 10_000):
            assert query.count(db, f, NOW, up_to=up_to) == min(up_to, len(everything))
        for sort in Sort:
            for descending in (True, False):
                want = expected(everything, sort, descending)
                for selective in (True, False, None):
                    for offset in (0, 200):
                        got = query.page(db, f, NOW, sort, descending, offset, 200,
                                         selective=selective)  # fmt: skip
                        assert [r.id for r in got] == want[offset : offset + 200], (
                            sort, descending, selective, offset,
                        )  # fmt: skip


def test_the_text_filters_match_what_they_should(db_path: Path) -> None:
    with workspace.open_workspace(db_path) as ws:
        counts = {f.text: query.count(ws.db, f, NOW) for f in FILTERS[:4]}
    assert counts == {"example": ROWS, "copy3": 300, "host12": 11, "host123.example": 1}
