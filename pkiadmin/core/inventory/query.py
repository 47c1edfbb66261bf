"""Search, filters, sorting and paging over the inventory, built so that each filter and each
sortable column is served by an index: a million rows answer in milliseconds. Values are always
parameters; only fixed clause text is put together."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pkiadmin.core.inventory import certrecord, compliance
from pkiadmin.core.inventory.certrecord import CertRecord, Source

if TYPE_CHECKING:
    from pkiadmin.core.workspace.rows import Rows


class Sort(enum.Enum):
    """Sortable columns (each with an index)."""

    ID = "id"
    COMMON_NAME = "common_name"
    NOT_BEFORE = "not_before"
    NOT_AFTER = "not_after"
    KEY = "key_algorithm, key_size"


@dataclass(frozen=True)
class Filter:
    """Structured filters, combinable; None means 'any'."""

    text: str | None = None  # free text over names, SANs, serial and fingerprint (FTS5)
    expires_within_days: int | None = None  # not expired, and expiring within this many days
    expires_from: datetime | None = None  # notAfter in [expires_from, expires_before)
    expires_before: datetime | None = None
    expired: bool | None = None
    not_yet_valid: bool | None = None
    revoked: bool | None = None
    ca: bool | None = None
    issuer: str | None = None  # words of the issuer's name
    issuer_id: int | None = None  # the issuing certificate, by inventory id
    partner_id: int | None = None
    environment: str | None = None
    algorithm: str | None = None  # 'EC P-256', 'RSA', 'RSA 2048'
    source: Source | None = None
    finding: str | None = None  # a compliance finding code (compliance.CODES)

    def is_empty(self) -> bool:
        return self == Filter()


def _fts_terms(text: str) -> str | None:
    terms = [t for t in text.replace('"', " ").replace(":", "").split() if t]
    return " ".join(f'"{t}"*' for t in terms) if terms else None


# A text search read from the full-text index, joined to the rows it names: SQLite then walks the
# index's matches (in id order, when asked) and stops at a page, where `id IN (SELECT rowid ...)`
# first collects every match (a million of them for a word every row holds).
_FTS_SOURCE = (
    " FROM (SELECT rowid AS fts_id FROM certificates_fts WHERE certificates_fts MATCH :match)"
    " JOIN certificates ON id = fts_id"
)


def _source(f: Filter) -> tuple[str, dict[str, object]]:
    """The FROM clause of a count or page: the full-text index joined to the rows for a text
    search alone (the WHERE clause then leaves the text out), else the table. With other filters
    SQLite may walk their index and look each row up in the full-text index, which repeats the
    text's whole match for every row (a prefix: 0.9 s at 100,000 rows, measured): there the
    matches are collected once, by `id IN`."""
    if joins_text(f):
        return _FTS_SOURCE, {"match": _fts_terms(f.text or "")}
    return " FROM certificates", {}


def joins_text(f: Filter) -> bool:
    """A text search alone: its rows are read from the full-text index joined to the table, in
    id order, however many match (so a page by id needs no count first)."""
    return bool(f.text and replace(f, text=None).is_empty() and _fts_terms(f.text))


def _selection(
    db: Rows, f: Filter, now: datetime, selective: bool, join_text: bool = True
) -> tuple[str, dict[str, object], bool]:
    """FROM and WHERE of a count or page, their parameters, and whether the rows come from the
    full-text index (in id order). `join_text`: a text search alone may be joined."""
    source, params = _source(f) if join_text else (" FROM certificates", {})
    joined = source == _FTS_SOURCE
    clause, extra = where(db, f, now, selective, joined=joined)
    return source + clause, params | extra, joined


def where(
    db: Rows, f: Filter, now: datetime, selective: bool = True, joined: bool = False
) -> tuple[str, dict[str, object]]:
    """The WHERE clause (or '') and its parameters. `selective`: the filter matches a small share
    of the rows (the finding clause then lists its certificates instead of probing every row).
    `joined`: the FROM clause is _source's, which matches the text already."""
    parts: list[str] = []
    params: dict[str, object] = {"now": now.isoformat()}
    if f.text and not joined and (terms := _fts_terms(f.text)):
        parts.append(
            "id IN (SELECT rowid FROM certificates_fts WHERE certificates_fts MATCH :match)"
        )
        params["match"] = terms
    if f.issuer and (words := f.issuer.split()):
        names = " AND ".join(f"issuer LIKE :issuer{i}" for i in range(len(words)))
        parts.append(f"issuer_no IN (SELECT no FROM issuer_names WHERE {names})")  # noqa: S608
        params |= {f"issuer{i}": f"%{w}%" for i, w in enumerate(words)}
    if f.expires_within_days is not None:
        parts.append("not_after >= :now AND not_after <= :horizon")
        params["horizon"] = (now + timedelta(days=f.expires_within_days)).isoformat()
    if f.expires_from is not None:
        parts.append("not_after >= :expires_from")
        params["expires_from"] = f.expires_from.astimezone(UTC).isoformat()
    if f.expires_before is not None:
        parts.append("not_after < :expires_before")
        params["expires_before"] = f.expires_before.astimezone(UTC).isoformat()
    if f.expired is not None:
        parts.append("not_after < :now" if f.expired else "not_after >= :now")
    if f.not_yet_valid is not None:
        parts.append("not_before > :now" if f.not_yet_valid else "not_before <= :now")
    if f.revoked is not None:
        parts.append(
            "id IN (SELECT cert_id FROM revocations)"
            if f.revoked
            else "id NOT IN (SELECT cert_id FROM revocations)"
        )
    if f.ca is not None:
        parts.append("is_ca = :ca")
        params["ca"] = int(f.ca)
    if f.issuer_id is not None:
        parts.append("issuer_cert_id = :issuer_id")
        params["issuer_id"] = f.issuer_id
    if f.partner_id is not None:
        parts.append("partner_id = :partner_id")
        params["partner_id"] = f.partner_id
    if f.environment:
        parts.append("environment = :environment")
        params["environment"] = f.environment
    if f.algorithm:
        # Matching most rows, the key index is no help (the page is read in the sort's order and
        # each row tested): '+' keeps SQLite from choosing it and sorting every match.
        column = "key_algorithm" if selective else "+key_algorithm"
        name, _, size = f.algorithm.partition(" ")
        if name == "RSA" and size.isdigit():
            parts.append(f"{column} = 'RSA' AND key_size = :size")
            params["size"] = int(size)
        else:
            parts.append(f"{column} = :algorithm")
            params["algorithm"] = f.algorithm
    if f.source is not None:
        parts.append("source = :source")
        params["source"] = f.source.value
    if f.finding:
        clause, extra = compliance.clause(f.finding, now, selective)
        parts.append(clause)
        params |= extra
    return (" WHERE " + " AND ".join(f"({p})" for p in parts)) if parts else "", params


def count(db: Rows, f: Filter, now: datetime | None = None, up_to: int | None = None) -> int:
    """How many certificates match. With `up_to`, counting stops there: the answer is exact when
    it is below `up_to`, and means "at least `up_to`" otherwise (cheap at any size)."""
    now = now or datetime.now(UTC)
    if up_to is not None:
        selection, params, _ = _selection(db, f, now, selective=True)
        sql = f"SELECT COUNT(*) FROM (SELECT 1{selection} LIMIT :up_to)"  # noqa: S608 - fixed text
        return int(db.execute(sql, params | {"up_to": up_to}).fetchone()[0])
    if f.finding and replace(f, finding=None).is_empty() and not compliance.rule(f.finding).clock:
        return compliance.count(db, f.finding)  # straight from the findings index
    if f.algorithm and replace(f, algorithm=None).is_empty():
        return _algorithm_count(db, f.algorithm)
    if f.text and replace(f, text=None).is_empty() and (terms := _fts_terms(f.text)):
        # Straight from the full-text index (its triggers keep it in step with the table).
        sql = "SELECT COUNT(*) FROM certificates_fts WHERE certificates_fts MATCH :match"
        return int(db.execute(sql, {"match": terms}).fetchone()[0])
    clause, params = where(db, f, now, selective=True)
    return int(db.execute(f"SELECT COUNT(*) FROM certificates{clause}", params).fetchone()[0])  # noqa: S608


ALGORITHM_COUNT_MIN = 1000  # below this many matches, they are counted directly


def _algorithm_count(db: Rows, algorithm: str) -> int:
    """How many keys of this algorithm (and size). One algorithm is often nearly every row, and
    counting it reads most of the key index: when the count passes an eighth of the rows, the
    rest is found as all rows less those before and after it in the key index instead."""
    name, _, size = algorithm.partition(" ")
    if name == "RSA" and size.isdigit():
        key: tuple[object, ...] = ("RSA", int(size))
        match = "key_algorithm = 'RSA' AND key_size = ?"
        below, above = "(key_algorithm, key_size) < (?, ?)", "(key_algorithm, key_size) > (?, ?)"
        params: tuple[object, ...] = (int(size),)
    else:
        match, key = "key_algorithm = ?", (algorithm,)
        below, above = "key_algorithm < ?", "key_algorithm > ?"
        params = key
    cap = max(ALGORITHM_COUNT_MIN, rows(db) // 8)
    found = int(
        db.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM certificates WHERE {match} LIMIT ?)",  # noqa: S608 - fixed text
            (*params, cap),
        ).fetchone()[0]
    )
    if found < cap:
        return found
    total = int(db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0])
    others = sum(
        int(db.execute(f"SELECT COUNT(*) FROM certificates WHERE {side}", key).fetchone()[0])  # noqa: S608
        for side in (below, above)
    )
    return total - others


def rows(db: Rows) -> int:
    """The number of rows, near enough (the largest id): cheap at any size."""
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM certificates").fetchone()[0])


def _order(sort: Sort, descending: bool, by_index: bool, fts: bool = False) -> str:
    """ORDER BY; without by_index the sort column is written +column, which keeps SQLite from
    walking the sort index (and testing every row) when the filter's own index finds few rows.
    `fts`: the rows come from the full-text index, which gives them in id order itself."""
    direction = " DESC" if descending else ""
    if sort is Sort.ID and fts and by_index:
        return f" ORDER BY fts_id{direction}"
    mark = "" if by_index else "+"
    columns = ", ".join(f"{mark}{c}{direction}" for c in sort.value.split(", "))
    return f" ORDER BY {columns}" + ("" if sort is Sort.ID else f", id{direction}")


def page(
    db: Rows,
    f: Filter,
    now: datetime | None = None,
    sort: Sort = Sort.ID,
    descending: bool = True,
    offset: int = 0,
    limit: int = 200,
    total: int | None = None,
    selective: bool | None = None,
) -> tuple[CertRecord, ...]:
    """One page of the matching certificates, in the given order. The plan: few matches are
    found by the filter's index and sorted; many are read in the sort index's order until the
    page is full. `selective` says which, else `total` (the count, if known) decides, else a
    count."""
    now = now or datetime.now(UTC)
    if f.is_empty():
        selective = False
    elif selective is None:
        matches = count(db, f, now) if total is None else total
        selective = matches * 5 < rows(db)
    # Walking the sort index (not the text index) tests each row against the text: the text is
    # then a set collected once (an IN clause), not a join.
    selection, params, joined = _selection(
        db, f, now, selective, join_text=sort is Sort.ID or selective
    )
    params |= {"limit": limit, "offset": offset}
    order = _order(sort, descending, by_index=not selective, fts=joined)
    sql = f"SELECT {certrecord.COLUMNS}{selection}{order} LIMIT :limit OFFSET :offset"
    return tuple(certrecord.record(r) for r in db.query(sql, params))


def search(
    db: Rows, f: Filter, now: datetime | None = None, limit: int | None = None
) -> tuple[CertRecord, ...]:
    """The matching certificates, newest first (all of them, or the first `limit`)."""
    if limit is not None:
        return page(db, f, now, limit=limit)
    return tuple(iterate(db, f, now))


def iterate(
    db: Rows, f: Filter, now: datetime | None = None, batch: int = 5000
) -> Iterator[CertRecord]:
    """Every matching certificate, newest first, read in batches by id (exports of any size in
    little memory, without the cost of deep OFFSETs)."""
    clause, params = where(db, f, now or datetime.now(UTC))
    joiner = " AND " if clause else " WHERE "
    last: int | None = None
    while True:
        keyset = "" if last is None else f"{joiner}id < :last"
        sql = (
            f"SELECT {certrecord.COLUMNS} FROM certificates{clause}{keyset}"  # noqa: S608
            " ORDER BY id DESC LIMIT :batch"
        )
        rows = tuple(
            certrecord.record(r) for r in db.query(sql, params | {"last": last, "batch": batch})
        )
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id


def revoked_ids(db: Rows, ids: list[int]) -> set[int]:
    """Which of these certificates have a revocation recorded."""
    found: set[int] = set()
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        found.update(
            int(r[0])
            for r in db.execute(
                f"SELECT cert_id FROM revocations WHERE cert_id IN ({marks})",  # noqa: S608
                chunk,
            )
        )
    return found
