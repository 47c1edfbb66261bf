"""Security invariants from DESIGN.md: no private key or passphrase anywhere on disk or in logs; serial uniqueness."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.base.atomicfile import write_new_file
from pkiadmin.core.base.errors import StorageError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from tests.conftest import PASSPHRASE, make_root


def all_bytes_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_private_key_and_passphrase_never_reach_disk_or_logs(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = make_root(ws)
    ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    key = keys.load_encrypted(result.key_path, PASSPHRASE)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    scalar = key.private_numbers().private_value.to_bytes(48, "big")
    stored = all_bytes_under(ws.path)
    assert scalar not in stored
    assert scalar.hex() not in stored.decode("latin-1").lower()
    assert PASSPHRASE.encode() not in stored
    log_text = caplog.text + repr(list(audit.entries(ws.db)))
    assert scalar.hex() not in log_text.lower()
    assert PASSPHRASE not in log_text


def test_signer_repr_shows_no_key_material() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = FileSigner(key, "encrypted key file")
    assert str(key.private_numbers().private_value) not in repr(signer)
    assert repr(signer) == "FileSigner('encrypted key file')"


def test_serial_is_unique_per_issuer_in_the_database(ws: Workspace) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Dup")])

    def cert(days: int) -> x509.Certificate:
        import datetime

        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(12345678901234567890)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256())
        )

    with ws.db.atomic():
        inventory.insert_certificate(ws.db, cert(10), certrecord.Source.IMPORTED)
    with (
        pytest.raises(sqlite3.IntegrityError, match=r"issuer_hash, certificates\.serial_hex"),
        ws.db.atomic(),
    ):
        inventory.insert_certificate(ws.db, cert(11), certrecord.Source.IMPORTED)


def test_files_are_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "k.pem"
    write_new_file(target, b"first")
    with pytest.raises(StorageError, match="already exists; pkiadmin never overwrites"):
        write_new_file(target, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["k.pem"]
