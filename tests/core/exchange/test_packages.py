"""Trust packages: ours opens with plain gpg and tar; a partner's built with plain gpg and tar
opens in pkiadmin; every bad package is refused with the problem named, leaving no plaintext."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiadmin.core.exchange import package_build, package_open, partners, pgp
from pkiadmin.core.exchange.package_open import PackageRejectedError
from pkiadmin.core.revocation import crl
from pkiadmin.core.workspace.folder import Workspace
from tests.conftest import PASSPHRASE
from tests.core.conftest import Exchange
from tests.package_helpers import (
    OFFICER_PASSPHRASE,
    ca_cert,
    crl_of,
    gpg,
    kill_agent,
    layout,
    make_key,
    manifest_for,
    new_home,
    partner_ca,
    seal,
    tar_of,
)


def test_our_package_opens_with_plain_gpg_and_tar(exchange: Exchange, tmp_path: Path) -> None:
    crl.issue(exchange.ws, 1, PASSPHRASE)
    built = package_build.build(exchange.ws, "partner", OFFICER_PASSPHRASE, tmp_path / "out")
    decrypted = gpg(exchange.home, "--decrypt", str(built.path))
    assert decrypted.returncode == 0, decrypted.stderr
    assert b"Good signature" in decrypted.stderr
    with tarfile.open(fileobj=io.BytesIO(decrypted.stdout)) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    x = tmp_path / "x"
    verified = gpg(
        exchange.home, "--verify", str(x / "manifest.json.sig"), str(x / "manifest.json")
    )
    assert verified.returncode == 0 and b"Good signature" in verified.stderr
    manifest = json.loads((x / "manifest.json").read_text())
    assert manifest["signer_pgp_fingerprint"] == exchange.officer_fpr
    for entry in manifest["certificates"]:
        out = subprocess.run(
            ["openssl", "x509", "-in", str(x / entry["path"]), "-noout", "-fingerprint", "-sha256"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert out.strip().split("=")[1].replace(":", "").lower() == entry["sha256"]
    assert {p.name for p in (x / "crl").iterdir()} == {"test-root-ca.crl"}
    assert (
        "## 4. Certificate life-cycle operational requirements"
        in (x / "policy" / "certificate-policy.md").read_text()
    )
    sheet = built.sheet_path.read_text()
    assert pgp.grouped(exchange.officer_fpr) in sheet and "Manifest SHA-256:" in sheet
    assert json.loads((x / "endpoints.json").read_text())["certificates"][0]["crl_promise"] == {
        "after_a_revocation_within_hours": 24,
        "next_update_at_most_days": 365,
    }


def partner_files() -> tuple[dict[str, bytes], object]:
    ca = partner_ca()
    return layout({"root": ca.root, "issuing": ca.issuing}, {"root": crl_of(ca)}), ca


def partner_package(ex: Exchange, files: dict[str, bytes], signer: str | None = "partner",
                    manifest: bytes | None = None, sig: bytes | None = None,
                    recipient: str | None = None) -> Path:  # fmt: skip
    """Built as the partner would: manifest, detached binary signature, tar, gpg --sign --encrypt."""
    sign_with = ex.partner_fpr if signer == "partner" else signer
    manifest = manifest or manifest_for(files, ex.partner_fpr)
    if sig is None:
        sig = gpg(
            ex.home,
            "--passphrase",
            "",
            "--local-user",
            ex.partner_fpr,
            "--detach-sign",
            "--output",
            "-",
            data=manifest,
        ).stdout
    tar = tar_of({**files, "manifest.json": manifest, "manifest.json.sig": sig})
    path = Path(ex.home) / "package.tar.gpg"
    path.write_bytes(seal(ex.home, tar, recipient or ex.officer_fpr, sign_with))
    return path


def test_a_package_built_with_plain_gpg_and_tar_opens(exchange: Exchange) -> None:
    files, _ca = partner_files()
    opened = package_open.open_package(
        exchange.ws, "partner", partner_package(exchange, files), OFFICER_PASSPHRASE
    )
    assert opened.accepted, opened.blocking
    assert (
        "CN=Partner Issuing CA,O=Partner SA,C=FR: a valid CA: chains to a root in the package, not revoked"
        in opened.notes
    )
    assert {c["subject"] for c in opened.certificates} == {
        "CN=Partner Root,O=Partner SA,C=FR",
        "CN=Partner Issuing CA,O=Partner SA,C=FR",
    }
    row = exchange.ws.db.execute(
        "SELECT result FROM packages WHERE direction = 'received'"
    ).fetchone()
    assert row[0] == "accepted"
    stored = b"".join(
        p.read_bytes()
        for p in exchange.ws.path.rglob("*")
        if p.is_file() and not p.is_symlink() and not p.name.startswith("pkiadmin.db")
    )
    # No plaintext of the package was written to a file: neither a file it carried nor its tar.
    carried = [data for data in files.values() if len(data) > 200]  # long enough to be unique
    assert carried
    assert not any(data in stored for data in carried)
    assert b"ustar" not in stored  # the magic of every tar header
    assert not any("tar" in p.name for p in exchange.ws.path.rglob("*") if p.is_file())


def _rejected(ex: Exchange, path: Path, message: str) -> None:
    with pytest.raises(PackageRejectedError, match=message):
        package_open.open_package(ex.ws, "partner", path, OFFICER_PASSPHRASE)
    row = ex.ws.db.execute("SELECT result FROM packages ORDER BY id DESC LIMIT 1").fetchone()
    assert row[0] == "rejected"


def test_signed_by_someone_else_with_the_partners_name(exchange: Exchange) -> None:
    impostor = make_key(exchange.home, "Pat Partner <pat@partner.example>")
    ours = gpg(exchange.home, "--armor", "--export", impostor).stdout
    partners.keyring(exchange.ws).import_public(ours)  # even with the impostor's key in our ring
    files, _ = partner_files()
    _rejected(
        exchange,
        partner_package(exchange, files, signer=impostor),
        "not by the partner's registered key",
    )


def test_unsigned_package(exchange: Exchange) -> None:
    files, _ = partner_files()
    _rejected(exchange, partner_package(exchange, files, signer=None), "The package is not signed")


def test_signed_with_a_revoked_key(exchange: Exchange) -> None:
    files, _ = partner_files()
    path = partner_package(exchange, files)
    revocation = gpg(
        exchange.home,
        "--passphrase",
        "",
        "--output",
        "-",
        "--gen-revoke",
        exchange.partner_fpr,
        data=b"y\n0\n\ny\n",
    )
    if (
        revocation.returncode != 0 or not revocation.stdout
    ):  # gpg's own file, written at key generation
        rev_file = exchange.home / "openpgp-revocs.d" / f"{exchange.partner_fpr}.rev"
        text = rev_file.read_text().replace(":-----BEGIN", "-----BEGIN")
        revocation = subprocess.CompletedProcess([], 0, text.encode(), b"")
    partners.keyring(exchange.ws).gpg.import_keys(revocation.stdout)
    _rejected(exchange, path, "The package was signed by a key that was revoked")


def test_signed_with_a_key_that_has_expired(
    root_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = new_home()
    try:
        fpr = make_key(home, "Short Lived <short@partner.example>", expire="1d")
        officer = partners.generate_officer_key(
            root_ws, "Olivia Officer", "olivia@example.com", OFFICER_PASSPHRASE
        )
        partners.add(root_ws, "short", "Short Lived SA")
        partners.import_key(root_ws, "short", gpg(home, "--armor", "--export", fpr).stdout, fpr)
        ours = partners.keyring(root_ws).export_public(officer.fingerprint).encode()
        assert gpg(home, "--import", data=ours).returncode == 0
        files, _ = partner_files()
        manifest = manifest_for(files, fpr)
        sig = gpg(
            home,
            "--passphrase",
            "",
            "--local-user",
            fpr,
            "--detach-sign",
            "--output",
            "-",
            data=manifest,
        ).stdout
        sealed = seal(
            home,
            tar_of({**files, "manifest.json": manifest, "manifest.json.sig": sig}),
            officer.fingerprint,
            fpr,
        )
        path = home / "late.tar.gpg"
        path.write_bytes(sealed)
        # The signature was made while the key was valid; when the package is opened two days
        # later (gpg's faked system time in pkiadmin's own GnuPG home), the key has expired.
        later = int(datetime.now(UTC).timestamp()) + 2 * 86400
        conf = pgp._GPG_CONF + f"faked-system-time {later}\n"
        monkeypatch.setattr(pgp, "_GPG_CONF", conf)
        (root_ws.gnupg_dir / "gpg.conf").write_text(conf)
        with pytest.raises(
            PackageRejectedError, match="The package was signed by a key that has expired"
        ):
            package_open.open_package(root_ws, "short", path, OFFICER_PASSPHRASE)
    finally:
        kill_agent(home)
        partners.keyring(root_ws).stop_agent()
        shutil.rmtree(home, ignore_errors=True)


def test_tampered_ciphertext_and_wrong_recipient(exchange: Exchange) -> None:
    files, _ = partner_files()
    path = partner_package(exchange, files)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))
    _rejected(exchange, path, "could not be decrypted")
    other = make_key(exchange.home, "Someone Else <else@example.org>")
    _rejected(
        exchange,
        partner_package(exchange, files, recipient=other),
        "The package is encrypted to key id.* not to our officer key",
    )


def test_tampered_manifest_missing_extra_and_altered_files(exchange: Exchange) -> None:
    files, _ = partner_files()
    manifest = manifest_for(files, exchange.partner_fpr)
    sig = gpg(
        exchange.home,
        "--passphrase",
        "",
        "--local-user",
        exchange.partner_fpr,
        "--detach-sign",
        "--output",
        "-",
        data=manifest,
    ).stdout
    forged = manifest.replace(b"Partner SA", b"Partner SB")
    _rejected(
        exchange,
        partner_package(exchange, files, manifest=forged, sig=sig),
        "The manifest's signature does not verify",
    )
    missing = dict(files)
    del missing["crl/root.crl"]
    _rejected(
        exchange,
        partner_package(exchange, missing, manifest=manifest, sig=sig),
        "crl/root.crl is listed in the manifest but missing",
    )
    extra = {**files, "certs/smuggled.crt": files["certs/root.crt"]}
    _rejected(
        exchange,
        partner_package(exchange, extra, manifest=manifest, sig=sig),
        "files the manifest does not list: certs/smuggled.crt",
    )
    altered = {**files, "endpoints.json": b'{"certificates": ["x"]}'}
    _rejected(
        exchange,
        partner_package(exchange, altered, manifest=manifest, sig=sig),
        "endpoints.json does not match the manifest",
    )


def test_bad_certificates_and_a_stale_crl_are_findings(exchange: Exchange) -> None:
    ca = partner_ca()
    from tests.package_helpers import _name

    weak_key = rsa.generate_private_key(65537, 1024)
    weak = ca_cert(_name("Weak CA"), weak_key, ca.root.subject, ca.root_key)
    leaf = ca_cert(
        _name("Not A CA"),
        ec.generate_private_key(ec.SECP256R1()),
        ca.root.subject,
        ca.root_key,
        ca=False,
    )
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = ca_cert(_name("Stranger CA"), stranger_key, _name("Other Root"), stranger_key)
    orphan = ca_cert(
        _name("Orphan CA"),
        ec.generate_private_key(ec.SECP256R1()),
        _name("Other Root"),
        ec.generate_private_key(ec.SECP256R1()),
    )
    from datetime import UTC, datetime, timedelta

    expired = ca_cert(_name("Old CA"), ec.generate_private_key(ec.SECP256R1()), ca.root.subject, ca.root_key,
                      days=10, start=datetime.now(UTC) - timedelta(days=100))  # fmt: skip
    files = layout(
        {
            "root": ca.root,
            "weak": weak,
            "leaf": leaf,
            "orphan": orphan,
            "old": expired,
            "stranger": stranger,
        },
        {"root": crl_of(ca, next_days=-2)},
    )
    opened = package_open.open_package(
        exchange.ws, "partner", partner_package(exchange, files), OFFICER_PASSPHRASE
    )
    assert not opened.accepted
    text = "\n".join(opened.blocking)
    assert (
        "CN=Weak CA,O=Partner SA,C=FR: its RSA key has 1024 bits; at least 2048 are needed" in text
    )
    assert "CN=Not A CA,O=Partner SA,C=FR: it is not a CA certificate" in text
    assert (
        "CN=Old CA,O=Partner SA,C=FR: The path could not be validated because this certificate expired"
        in text
    )
    assert "CN=Orphan CA,O=Partner SA,C=FR: it does not chain to a trust anchor" in text
    assert "CN=Weak CA,O=Partner SA,C=FR: its revocation status cannot be determined" in text
    assert "crl/root.crl: the CRL is stale" in text
    row = exchange.ws.db.execute("SELECT result FROM packages ORDER BY id DESC LIMIT 1").fetchone()
    assert row[0] == "rejected"


def test_gpg_missing(root_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(pgp.PgpError, match="gpg is not installed on this machine"):
        partners.keyring(root_ws)
