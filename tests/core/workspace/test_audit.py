"""The audit chain names the first entry that was edited, removed or reordered."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace


def add(ws: Workspace, n: int) -> None:
    for i in range(n):
        with ws.db.atomic():
            audit.append(
                ws.db, "test.op", {"n": i}, (audit.Artefact("file", "ab" * 32),), actor="tester"
            )


def test_intact_chain_verifies(ws: Workspace) -> None:
    add(ws, 4)
    verdict = audit.verify(ws.db)
    assert verdict.ok and verdict.entries == 5
    assert verdict.head_hash == audit.entries(ws.db)[-1].entry_hash


def test_summary_wording(ws: Workspace) -> None:
    assert audit.verify(ws.db).summary == "1 entry, chain intact"
    add(ws, 1)
    assert audit.verify(ws.db).summary == "2 entries, chain intact"


def test_append_outside_a_transaction_is_refused(ws: Workspace) -> None:
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        audit.append(ws.db, "x", {})


def test_edited_entry_is_named(ws: Workspace) -> None:
    add(ws, 4)
    ws.db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    verdict = audit.verify(ws.db)
    assert not verdict.ok
    assert verdict.first_bad_seq == 3
    assert "entry #3 was edited" in verdict.problem


def test_edit_with_recomputed_hash_is_caught_at_the_next_entry(ws: Workspace) -> None:
    add(ws, 4)
    entry = audit.entries(ws.db)[2]
    forged = audit._entry_hash(  # an attacker who knows the scheme rewrites entry 3 consistently
        entry.at,
        "mallory",
        entry.operation,
        entry.objects,
        entry.artefacts,
        entry.details,
        entry.prev_hash,
    )
    ws.db.execute("UPDATE audit_log SET actor = 'mallory', entry_hash = ? WHERE seq = 3", (forged,))
    verdict = audit.verify(ws.db)
    assert verdict.first_bad_seq == 4
    assert "does not follow entry #3" in verdict.problem


def test_deleted_entry_is_named(ws: Workspace) -> None:
    add(ws, 4)
    ws.db.execute("DELETE FROM audit_log WHERE seq = 2")
    verdict = audit.verify(ws.db)
    assert verdict.first_bad_seq == 3
    assert "entry #2 is missing" in verdict.problem


def test_deleted_and_renumbered_entry_is_caught(ws: Workspace) -> None:
    add(ws, 4)
    ws.db.execute("DELETE FROM audit_log WHERE seq = 2")
    ws.db.execute("UPDATE audit_log SET seq = seq - 1 WHERE seq > 2")
    verdict = audit.verify(ws.db)
    assert verdict.first_bad_seq == 2
    assert "does not follow entry #1" in verdict.problem


def test_reordered_entries_are_named(ws: Workspace) -> None:
    add(ws, 4)
    ws.db.execute("UPDATE audit_log SET seq = -1 WHERE seq = 3")
    ws.db.execute("UPDATE audit_log SET seq = 3 WHERE seq = 4")
    ws.db.execute("UPDATE audit_log SET seq = 4 WHERE seq = -1")
    verdict = audit.verify(ws.db)
    assert verdict.first_bad_seq == 3
    assert "entry #3 is out of order" in verdict.problem


def test_entries_cut_from_the_end_are_caught(ws: Workspace) -> None:
    add(ws, 4)
    ws.db.execute("DELETE FROM audit_log WHERE seq >= 4")
    verdict = audit.verify(ws.db)
    assert verdict.first_bad_seq == 4
    assert "entries from #4 on were removed" in verdict.problem


def test_limit_returns_the_last_entries_in_order(ws: Workspace) -> None:
    add(ws, 4)
    assert [e.seq for e in audit.entries(ws.db, limit=2)] == [4, 5]


@settings(max_examples=30, deadline=None)
@given(
    target=st.integers(min_value=1, max_value=6),
    column=st.sampled_from(
        ["at", "actor", "operation", "objects", "artefacts", "details", "prev_hash"]
    ),
)
def test_any_single_field_edit_is_detected_at_that_entry(target: int, column: str) -> None:
    db = Database(memory=True)
    from pkiadmin.core.workspace import schema

    schema.migrate(db, 0)
    for i in range(6):
        with db.atomic():
            audit.append(db, "op", {"i": i}, details={"d": i}, actor="a")
    value = {"objects": '{"i": 99}', "artefacts": '[["x", "00"]]', "details": "{}"}.get(
        column, "tampered"
    )
    db.execute(f"UPDATE audit_log SET {column} = ? WHERE seq = ?", (value, target))  # noqa: S608
    verdict = audit.verify(db)
    assert not verdict.ok
    assert verdict.first_bad_seq == target
