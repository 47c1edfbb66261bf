"""A folder of many small files is stored in groups that share a commit, each file still whole
or not at all: a malformed file in the middle is refused alone, a cancel keeps the files stored
before it and nothing of the file it interrupted, and far fewer commits than files are made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.inventory import importer
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace import folder as workspace
from tests.inventory_helpers import leaf

FILES = 1_200


@pytest.fixture(scope="module")
def der_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("der")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    for i in range(FILES):
        cert = leaf(
            f"h{i}.example", now - timedelta(days=1), now + timedelta(days=90), key, 100 + i
        )
        (folder / f"{i:05d}.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return folder


def test_a_malformed_file_is_refused_alone_and_commits_are_shared(
    der_folder: Path, tmp_path: Path
) -> None:
    bad = der_folder / "00600.der"
    saved = bad.read_bytes()
    bad.write_bytes(saved[:100])  # cut short
    commits = []
    try:
        with workspace.create(tmp_path / "ws") as ws:
            ws.db.conn.set_trace_callback(lambda s: commits.append(s) if s == "COMMIT" else None)
            summary = importer.import_paths(ws, [der_folder])
            ws.db.conn.set_trace_callback(None)
            assert summary.imported == FILES - 1
            assert [p for p, _ in summary.refused] == [str(bad)]
            assert len(commits) <= FILES // importer.GROUP_FILES + 3, len(commits)
            assert audit.verify(ws.db).ok
            count = ws.db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]
            assert count == FILES - 1
    finally:
        bad.write_bytes(saved)


def test_a_cancel_keeps_what_was_stored_and_nothing_of_the_file_it_stopped(
    der_folder: Path, tmp_path: Path
) -> None:
    seen = {"files": 0}

    def progress(p: importer.ImportProgress) -> None:
        seen["files"] = p.file_number

    with workspace.create(tmp_path / "ws") as ws:
        summary = importer.import_paths(
            ws, [der_folder], progress=progress, cancelled=lambda: seen["files"] >= 700
        )
        assert summary.cancelled
        stored = ws.db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]
        assert stored == summary.imported
        assert 600 <= stored < 701
        listed = [
            a.name
            for e in audit.entries(ws.db)
            if e.operation == "cert.import"
            for a in e.artefacts
        ]
        # One certificate a file: every stored file is listed once, in an entry of its group.
        assert len(listed) == len(set(listed)) == stored
        rows = ws.db.execute("SELECT COUNT(*) FROM audit_log WHERE operation = 'cert.import'")
        assert rows.fetchone()[0] <= stored // 10
        assert audit.verify(ws.db).ok
