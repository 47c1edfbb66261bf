"""Batch signing signs ahead in worker threads and stores in order: a certificate that fails its
post-sign checks is named and its CSR released while the others are stored; a cancel or an
unexpected error stores nothing more, releases every CSR not stored, and leaves no thread; a
group of certificates is committed whole or not at all."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base import faults
from pkiadmin.core.issuance import batch, end_entity, intermediate, profiles
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.fields import serial_hex
from tests.core.issuance.test_end_entity import ISSUING, Hierarchy, csr_for, three_tiers

COUNT = 12


@pytest.fixture
def tiers(tmp_path: Path) -> Iterator[Hierarchy]:
    made = three_tiers(tmp_path / "ws")
    yield made
    made.ws.close()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "csrs"
    folder.mkdir()
    for n in range(COUNT):
        name = f"svc{n:02d}.example.com"
        request, _ = csr_for(name, [x509.DNSName(name)])
        (folder / f"{name}.csr").write_bytes(request.public_bytes(serialization.Encoding.PEM))
    return folder


def _plan(tiers: Hierarchy, tmp_path: Path) -> batch.BatchPlan:
    plan = batch.plan_folder(
        tiers.ws, tiers.issuing_ca, _folder(tmp_path), profiles.get(tiers.ws.db, "tls-server")
    )
    assert len(plan.items) == COUNT and not plan.refused
    return plan


def _csrs(tiers: Hierarchy) -> dict[str, tuple[str, str | None]]:
    rows = tiers.ws.db.execute("SELECT source, status, signing FROM csrs").fetchall()
    return {str(r[0]): (str(r[1]), r[2]) for r in rows}


def _stored_subjects(tiers: Hierarchy) -> list[str]:
    rows = tiers.ws.db.execute(
        "SELECT common_name FROM certificates WHERE profile = 'tls-server' ORDER BY id"
    ).fetchall()
    return [str(r[0]) for r in rows]


def test_one_failing_certificate_is_named_and_the_others_are_stored_in_order(
    tiers: Hierarchy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan(tiers, tmp_path)
    checks = end_entity.check_end_entity

    def failing(cert: x509.Certificate, profile: object) -> list[str]:
        if "svc05" in cert.subject.rfc4514_string():
            return ["made to fail by the test"]
        return checks(cert, profile)  # type: ignore[arg-type]

    monkeypatch.setattr(end_entity, "check_end_entity", failing)
    result = batch.sign(tiers.ws, plan, ISSUING)
    assert [name for name, _ in result.failed] == ["svc05.example.com.csr"]
    assert "made to fail by the test" in result.failed[0][1]
    expected = [f"svc{n:02d}.example.com" for n in range(COUNT) if n != 5]
    assert _stored_subjects(tiers) == expected
    csrs = _csrs(tiers)
    assert csrs["svc05.example.com.csr"] == ("pending", None)  # released, signable again
    assert all(status == "signed" for name, (status, _) in csrs.items() if "svc05" not in name)
    ops = [e.operation for e in audit.entries(tiers.ws.db)]
    assert ops.count("ca.sign-end-entity") == COUNT - 1
    assert ops.count("csr.reserve") == 1  # the batch reserves all its CSRs in one entry
    assert audit.verify(tiers.ws.db).ok


def test_a_cancel_stores_nothing_more_and_releases_the_rest(
    tiers: Hierarchy, tmp_path: Path
) -> None:
    plan = _plan(tiers, tmp_path)
    asked = itertools.count()  # the batch asks before it takes each signed certificate
    seen: list[int] = []
    result = batch.sign(
        tiers.ws,
        plan,
        ISSUING,
        progress=lambda p: seen.append(p.done),
        cancelled=lambda: next(asked) >= 4,
    )
    assert result.cancelled and len(result.issued) == 4 and not result.failed
    assert seen == [1, 2, 3, 4]
    assert len(_stored_subjects(tiers)) == 4  # certificates signed ahead were not stored
    released = [v for v in _csrs(tiers).values() if v[0] == "pending"]
    assert len(released) == COUNT - 4 and all(signing is None for _, signing in released)
    assert audit.verify(tiers.ws.db).ok
    assert not [t for t in threading.enumerate() if t.name.startswith("pkiadmin-batch")]


def test_an_unexpected_error_in_a_signing_thread_stops_the_batch_cleanly(
    tiers: Hierarchy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan(tiers, tmp_path)
    sign = end_entity.sign_certificate

    def broken(*args: object, **kwargs: object) -> end_entity.SignedEndEntity:
        if "svc03" in args[1].subject.rfc4514_string():  # type: ignore[attr-defined]
            raise RuntimeError("the signing thread broke")
        return sign(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(end_entity, "sign_certificate", broken)
    with pytest.raises(RuntimeError, match="the signing thread broke"):
        batch.sign(tiers.ws, plan, ISSUING)
    assert _stored_subjects(tiers) == [f"svc{n:02d}.example.com" for n in range(3)]
    pending = [v for v in _csrs(tiers).values() if v[0] == "pending"]
    assert len(pending) == COUNT - 3 and all(signing is None for _, signing in pending)
    assert audit.verify(tiers.ws.db).ok
    assert not [t for t in threading.enumerate() if t.name.startswith("pkiadmin-batch")]


def test_a_group_whose_commit_fails_is_stored_whole_or_not_at_all(
    tiers: Hierarchy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Certificates are committed in groups: a commit that fails (a full disk, say) takes back
    its whole group, the groups before it stay, and no CSR is left reserved."""
    plan = _plan(tiers, tmp_path)
    monkeypatch.setattr(batch, "GROUP_MAX", 5)
    commits = {"n": 0}
    real_step = faults.step

    def failing_commit(what: str) -> None:
        if what == "before commit":
            commits["n"] += 1
            if commits["n"] == 3:  # 1: import and reserve, 2: svc00-04, 3: svc05-09
                raise sqlite3.OperationalError("database or disk is full")
        real_step(what)

    monkeypatch.setattr(faults, "step", failing_commit)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        batch.sign(tiers.ws, plan, ISSUING)
    assert _stored_subjects(tiers) == [f"svc{n:02d}.example.com" for n in range(5)]
    pending = [v for v in _csrs(tiers).values() if v[0] == "pending"]
    assert len(pending) == COUNT - 5 and all(signing is None for _, signing in pending)
    assert audit.verify(tiers.ws.db).ok
    assert not [t for t in threading.enumerate() if t.name.startswith("pkiadmin-batch")]


def test_a_certificate_that_cannot_be_stored_is_named_and_the_rest_of_its_group_stored(
    tiers: Hierarchy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group is stored in one set of statements; when one of its certificates cannot be stored
    (its serial is taken by a certificate stored meanwhile), the group is stored one by one, that
    certificate named and its CSR released, the others stored with their own audit entries."""
    plan = _plan(tiers, tmp_path)
    monkeypatch.setattr(batch, "GROUP_MAX", 5)  # svc00-04 stored, then svc05-09
    insert = intermediate.insert_issued_many

    def colliding(ws: Workspace, issued: list[intermediate.Issued]) -> list[int]:
        for i in issued:
            if "svc07" in i.certificate.subject.rfc4514_string():
                # A certificate of the same issuer stored meanwhile with svc07's serial, as an
                # adopted CA's index.txt could have brought one.
                ws.db.execute(
                    "UPDATE certificates SET serial_hex = ? WHERE common_name = ?",
                    (serial_hex(i.certificate.serial_number), "svc00.example.com"),
                )
        return insert(ws, issued)

    monkeypatch.setattr(intermediate, "insert_issued_many", colliding)
    result = batch.sign(tiers.ws, plan, ISSUING)
    assert [name for name, _ in result.failed] == ["svc07.example.com.csr"]
    assert "serial number" in result.failed[0][1] and "Sign again" in result.failed[0][1]
    assert len(result.issued) == COUNT - 1
    csrs = _csrs(tiers)
    assert csrs["svc07.example.com.csr"] == ("pending", None)
    ops = [e.operation for e in audit.entries(tiers.ws.db)]
    assert ops.count("ca.sign-end-entity") == COUNT - 1
    assert audit.verify(tiers.ws.db).ok
