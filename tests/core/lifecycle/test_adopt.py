"""Adopting a CA made elsewhere refuses, with the reason and with nothing stored, a wrong key
passphrase, a key that is not the certificate's, an index.txt line without its certificate, a
certificate that does not verify under the CA, a CRL of another CA, a held certificate and a
known-bad CA key; an unencrypted key is adopted encrypted and the operator told to destroy it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core.base.errors import PassphraseError, ValidationError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.lifecycle import adopt
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace import folder as workspace
from tests.known_bad_keys import roca_key

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = "old passphrase"
NEW = "a new passphrase for pkiadmin 2026"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str, key: object) -> x509.Certificate:
    public = key.public_key()  # type: ignore[attr-defined]
    return (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )


def _leaf(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, serial: int, cn: str
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca.subject)
        .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=10))
        .not_valid_after(NOW + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _stamp(when: datetime) -> str:
    return when.strftime("%y%m%d%H%M%SZ")


def openssl_dir(tmp_path: Path, hold: bool = False) -> tuple[Path, ec.EllipticCurvePrivateKey]:
    """A CA directory as openssl ca leaves it: key, certificate, index.txt, newcerts/, a CRL."""
    folder = tmp_path / "oldca"
    (folder / "newcerts").mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP384R1())
    ca = _ca("Old Root CA", key)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "ca.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(OLD.encode()),
        )
    )
    lines = []
    revoked_at = NOW - timedelta(days=2)
    for serial, cn in ((0x1000, "a.example"), (0x1001, "b.example")):
        leaf = _leaf(ca, key, serial, cn)
        (folder / "newcerts" / f"{serial:X}.pem").write_bytes(
            leaf.public_bytes(serialization.Encoding.PEM)
        )
        expiry = _stamp(leaf.not_valid_after_utc)
        if serial == 0x1001:
            reason = "certificateHold" if hold else "superseded"
            lines.append(
                f"R\t{expiry}\t{_stamp(revoked_at)},{reason}\t{serial:X}\tunknown\t/CN={cn}"
            )
        else:
            lines.append(f"V\t{expiry}\t\t{serial:X}\tunknown\t/CN={cn}")
    (folder / "index.txt").write_text("\n".join(lines) + "\n")
    (folder / "crlnumber").write_text("1005\n")
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(NOW - timedelta(days=1))
        .next_update(NOW + timedelta(days=29))
        .add_extension(x509.CRLNumber(0x1004), critical=False)
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(0x1001)
            .revocation_date(revoked_at)
            .build()
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "last.crl").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return folder, key


def sources(folder: Path, **changes: object) -> adopt.Sources:
    base = {
        "certificate": folder / "ca.pem",
        "key": folder / "ca.key",
        "key_passphrase": OLD,
        "index": folder / "index.txt",
        "crl": folder / "last.crl",
        "crlnumber": folder / "crlnumber",
    }
    return adopt.Sources(**{**base, **changes})  # type: ignore[arg-type]


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[workspace.Workspace]:
    opened = workspace.create(tmp_path / "ws")
    yield opened
    opened.close()


def _nothing_stored(ws: workspace.Workspace) -> None:
    assert ws.db.execute("SELECT COUNT(*) FROM authorities").fetchone()[0] == 0
    assert ws.db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0] == 0
    assert list(ws.keys_dir.glob("*.pem")) == []
    assert [e.operation for e in audit.entries(ws.db)] == ["workspace.create"]


def test_an_openssl_ca_directory_is_adopted_whole(ws: workspace.Workspace, tmp_path: Path) -> None:
    folder, _ = openssl_dir(tmp_path)
    found = adopt.plan(ws, sources(folder))
    assert found.kind == "root" and found.last_crl_number == 0x1004
    said = adopt.describe(found)
    assert (
        "certificates it issued: 2, of them revoked: 1" in said and "next CRL number: 4101" in said
    )
    done = adopt.adopt(ws, found, NEW)
    assert (done.issued, done.revoked) == (2, 1)
    (only,) = revocation.list_revocations(ws.db)
    assert (only.serial, only.reason) == ("1001", "superseded")
    assert audit_replay.differences(ws.db) == ()
    assert any("Destroy" in n for n in done.notes)


def test_an_unencrypted_key_is_adopted_encrypted_and_the_original_named(
    ws: workspace.Workspace, tmp_path: Path
) -> None:
    folder, key = openssl_dir(tmp_path)
    plain = folder / "plain.key"
    plain.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )  # fmt: skip
    found = adopt.plan(ws, sources(folder, key=plain, key_passphrase=None))
    assert "NOT encrypted where it is now" in adopt.describe(found)
    done = adopt.adopt(ws, found, NEW)
    assert done.key_path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert any("unencrypted: destroy it" in n for n in done.notes)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"key_passphrase": "wrong"}, PassphraseError, "does not open ca.key"),
        ({"key_passphrase": None}, PassphraseError, "ca.key is encrypted"),
        ("other-key", ValidationError, "is not the key of the certificate"),
        ("missing-cert", ValidationError, "lists serial(s) 1001, whose certificates are not in"),
        ("altered-cert", ValidationError, "does not verify under its key"),
        ("foreign-crl", ValidationError, "is not a CRL signed by 'Old Root CA'"),
        ("hold", ValidationError, "is on hold (certificateHold)"),
        ("bad-index", ValidationError, "index.txt line 1 is not an openssl ca index line"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_stored(
    ws: workspace.Workspace, tmp_path: Path, change: object, error: type[Exception], message: str
) -> None:
    folder, _key = openssl_dir(tmp_path, hold=change == "hold")
    kwargs: dict[str, object] = change if isinstance(change, dict) else {}
    if change == "other-key":
        other = folder / "other.key"
        other.write_bytes(
            ec.generate_private_key(ec.SECP384R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(OLD.encode()),
            )
        )  # fmt: skip
        kwargs = {"key": other}
    elif change == "missing-cert":
        (folder / "newcerts" / "1001.pem").unlink()
    elif change == "altered-cert":
        impostor = ec.generate_private_key(ec.SECP384R1())
        forged = _leaf(_ca("Old Root CA", impostor), impostor, 0x1001, "b.example")
        (folder / "newcerts" / "1001.pem").write_bytes(
            forged.public_bytes(serialization.Encoding.PEM)
        )
    elif change == "foreign-crl":
        stranger = ec.generate_private_key(ec.SECP384R1())
        crl = (
            x509.CertificateRevocationListBuilder().issuer_name(_name("Old Root CA"))
            .last_update(NOW).next_update(NOW + timedelta(days=1)).sign(stranger, hashes.SHA256())
        )  # fmt: skip
        (folder / "last.crl").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    elif change == "bad-index":
        (folder / "index.txt").write_text("V 260101000000Z 1000 /CN=x\n")
    with pytest.raises(error) as refused:
        adopt.plan(ws, sources(folder, **kwargs))
    assert message in str(refused.value)
    _nothing_stored(ws)


def test_a_ca_with_a_known_bad_key_is_not_adopted(ws: workspace.Workspace, tmp_path: Path) -> None:
    key = roca_key()
    ca = _ca("ROCA Root", key)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "ca.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValidationError, match="ROCA flaw"):
        adopt.plan(ws, adopt.Sources(tmp_path / "ca.pem", tmp_path / "ca.key"))
    _nothing_stored(ws)
