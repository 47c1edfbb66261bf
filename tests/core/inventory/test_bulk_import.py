"""Bulk import: every format, duplicates, issuer links, and every kind of bad file refused with
its reason while what was already imported stays consistent."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from pkiadmin.core.inventory import certrecord, query
from pkiadmin.core.inventory import importer as bulk_import
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from tests.core.x509.test_csr import VECTORS
from tests.package_helpers import client_identity, partner_ca


def _pem(*certs: object) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)  # type: ignore[attr-defined]


def test_every_format_duplicates_and_issuer_links(ws: Workspace, tmp_path: Path) -> None:
    ca = partner_ca()
    folder = tmp_path / "in" / "nested"
    folder.mkdir(parents=True)
    (folder / "bundle.pem").write_bytes(_pem(ca.issuing, ca.root))  # issuer after the issued
    (tmp_path / "in" / "root.der").write_bytes(ca.root.public_bytes(serialization.Encoding.DER))
    (tmp_path / "in" / "chain.p7b").write_bytes(
        pkcs7.serialize_certificates([ca.root, ca.issuing], serialization.Encoding.DER)
    )
    leaf_pem, leaf_key = client_identity(tmp_path, "client", ca.issuing, ca.issuing_key)
    from cryptography import x509

    leaf = x509.load_pem_x509_certificate(leaf_pem.read_bytes())
    key = serialization.load_pem_private_key(leaf_key.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    (tmp_path / "in" / "client.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"client",
            key,
            leaf,
            None,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    summary = bulk_import.import_paths(ws, [tmp_path / "in"], p12_password="s3cret")
    assert (summary.files, summary.imported, summary.duplicates, summary.refused) == (4, 3, 3, [])
    records = {r.common_name: r for r in inventory.list_certificates(ws.db)}
    assert records["Partner Issuing CA"].issuer_cert_id == records["Partner Root"].id
    assert records["client"].issuer_cert_id == records["Partner Issuing CA"].id
    assert all(r.source is certrecord.Source.IMPORTED for r in records.values())
    # One audit entry for the files stored under one commit, each file named with its SHA-256.
    (entry,) = [e for e in audit.entries(ws.db) if e.operation == "cert.import"]
    stored = sorted(p for p in (tmp_path / "in").rglob("*") if p.is_file())
    assert sorted(a.name for a in entry.artefacts) == [str(p) for p in stored]
    for artefact in entry.artefacts:
        assert artefact.sha256 == hashlib.sha256(Path(artefact.name).read_bytes()).hexdigest()
    assert (entry.details["imported"], entry.details["duplicates"]) == (3, 3)


def test_bad_files_are_refused_with_reasons(ws: Workspace, tmp_path: Path) -> None:
    ca = partner_ca()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.pem").write_bytes(_pem(ca.root))
    (folder / "garbage.crt").write_bytes(b"this is not a certificate at all")
    (folder / "truncated.pem").write_bytes(_pem(ca.issuing)[:300])
    with (folder / "huge.bin").open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    (folder / "locked.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"x", None, ca.root, None, serialization.BestAvailableEncryption(b"right")
        )
    )
    summary = bulk_import.import_paths(
        ws, [folder, tmp_path / "vanished.pem"], p12_password="wrong"
    )
    reasons = {Path(name).name: reason for name, reason in summary.refused}
    assert summary.imported == 1
    assert "not a certificate file pkiadmin can read" in reasons["garbage.crt"]
    assert "not a certificate file pkiadmin can read" in reasons["truncated.pem"]
    assert reasons["huge.bin"] == "104 MB is far more than a certificate file"
    assert "password does not open" in reasons["locked.p12"]
    assert reasons["vanished.pem"] == "the file disappeared before it could be read"
    assert audit.verify(ws.db).ok


def test_a_cancelled_import_keeps_what_was_imported(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.pem").write_bytes(_pem(partner_ca().root))
    started: list[int] = []

    def progress(p: bulk_import.ImportProgress) -> None:
        assert p.file_count == 3
        if p.certificates == 0:
            started.append(p.file_number)

    summary = bulk_import.import_paths(
        ws, [folder], progress=progress, cancelled=lambda: len(started) >= 2
    )
    # File 1 is kept; file 2 was being stored when the cancel came, and is rolled back whole.
    assert summary.cancelled and summary.files == 2 and summary.imported == 1
    assert len(inventory.list_certificates(ws.db)) == 1
    assert [e.operation for e in audit.entries(ws.db)].count("cert.import") == 1


def _leaves(count: int) -> list[x509.Certificate]:
    ca = partner_ca()
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    now = datetime.now(UTC)
    return [
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"h{i}.example")]))
        .issuer_name(ca.issuing.subject)
        .public_key(key)
        .serial_number(1000 + i)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"h{i}.example")]), False)
        .sign(ca.issuing_key, hashes.SHA256())
        for i in range(count)
    ] + [ca.issuing]


def test_a_large_bundle_read_by_worker_processes(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_import, "PARALLEL_MIN", 10)
    monkeypatch.setattr(bulk_import, "CHUNK", 7)
    certs = _leaves(30)  # the issuing CA comes last: the leaves are linked to it all the same
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(_pem(*certs))
    seen: list[int] = []
    summary = bulk_import.import_paths(ws, [bundle], progress=lambda p: seen.append(p.certificates))
    assert (summary.imported, summary.refused) == (31, [])
    assert seen == [0, 7, 14, 21, 28, 31]
    records = {r.common_name: r for r in inventory.list_certificates(ws.db)}
    ca_id = records["Partner Issuing CA"].id
    assert all(records[f"h{i}.example"].issuer_cert_id == ca_id for i in range(30))
    assert [r.id for r in query.search(ws.db, query.Filter(text="h17.example"))] == [
        records["h17.example"].id
    ]


def test_a_cancel_in_the_middle_of_a_bundle_keeps_nothing_of_it(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_import, "PARALLEL_MIN", 10)
    monkeypatch.setattr(bulk_import, "CHUNK", 5)
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(_pem(*_leaves(20)))
    stored: list[int] = []
    summary = bulk_import.import_paths(
        ws,
        [bundle],
        progress=lambda p: stored.append(p.certificates),
        cancelled=lambda: max(stored, default=0) >= 10,
    )
    assert summary.cancelled and summary.imported == 0
    assert inventory.list_certificates(ws.db) == ()
    assert [e.operation for e in audit.entries(ws.db)] == ["workspace.create"]


def test_a_malformed_certificate_in_a_large_bundle_refuses_the_file(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_import, "PARALLEL_MIN", 10)
    monkeypatch.setattr(bulk_import, "CHUNK", 5)
    text = _pem(*_leaves(20))
    blocks = text.split(b"-----END CERTIFICATE-----\n")
    blocks[13] = blocks[13][:200]  # one certificate cut short, in the third piece
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"-----END CERTIFICATE-----\n".join(blocks))
    summary = bulk_import.import_paths(ws, [bundle])
    assert summary.imported == 0 and len(summary.refused) == 1
    assert "not a certificate file pkiadmin can read" in summary.refused[0][1]
    assert inventory.list_certificates(ws.db) == ()


def test_the_malformed_certificates_in_cryptography_vectors_do_not_crash(ws: Workspace) -> None:
    corpus = sorted(
        p for p in (VECTORS).rglob("*") if p.is_file() and p.suffix in {".pem", ".der", ".crt"}
    )
    assert len(corpus) > 100
    summary = bulk_import.import_paths(ws, corpus)
    assert summary.files == len(corpus)
    assert summary.imported > 50 and summary.refused  # some are fine, the malformed are refused
    assert audit.verify(ws.db).ok


@pytest.mark.parametrize("suffix", [".pem", ".der"])
def test_a_file_is_imported_whole_or_not_at_all(ws: Workspace, tmp_path: Path, suffix: str) -> None:
    ca = partner_ca()
    path = tmp_path / f"one{suffix}"
    path.write_bytes(
        _pem(ca.root) if suffix == ".pem" else ca.root.public_bytes(serialization.Encoding.DER)
    )
    assert bulk_import.import_paths(ws, [path]).imported == 1
    assert bulk_import.import_paths(ws, [path]).duplicates == 1


def test_a_ca_imported_later_adopts_what_it_signed(ws: Workspace, tmp_path: Path) -> None:
    certs = _leaves(3)  # three leaves, then their issuing CA last
    first = tmp_path / "leaves.pem"
    first.write_bytes(_pem(*certs[:3]))
    later = tmp_path / "ca.pem"
    later.write_bytes(_pem(certs[3]))
    assert bulk_import.import_paths(ws, [first]).imported == 3
    assert {r.issuer_cert_id for r in inventory.list_certificates(ws.db)} == {None}
    assert bulk_import.import_paths(ws, [later]).imported == 1
    records = {r.common_name: r for r in inventory.list_certificates(ws.db)}
    ca_id = records["Partner Issuing CA"].id
    assert [records[f"h{i}.example"].issuer_cert_id for i in range(3)] == [ca_id] * 3


def _reissued(cert: x509.Certificate, common_name: str) -> x509.Certificate:
    """Another certificate with the issuer and serial of `cert` (a reused serial number)."""
    ca = partner_ca()
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(cert.issuer)
        .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        .serial_number(cert.serial_number)
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
        .sign(ca.issuing_key, hashes.SHA256())
    )


def test_duplicates_in_a_file_and_in_the_inventory_are_counted_once(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_import, "PARALLEL_MIN", 10)
    monkeypatch.setattr(bulk_import, "CHUNK", 4)
    certs = _leaves(12)
    first = tmp_path / "first.pem"
    first.write_bytes(_pem(*certs[:5]))
    assert bulk_import.import_paths(ws, [first]).imported == 5
    # Twice in one batch, again in a later batch, and five already in the inventory.
    again = tmp_path / "again.pem"
    again.write_bytes(_pem(certs[5], certs[5], *certs, certs[6]))
    summary = bulk_import.import_paths(ws, [again])
    assert (summary.imported, summary.duplicates, summary.refused) == (8, 8, [])
    assert len(inventory.list_certificates(ws.db)) == 13
    assert bulk_import.import_paths(ws, [again]).duplicates == 16


def test_a_reused_serial_number_refuses_the_file(ws: Workspace, tmp_path: Path) -> None:
    certs = _leaves(2)
    inside = tmp_path / "inside.pem"
    inside.write_bytes(_pem(certs[0], _reissued(certs[0], "impostor.example"), certs[1]))
    summary = bulk_import.import_paths(ws, [inside])
    assert summary.imported == 0
    assert summary.refused == [
        (
            str(inside),
            f"it holds two different certificates with issuer {certs[0].issuer.rfc4514_string()} "
            "and serial 03E8: a reused serial number, which RFC 5280 forbids",
        )
    ]
    assert inventory.list_certificates(ws.db) == ()
    first = tmp_path / "first.pem"
    first.write_bytes(_pem(certs[0]))
    assert bulk_import.import_paths(ws, [first]).imported == 1
    held = inventory.list_certificates(ws.db)[0].id
    later = tmp_path / "later.pem"
    later.write_bytes(_pem(certs[1], _reissued(certs[0], "impostor.example")))
    summary = bulk_import.import_paths(ws, [later])
    assert summary.imported == 0
    assert summary.refused[0][1] == (
        f"it holds a certificate with the issuer and serial of certificate {held} but other "
        "contents: a reused serial number, which RFC 5280 forbids"
    )
    assert [r.common_name for r in inventory.list_certificates(ws.db)] == ["h0.example"]
    assert audit.verify(ws.db).ok


@pytest.fixture
def streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streaming at test scale: any bundle over 2 kB is streamed, read 700 bytes at a time (so
    that markers fall across blocks), in pieces of 7 certificates; and the whole-file limit is
    far below the bundle, which is imported all the same."""
    monkeypatch.setattr(bulk_import, "STREAM_MIN_BYTES", 2_000)
    monkeypatch.setattr(bulk_import, "STREAM_BLOCK", 700)
    monkeypatch.setattr(bulk_import, "CHUNK", 7)
    monkeypatch.setattr(bulk_import, "MAX_FILE_BYTES", 3_000)


def test_a_bundle_of_any_size_is_streamed_whole(
    ws: Workspace, tmp_path: Path, streaming: None
) -> None:
    import hashlib

    certs = _leaves(30)
    bundle = tmp_path / "big.pem"
    bundle.write_bytes(b"# a comment before\n" + _pem(*certs) + b"\n# and after\n")
    assert bundle.stat().st_size > bulk_import.MAX_FILE_BYTES
    seen: list[tuple[int, int | None]] = []
    summary = bulk_import.import_paths(
        ws, [bundle], progress=lambda p: seen.append((p.certificates, p.expected))
    )
    assert (summary.imported, summary.refused) == (31, [])
    assert seen[-1] == (31, 31) and [c for c, _ in seen][1:-1] == [7, 14, 21, 28]
    entry = audit.entries(ws.db)[-1]
    assert entry.operation == "cert.import"
    assert entry.artefacts[0].sha256 == hashlib.sha256(bundle.read_bytes()).hexdigest()
    records = {r.common_name: r for r in inventory.list_certificates(ws.db)}
    assert records["h29.example"].issuer_cert_id == records["Partner Issuing CA"].id


def test_a_streamed_bundle_with_one_bad_certificate_stores_nothing(
    ws: Workspace, tmp_path: Path, streaming: None
) -> None:
    pems = [_pem(c) for c in _leaves(20)]
    broken = bytearray(pems[17])
    broken[120] ^= 0x0F  # inside the base64 of the 18th certificate
    bundle = tmp_path / "big.pem"
    bundle.write_bytes(b"".join([*pems[:17], bytes(broken), *pems[18:]]))
    summary = bulk_import.import_paths(ws, [bundle])
    assert summary.imported == 0 and [p for p, _ in summary.refused] == [str(bundle)]
    assert ws.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == 0
