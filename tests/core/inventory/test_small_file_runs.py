"""Consecutive small files (a folder of DER files) are stored together by one set of statements
(#23: batched small files). What is stored, linked, counted, refused and audited is exactly what
storing them one by one gives, whatever the folder holds: duplicates, a reused serial, an empty
or malformed file, a leaf before its CA, a file of two certificates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core.inventory import importer
from pkiadmin.core.inventory import store as bulk_store
from pkiadmin.core.inventory.import_workers import Parsed
from pkiadmin.core.workspace import folder as workspace
from tests.inventory_helpers import leaf

CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Issuing CA")])


def _ca(key: ec.EllipticCurvePrivateKey, now: datetime) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(CA_NAME)
        .issuer_name(CA_NAME)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )


def _folder(path: Path) -> Path:
    """Files in name order: a leaf before its CA, the CA, leaves, a duplicate, a reused serial,
    an empty file, garbage, a PEM file of two certificates, and more leaves."""
    path.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)

    def der(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.DER)

    def host(n: int, serial: int | None = None) -> x509.Certificate:
        return leaf(f"h{n}.example", now - timedelta(days=1), now + timedelta(days=90), key,
                    serial if serial is not None else 1000 + n)  # fmt: skip

    (path / "000-orphan.der").write_bytes(der(host(0)))
    (path / "001-ca.der").write_bytes(der(_ca(key, now)))
    for n in range(1, 120):
        (path / f"{n + 1:03d}-leaf.der").write_bytes(der(host(n)))
    (path / "121-duplicate.der").write_bytes((path / "006-leaf.der").read_bytes())
    (path / "122-reused-serial.der").write_bytes(der(leaf("other.example", now, now + timedelta(days=9), key, 1007)))  # fmt: skip
    (path / "123-empty.der").write_bytes(b"")
    (path / "124-garbage.der").write_bytes(b"\x30\x82\x01\x00 not a certificate")
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (host(900), host(901)))
    (path / "125-two.pem").write_bytes(pem)
    for n in range(126, 260):
        (path / f"{n:03d}-leaf.der").write_bytes(der(host(n)))
    return path


class Outcome(NamedTuple):
    files: int
    imported: int
    duplicates: int
    refused: list[tuple[str, str]]
    rows: list[tuple[str, str | None]]  # each certificate's SHA-256 and its issuer's
    audited: list[list[str]]  # the files each import entry lists


def _import(ws_path: Path, folder: Path) -> Outcome:
    with workspace.create(ws_path) as ws:
        summary = importer.import_paths(ws, [folder])
        rows = ws.db.execute(
            "SELECT c.sha256, i.sha256 FROM certificates c"
            " LEFT JOIN certificates i ON i.id = c.issuer_cert_id ORDER BY c.id"
        ).fetchall()
        audited = [
            [a[0] if isinstance(a, list) else a["name"] for a in json.loads(r[0])]
            for r in ws.db.execute(
                "SELECT artefacts FROM audit_log WHERE operation = 'cert.import' ORDER BY seq"
            )
        ]
    return Outcome(
        summary.files, summary.imported, summary.duplicates, summary.refused, rows, audited
    )


def test_runs_store_what_one_file_at_a_time_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path / "in")
    together = _import(tmp_path / "together", folder)
    monkeypatch.setattr(importer, "RUN_FILES", 1)
    one_by_one = _import(tmp_path / "alone", folder)
    assert together == one_by_one
    files, imported, duplicates, refused, rows, audited = together
    assert (files, imported, duplicates) == (260, 257, 1)
    reasons = dict(refused)
    assert set(reasons) == {
        str(folder / n) for n in ("122-reused-serial.der", "123-empty.der", "124-garbage.der")
    }
    assert "reused serial number" in reasons[str(folder / "122-reused-serial.der")]
    ca_digest = rows[1][0]
    assert all(issuer == ca_digest for _, issuer in rows)  # the orphan was adopted, too
    listed = [name for entry in audited for name in entry]
    assert len(listed) == 257 and str(folder / "124-garbage.der") not in listed
    assert len(audited) >= 1


def test_a_run_is_used_for_a_folder_of_small_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above compares like with like only if runs happen: count the statements."""
    folder = _folder(tmp_path / "in")
    calls: list[int] = []
    real = bulk_store.store_small

    def counting(
        ws: workspace.Workspace, files: Sequence[Sequence[Parsed]]
    ) -> list[tuple[int, int]] | None:
        calls.append(len(files))
        return real(ws, files)

    monkeypatch.setattr(bulk_store, "store_small", counting)
    _import(tmp_path / "ws", folder)
    assert sum(calls) >= 250
    assert max(calls) == importer.RUN_FILES
