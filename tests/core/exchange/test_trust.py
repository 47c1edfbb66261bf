"""The verification call decides trust: a mismatch changes nothing, a verified call certifies the
partner's key and trusts their CA certificates; the exported bundle works as nginx's client CA
file (openssl s_server -Verify) for the verified hierarchy and not for another."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.exchange import call_records as calls
from pkiadmin.core.exchange import package_open, partners
from pkiadmin.core.exchange import trust_store as trust
from pkiadmin.core.exchange.call import compare_words, confirmed
from tests.core.conftest import Exchange
from tests.package_helpers import (
    OFFICER_PASSPHRASE,
    client_identity,
    crl_of,
    layout,
    partner_ca,
    partner_package_bytes,
)


def spoken(data: bytes) -> str:
    return " ".join(fingerprint.pgp_words(data))


def _opened(ex: Exchange) -> object:
    ca = partner_ca()
    files = layout({"root": ca.root, "issuing": ca.issuing}, {"root": crl_of(ca)})
    path = ex.home / "theirs.tar.gpg"
    path.write_bytes(partner_package_bytes(ex.home, ex.partner_fpr, ex.officer_fpr, files))
    assert package_open.open_package(ex.ws, "partner", path, OFFICER_PASSPHRASE).accepted
    return ca


def _call(ex: Exchange, heard: dict[str, str], **kwargs: object) -> calls.CallRecord:
    plan = calls.start(ex.ws, "partner")
    comparisons = [compare_words(v, heard.get(v.label, spoken(v.data))) for v in plan.values]
    return calls.record(
        ex.ws, plan, "they-read", "Olivia Officer", "Pat Partner", "+33 1 23 45 67 89",
        "signed contract, annex 2", comparisons, officer_passphrase=OFFICER_PASSPHRASE, **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_verified_call_trusts_the_partner_and_the_bundle_works_for_mtls(
    exchange: Exchange, tmp_path: Path
) -> None:
    ca = _opened(exchange)
    values = calls.values_for(exchange.ws, "partner")
    # The order of the partner's verification sheet: manifest, key, then the CAs in the order
    # their manifest lists them (this test package lists them by file name).
    assert [v.label for v in values] == [
        "manifest SHA-256 of their package",
        "partner's OpenPGP key fingerprint",
        "CA certificate CN=Partner Issuing CA,O=Partner SA,C=FR (SHA-256)",
        "CA certificate CN=Partner Root,O=Partner SA,C=FR (SHA-256)",
    ]
    key = values[1]
    with pytest.raises(ValidationError, match="No partner CA certificate is trusted now"):
        trust.export(exchange.ws, "pem", tmp_path / "early.pem")

    key_words = spoken(key.data).split()
    key_words[6], key_words[7] = "aardvark", "adroitness"  # one group misheard
    mismatch = _call(exchange, {key.label: " ".join(key_words)})
    assert (
        mismatch.result == "mismatch"
        and partners.get(exchange.ws.db, "partner").key_status == "unverified"
    )
    with pytest.raises(sqlite3.IntegrityError, match="never edited"):
        exchange.ws.db.execute("UPDATE calls SET result = 'verified' WHERE id = ?", (mismatch.id,))

    verified = _call(exchange, {})
    assert verified.result == "verified"
    assert partners.get(exchange.ws.db, "partner").key_status == "verified"
    sigs = partners.keyring(exchange.ws).gpg.list_keys(keys=exchange.partner_fpr, sigs=True)[0][
        "sigs"
    ]
    assert any(
        s[0] == exchange.officer_fpr[-16:] and s[2].endswith("l") for s in sigs
    )  # local certification

    bundle = tmp_path / "partners.pem"
    exported = trust.export(exchange.ws, "pem", bundle)
    assert len(exported.certificates) == 2 and "# partner: CN=Partner Root" in bundle.read_text()
    good = client_identity(tmp_path, "verified-client", ca.issuing, ca.issuing_key)  # type: ignore[attr-defined]
    stranger = partner_ca()
    bad = client_identity(tmp_path, "stranger-client", stranger.issuing, stranger.issuing_key)
    assert _handshake(tmp_path, bundle, *good)
    assert not _handshake(tmp_path, bundle, *bad)

    (tmp_path / "hashed").parent.mkdir(exist_ok=True)
    trust.export(exchange.ws, "openssl-dir", tmp_path / "hashed")
    assert len(list((tmp_path / "hashed").glob("*.0"))) == 2
    # An existing empty folder is fine (a folder dialog offers only those); one with other
    # files is refused with a sentence, and nothing is written into it.
    (tmp_path / "empty").mkdir()
    trust.export(exchange.ws, "openssl-dir", tmp_path / "empty")
    assert len(list((tmp_path / "empty").glob("*.0"))) == 2
    with pytest.raises(ValidationError, match="is not empty; give a new or empty folder"):
        trust.export(exchange.ws, "openssl-dir", tmp_path / "hashed")
    assert len(list((tmp_path / "hashed").iterdir())) == 2
    trust.export(exchange.ws, "p12", tmp_path / "partners.p12", password="changeit")
    listed = subprocess.run(
        ["openssl", "pkcs12", "-in", str(tmp_path / "partners.p12"), "-nokeys", "-passin", "pass:changeit"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert listed.stdout.count("BEGIN CERTIFICATE") == 2, listed.stderr

    again = _opened(exchange)  # a new package with other CA certificates: back to unverified
    assert again is not None and partners.get(exchange.ws.db, "partner").key_status == "unverified"


def test_an_incomplete_call_is_not_verified(exchange: Exchange) -> None:
    _opened(exchange)
    plan = calls.start(exchange.ws, "partner")
    key = plan.values[0]
    record = calls.record(
        exchange.ws, plan, "we-read", "Olivia Officer", "Pat Partner", "+33 1", "contract",
        [confirmed(key, [True] * key.groups)], officer_passphrase=OFFICER_PASSPHRASE,
    )  # fmt: skip
    assert record.result == "aborted" and "not every value was compared" in record.note
    assert partners.get(exchange.ws.db, "partner").key_status == "unverified"
    with pytest.raises(ValidationError, match="where it came from"):
        calls.record(exchange.ws, plan, "we-read", "Olivia", "Pat", "+33 1", "", [])


def _handshake(folder: Path, bundle: Path, cert: Path, key: Path) -> bool:
    """nginx-style: openssl s_server demands a client certificate that chains to the bundle."""
    server_key = folder / "server.key"
    server_cert = folder / "server.pem"
    if not server_cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(server_key), "-out", str(server_cert), "-subj", "/CN=localhost", "-days", "2"],
            check=True, capture_output=True,
        )  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1", "-www",
         "-cert", str(server_cert), "-key", str(server_key), "-Verify", "3", "-verify_return_error",
         "-CAfile", str(bundle)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        while (
            server.stdout.readline().strip() != b"ACCEPT"
        ):  # listening; a probe would use up -naccept 1
            assert server.poll() is None, "openssl s_server did not start"
        client = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-cert", str(cert), "-key", str(key),
             "-CAfile", str(server_cert), "-quiet"],
            input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=20, check=False,
        )  # fmt: skip
        return b"HTTP/1.0 200 ok" in client.stdout
    finally:
        server.kill()
        server.communicate()


def test_certificates_from_the_bundle_are_what_was_verified(exchange: Exchange) -> None:
    _opened(exchange)
    _call(exchange, {})
    trusted = trust.partner_certificates(exchange.ws.db, trusted_only=True)
    assert {c.subject for c in trusted} == {
        "CN=Partner Root,O=Partner SA,C=FR",
        "CN=Partner Issuing CA,O=Partner SA,C=FR",
    }
    root = next(c for c in trusted if "Root" in c.subject)
    cert = x509.load_pem_x509_certificate(
        __import__("pkiadmin.core.inventory.records", fromlist=["x"])
        .load_certificate(exchange.ws.db, root.cert_id)
        .public_bytes(serialization.Encoding.PEM)
    )
    assert cert.subject.rfc4514_string() == root.subject


def test_a_package_opened_during_the_call_is_not_trusted(
    exchange: Exchange, tmp_path: Path
) -> None:
    """The call compares the values captured when it started; a package with the same CA names
    but new keys, accepted while the call is under way, is not what anyone read aloud."""
    first = _opened(exchange)
    plan = calls.start(exchange.ws, "partner")
    comparisons = [compare_words(v, spoken(v.data)) for v in plan.values]
    second = _opened(exchange)  # opened while the call is on: same names, new keys
    assert calls.values_for(exchange.ws, "partner") != plan.values
    record = calls.record(
        exchange.ws, plan, "they-read", "Olivia Officer", "Pat Partner", "+33 1 23 45 67 89",
        "signed contract, annex 2", comparisons, officer_passphrase=OFFICER_PASSPHRASE,
    )  # fmt: skip
    assert record.result == "verified"
    exported = trust.export(exchange.ws, "pem", tmp_path / "trust.pem")
    sha = {c.sha256 for c in exported.certificates}
    wanted = {
        c.fingerprint(hashes.SHA256()).hex()
        for c in (first.root, first.issuing)  # type: ignore[attr-defined]
    }
    unread = {
        c.fingerprint(hashes.SHA256()).hex()
        for c in (second.root, second.issuing)  # type: ignore[attr-defined]
    }
    assert sha == wanted and not sha & unread
    assert {v["value"] for v in record.compared} == {v.data.hex() for v in plan.values}


def test_after_unverification_the_partner_leaves_the_export(
    exchange: Exchange, tmp_path: Path
) -> None:
    _opened(exchange)
    assert _call(exchange, {}).result == "verified"
    assert len(trust.export(exchange.ws, "pem", tmp_path / "one.pem").certificates) == 2
    _opened(exchange)  # a later package with other certificates: the partner is unverified
    assert partners.get(exchange.ws.db, "partner").key_status == "unverified"
    with pytest.raises(ValidationError, match=r"trusted now \(partner: unverified now"):
        trust.export(exchange.ws, "pem", tmp_path / "two.pem")
    assert not (tmp_path / "two.pem").exists()
    assert trust.partner_certificates(exchange.ws.db, trusted_only=True) == ()
