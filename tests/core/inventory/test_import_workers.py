"""Many small files are read, hashed, parsed and checked against their issuer by the worker
processes; the storing process links what they verified and checks only what they could not see.
The links are the same as if everything were checked here: a forged certificate is never linked,
a CA stored earlier in the same import still adopts what it signed, and the one audit entry of the
group names every stored file with the SHA-256 of the bytes that were parsed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core.inventory import import_workers, importer
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.checks import DB_NAME
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import fields as certfields
from tests.package_helpers import ca_cert, partner_ca


def _signed(name: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, serial: int) -> bytes:
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _ids(ws: Workspace) -> dict[str, tuple[int, int | None]]:
    return {r.common_name: (r.id, r.issuer_cert_id) for r in inventory.list_certificates(ws.db)}


def test_workers_link_what_they_verified_and_never_a_forgery(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "PARALLEL_FILES", 5)
    monkeypatch.setattr(importer, "FILES_CHUNK", 4)
    ca = partner_ca()
    chain = tmp_path / "chain.pem"
    chain.write_bytes(_pem(ca.issuing, ca.root))
    assert importer.import_paths(ws, [chain]).imported == 2  # committed: the workers see them

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(20):
        (folder / f"b{i:02d}.der").write_bytes(
            _signed(f"h{i}.example", ca.issuing.subject, ca.issuing_key, 100 + i)
        )
    impostor = ec.generate_private_key(ec.SECP256R1())  # the issuer's name, another key
    (folder / "b50.der").write_bytes(_signed("forged.example", ca.issuing.subject, impostor, 7))
    # A CA stored by this import (not committed when the workers look), then what it signed.
    second_key = ec.generate_private_key(ec.SECP256R1())
    second = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Second Root")])
    second_root = ca_cert(second, second_key, second, second_key)
    (folder / "a0.der").write_bytes(second_root.public_bytes(serialization.Encoding.DER))
    for i in range(3):
        (folder / f"c{i}.der").write_bytes(_signed(f"s{i}.example", second, second_key, 10 + i))
    (folder / "b60.der").write_bytes(b"\x30\x82\x01")  # cut short

    summary = importer.import_paths(ws, [folder])

    assert summary.imported == 25
    assert [Path(p).name for p, _ in summary.refused] == ["b60.der"]
    assert summary.refused[0][1].startswith("not a certificate file pkiadmin can read")
    ids = _ids(ws)
    issuing_id = ids["Partner Issuing CA"][0]
    assert all(ids[f"h{i}.example"][1] == issuing_id for i in range(20))
    assert ids["forged.example"][1] is None
    second_id = ids["Second Root"][0]
    assert ids["Second Root"][1] == second_id
    assert all(ids[f"s{i}.example"][1] == second_id for i in range(3))

    entries = [e for e in audit.entries(ws.db) if e.operation == "cert.import"]
    listed = {a.name: a.sha256 for e in entries[1:] for a in e.artefacts}
    stored = sorted(p for p in folder.iterdir() if p.name != "b60.der")
    assert sorted(listed) == [str(p) for p in stored]
    assert all(listed[str(p)] == hashlib.sha256(p.read_bytes()).hexdigest() for p in stored)
    assert audit.verify(ws.db).ok


def test_the_issuer_lookup_checks_the_signature_not_the_name(ws: Workspace, tmp_path: Path) -> None:
    ca = partner_ca()
    chain = tmp_path / "chain.pem"
    chain.write_bytes(_pem(ca.issuing, ca.root))
    importer.import_paths(ws, [chain])
    issuing_id = _ids(ws)["Partner Issuing CA"][0]
    lookup = import_workers.IssuerLookup(ws.path / DB_NAME)

    def check(der: bytes) -> import_workers.Parsed:
        cert = x509.load_der_x509_certificate(der)
        return lookup.check(certfields.read_fields(cert, None, der), cert)

    genuine = check(_signed("ok.example", ca.issuing.subject, ca.issuing_key, 1))
    assert (genuine.issuer_id, genuine.tried) == (issuing_id, frozenset({issuing_id}))
    forged = check(
        _signed("no.example", ca.issuing.subject, ec.generate_private_key(ec.SECP256R1()), 2)
    )
    assert (forged.issuer_id, forged.tried) == (None, frozenset({issuing_id}))
