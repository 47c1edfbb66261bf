"""Creating a root CA: the certificate profile, the key file, the audit entry, and failures that keep nothing."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import stat
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from pkiadmin.core.base.errors import PassphraseError, StorageError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import keyid
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import PASSPHRASE, counts, make_root


def test_default_root_profile(ws: Workspace) -> None:
    result = make_root(ws)
    cert = inventory.load_certificate(ws.db, result.record.id)
    assert cert.subject == cert.issuer
    assert cert.subject.rfc4514_string() == "CN=Test Root CA,O=Example Ltd,C=DE"
    assert result.record.key_algorithm == "EC P-384"
    assert cert.signature_algorithm_oid._name == "ecdsa-with-SHA384"
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=7305)
    exts = {e.oid: e for e in cert.extensions}
    assert set(exts) == {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    }
    bc = exts[ExtensionOID.BASIC_CONSTRAINTS]
    assert bc.critical and bc.value.ca and bc.value.path_length is None
    ku = exts[ExtensionOID.KEY_USAGE]
    assert ku.critical
    assert ku.value.key_cert_sign and ku.value.crl_sign and not ku.value.digital_signature
    ski = exts[ExtensionOID.SUBJECT_KEY_IDENTIFIER].value.digest
    assert exts[ExtensionOID.AUTHORITY_KEY_IDENTIFIER].value.key_identifier == ski
    public_key = cert.public_key()
    bits = public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert ski == hashlib.sha256(bits).digest()[:20]  # RFC 7093 method 1
    cert.verify_directly_issued_by(cert)


def test_serial_is_random_positive_and_at_most_20_octets(ws: Workspace) -> None:
    serials = {make_root(ws, cn=f"Root {i}").record.serial_hex for i in range(3)}
    assert len(serials) == 3
    for text in serials:
        value = int(text, 16)
        assert 64 < value.bit_length() <= 159


@pytest.mark.parametrize(
    ("algorithm", "label", "size", "signature"),
    [
        (keys.KeyAlgorithm.EC_P256, "EC P-256", 256, "ecdsa-with-SHA256"),
        (keys.KeyAlgorithm.RSA_3072, "RSA", 3072, "sha256WithRSAEncryption"),
    ],
)
def test_other_algorithms(
    ws: Workspace, algorithm: keys.KeyAlgorithm, label: str, size: int, signature: str
) -> None:
    record = make_root(ws, algorithm=algorithm).record
    assert (record.key_algorithm, record.key_size, record.signature_algorithm) == (
        label,
        size,
        signature,
    )


def test_sha1_ski_method_and_path_length(ws: Workspace) -> None:
    result = make_root(ws, ski_method=keyid.SkiMethod.SHA1, path_length=1, validity_days=3650)
    cert = inventory.load_certificate(ws.db, result.record.id)
    expected = x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value == expected
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 1
    assert result.record.path_length == 1


def test_key_file_is_encrypted_0600_and_matches_the_certificate(ws: Workspace) -> None:
    result = make_root(ws)
    assert stat.S_IMODE(result.key_path.stat().st_mode) == 0o600
    assert result.key_path.parent == ws.keys_dir
    key = keys.load_encrypted(result.key_path, PASSPHRASE)
    cert = inventory.load_certificate(ws.db, result.record.id)
    assert key.public_key() == cert.public_key()


def test_one_audit_entry_names_the_artefacts(ws: Workspace) -> None:
    result = make_root(ws)
    entry = audit.entries(ws.db)[-1]
    assert entry.seq == result.audit_seq
    assert entry.operation == "ca.create-root"
    assert entry.objects["cert_id"] == result.record.id
    artefacts = {a.name: a.sha256 for a in entry.artefacts}
    assert artefacts["certificate"] == result.record.sha256
    assert (
        artefacts[f"keys/{result.key_path.name}"]
        == hashlib.sha256(result.key_path.read_bytes()).hexdigest()
    )
    assert audit.verify(ws.db).ok


def test_root_is_linked_as_its_own_issuer_and_listed_as_authority(ws: Workspace) -> None:
    result = make_root(ws)
    assert result.record.issuer_cert_id == result.record.id
    row = ws.db.execute("SELECT kind, key_backend, key_ref FROM authorities").fetchone()
    assert row == ("root", "file", result.key_path.name)


@pytest.mark.parametrize(
    ("request_", "secret", "error", "message"),
    [
        (rootca.RootCaRequest(SubjectSpec("")), PASSPHRASE, ValidationError, "common name"),
        (rootca.RootCaRequest(SubjectSpec("R", country="UK")), PASSPHRASE, ValidationError, "GB"),
        (
            rootca.RootCaRequest(SubjectSpec("R"), validity_days=0),
            PASSPHRASE,
            ValidationError,
            "Validity",
        ),
        (
            rootca.RootCaRequest(SubjectSpec("R"), path_length=-1),
            PASSPHRASE,
            ValidationError,
            "Path length",
        ),
        (rootca.RootCaRequest(SubjectSpec("R")), "weak", PassphraseError, "too short"),
    ],
)
def test_bad_input_changes_nothing(
    ws: Workspace, request_: rootca.RootCaRequest, secret: str, error: type[Exception], message: str
) -> None:
    before = counts(ws)
    with pytest.raises(error, match=message):
        rootca.create_root_ca(ws, request_, secret)
    assert counts(ws) == before


def test_full_disk_while_writing_the_key_changes_nothing(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(ws)

    def full(_fd: int, _data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("pkiadmin.core.base.atomicfile.os.write", full)
    with pytest.raises(StorageError, match=r"No space left on device.*nothing was changed"):
        make_root(ws)
    assert counts(ws) == before
    assert list(ws.keys_dir.iterdir()) == []  # no temp file either


def test_database_failure_after_key_written_removes_the_key(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(ws)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(audit, "append", broken)
    with pytest.raises(StorageError, match=r"disk I/O error.*Nothing was kept"):
        make_root(ws)
    assert counts(ws) == before


def test_a_bug_mid_transaction_also_rolls_back(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(ws)

    def bug(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(audit, "append", bug)
    with pytest.raises(RuntimeError):
        make_root(ws)
    assert counts(ws) == before
