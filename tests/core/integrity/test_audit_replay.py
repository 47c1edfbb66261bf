"""The tables checked against the audit log: an edit made with sqlite3 behind pkiadmin's back is
named by `audit verify` and stops every key use until it is resolved."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pkiadmin.core.base.errors import CheckFailedError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.issuance import authorities
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import folder as workspace
from tests.conftest import PASSPHRASE
from tests.core.revocation.test_crl import issue_intermediate


@pytest.fixture
def stocked(root_ws_path: Path) -> Path:
    with workspace.open_workspace(root_ws_path) as ws:
        cert = issue_intermediate(ws)
        revocation.revoke(ws, cert, "keyCompromise")
        crl.issue(ws, 1, PASSPHRASE)
        crl.issue(ws, 1, PASSPHRASE)
        assert audit_replay.differences(ws.db) == ()
    return root_ws_path


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("UPDATE revocations SET reason = 'superseded'", "database says reason 'superseded'"),
        ("UPDATE revocations SET revoked_at = '2020-01-01T00:00:00+00:00'", "revocation date"),
        ("DELETE FROM revocations", "is missing from the database"),
        ("UPDATE authorities SET key_ref = 'other.key.pem'", "names the key 'other.key.pem'"),
        ("UPDATE authorities SET cert_id = 2 WHERE id = 1", "points at certificate 2"),
        ("DELETE FROM crls WHERE number = 2", "CRL 2 of CA 1 (audit entry"),
        ("UPDATE authorities SET crl_last_number = 0", "the next CRL would reuse a number"),
        ("UPDATE certificates SET sha256 = lower(hex(randomblob(32))) WHERE id = 1",
         "certificate 1 in the database is not the one recorded"),
    ],
)  # fmt: skip
def test_an_edit_behind_pkiadmins_back_is_named_and_stops_key_use(
    stocked: Path, tamper: str, named: str
) -> None:
    with sqlite3.connect(stocked / "pkiadmin.db") as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute(tamper)
    with workspace.open_workspace(stocked) as ws:
        verdict = audit_replay.verify(ws.db)
        assert not verdict.ok
        assert any(named in d for d in verdict.differences), verdict.differences
        assert "chain intact, but the database differs" in verdict.summary
        with pytest.raises(CheckFailedError, match="No key is used"):
            authorities.unlock_key(ws, authorities.get_authority(ws.db, 1), PASSPHRASE)
