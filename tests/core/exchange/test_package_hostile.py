"""Hostile and odd packages, as a security tester built them: each is a recorded rejection with
a sentence that names the problem (never a traceback), within bounded memory; and the OpenPGP
rules: weak digests and passphrase-only encryption refused, several recipients accepted."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pkiadmin.core.base.errors import PassphraseError
from pkiadmin.core.exchange import package_open, pgp
from pkiadmin.core.exchange.package_open import PackageRejectedError
from tests.core.conftest import Exchange
from tests.core.exchange.test_packages import partner_files, partner_package
from tests.package_helpers import OFFICER_PASSPHRASE, gpg, make_key, manifest_for, seal
from tests.plain_messages import assert_plain


def _rejected(ex: Exchange, path: Path, message: str) -> str:
    before = ex.ws.db.execute("SELECT count(*) FROM packages").fetchone()[0]
    with pytest.raises(PackageRejectedError, match=message) as raised:
        package_open.open_package(ex.ws, "partner", path, OFFICER_PASSPHRASE)
    rows = ex.ws.db.execute("SELECT result, findings FROM packages ORDER BY id").fetchall()
    assert len(rows) == before + 1 and rows[-1][0] == "rejected"
    assert json.loads(rows[-1][1]) == [str(raised.value)]
    audit = ex.ws.db.execute("SELECT operation FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert audit[0] == "package.open"
    assert_plain(str(raised.value), str(path))
    return str(raised.value)


def _sign(ex: Exchange, data: bytes, *extra: str) -> bytes:
    return gpg(
        ex.home, "--passphrase", "", "--local-user", ex.partner_fpr, *extra,
        "--detach-sign", "--output", "-", data=data,
    ).stdout  # fmt: skip


def _sealed(ex: Exchange, tar: bytes, *extra: str) -> Path:
    done = gpg(
        ex.home, "--trust-model", "always", "--passphrase", "", "--local-user", ex.partner_fpr,
        *extra, "--sign", "--encrypt", "-r", ex.officer_fpr, "--output", "-", data=tar,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = ex.home / "odd.tar.gpg"
    path.write_bytes(done.stdout)
    return path


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _standard_members(ex: Exchange) -> list[tuple[str, bytes]]:
    files, _ = partner_files()
    manifest = manifest_for(files, ex.partner_fpr)
    return [*files.items(), ("manifest.json", manifest), ("manifest.json.sig", _sign(ex, manifest))]


def test_a_decompression_bomb_is_stopped_within_bounded_memory(shared_exchange: Exchange) -> None:
    """128 MiB of zeros compress to a few hundred KB; gpg would hand all of it to pkiadmin."""
    bomb = shared_exchange.home / "bomb.gpg"
    with bomb.open("wb") as out:
        zeros = subprocess.Popen(
            ["head", "-c", str(128 << 20), "/dev/zero"], stdout=subprocess.PIPE
        )
        done = subprocess.run(
            ["gpg", "--homedir", str(shared_exchange.home), "--batch", "--trust-model", "always",
             "--compress-algo", "zlib", "-z", "9", "--encrypt", "-r", shared_exchange.officer_fpr],
            stdin=zeros.stdout, stdout=out, stderr=subprocess.PIPE, check=False,
        )  # fmt: skip
        zeros.wait()
        assert zeros.stdout is not None
        zeros.stdout.close()
    assert done.returncode == 0, done.stderr
    assert bomb.stat().st_size < 2 << 20
    ws = shared_exchange.ws.path
    env = {**os.environ, "P": OFFICER_PASSPHRASE}
    child = subprocess.Popen(
        [str(Path(sys.executable).parent / "pkiadmin-cli"), "--workspace", str(ws), "package", "open",
         "partner", str(bomb), "--passphrase-env", "P"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert child.stdout is not None and child.stderr is not None
    printed, errors = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, for its peak memory
    child.stdout.close()
    child.stderr.close()
    text = (printed + errors).decode()
    assert child.returncode == 1, text
    peak_mb = usage.ru_maxrss / 1024
    assert peak_mb < 300, f"pkiadmin-cli peaked at {peak_mb:.0f} MB"
    assert "Traceback" not in text
    assert "gpg's output passed 32 MiB" in text and "gpg was stopped" in text
    row = shared_exchange.ws.db.execute(
        "SELECT result FROM packages ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert row[0] == "rejected"
    home = ws / "gnupg"
    assert not [
        p.name for p in home.iterdir() if p.name.endswith(".lock") or p.name.startswith(".#lk")
    ]


def test_the_bomb_is_bounded_in_this_process_too(shared_exchange: Exchange) -> None:
    import resource

    bomb = shared_exchange.home / "bomb.gpg"
    with bomb.open("wb") as out:
        zeros = subprocess.Popen(["head", "-c", str(96 << 20), "/dev/zero"], stdout=subprocess.PIPE)
        subprocess.run(
            ["gpg", "--homedir", str(shared_exchange.home), "--batch", "--trust-model", "always",
             "-z", "9", "--encrypt", "-r", shared_exchange.officer_fpr],
            stdin=zeros.stdout, stdout=out, stderr=subprocess.PIPE, check=True,
        )  # fmt: skip
        zeros.wait()
        assert zeros.stdout is not None
        zeros.stdout.close()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _rejected(shared_exchange, bomb, "gpg's output passed")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, f"peak memory grew by {grown_mb:.0f} MB"


def test_duplicate_members_are_refused(shared_exchange: Exchange) -> None:
    members = _standard_members(shared_exchange)
    evil = [*members, ("crl/root.crl", b"the last copy would have won")]
    message = _rejected(shared_exchange, _sealed(shared_exchange, _tar(evil)), "twice")
    assert "crl/root.crl" in message
    dotted = [*members, ("./manifest.json", b"{}")]
    _rejected(shared_exchange, _sealed(shared_exchange, _tar(dotted)), "'manifest.json' twice")


def test_the_member_count_counts_every_member(shared_exchange: Exchange) -> None:
    many = [(f"x/{i}", b"") for i in range(201)]
    _rejected(shared_exchange, _sealed(shared_exchange, _tar(many)), "more than 200 files")


def test_a_sparse_member_claiming_gigabytes_is_refused(
    shared_exchange: Exchange, tmp_path: Path
) -> None:
    sparse = tmp_path / "big"
    with sparse.open("wb") as f:
        f.truncate(6 << 30)
    tar = subprocess.run(
        ["tar", "-C", str(tmp_path), "--sparse", "-cf", "-", "big"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert len(tar) < 1 << 20
    _rejected(shared_exchange, _sealed(shared_exchange, tar), "not a plain file|claim more than")


def test_a_non_utf8_member_name_is_refused(shared_exchange: Exchange) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tar:
        info = tarfile.TarInfo("caf\xe9.crt")
        tar.addfile(info, io.BytesIO(b""))
    _rejected(
        shared_exchange, _sealed(shared_exchange, out.getvalue()), "not UTF-8|not a plain file"
    )


def test_a_member_name_with_a_newline_is_refused(shared_exchange: Exchange) -> None:
    message = _rejected(
        shared_exchange,
        _sealed(shared_exchange, _tar([("a\nSPKI SHA-256: 00", b"")])),
        "not a plain file",
    )
    assert "\n" not in message


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 8 levels"),
        (json.dumps({"files": "x", "certificates": []}).encode(), "'files' must be a list"),
        (json.dumps({"files": [{"path": 1, "sha256": "0" * 64, "size": 1}], "certificates": []}).encode(),
         r"files\[0\] needs 'path' as text"),
        (json.dumps({"files": [{"path": "a", "sha256": "0" * 64, "size": "1"}], "certificates": []}).encode(),
         r"files\[0\] needs 'size' as a whole number"),
        (b"\xff\xfe not json", "is not JSON"),
        (b"[1, 2]", "must be a JSON object"),
    ],
)  # fmt: skip
def test_a_manifest_of_the_wrong_shape_is_refused(
    shared_exchange: Exchange, manifest: bytes, message: str
) -> None:
    tar = _tar(
        [("manifest.json", manifest), ("manifest.json.sig", _sign(shared_exchange, manifest))]
    )
    _rejected(shared_exchange, _sealed(shared_exchange, tar), message)


def test_sha1_signatures_are_refused(shared_exchange: Exchange) -> None:
    members = _standard_members(shared_exchange)
    message = _rejected(
        shared_exchange,
        _sealed(shared_exchange, _tar(members), "--digest-algo", "SHA1"),
        "signed with SHA-1",
    )
    assert message.startswith("The package is signed with SHA-1")
    files = dict(members[:-2])
    manifest = manifest_for(files, shared_exchange.partner_fpr)
    weak = [*files.items(), ("manifest.json", manifest),
            ("manifest.json.sig", _sign(shared_exchange, manifest, "--digest-algo", "SHA1"))]  # fmt: skip
    _rejected(
        shared_exchange, _sealed(shared_exchange, _tar(weak)), "The manifest is signed with SHA-1"
    )


def test_a_passphrase_only_package_is_refused(shared_exchange: Exchange) -> None:
    """Even when its passphrase is our officer passphrase."""
    path = shared_exchange.home / "sym.gpg"
    done = gpg(
        shared_exchange.home, "--passphrase", OFFICER_PASSPHRASE, "--symmetric", "--output", "-",
        data=_tar(_standard_members(shared_exchange)),
    )  # fmt: skip
    path.write_bytes(done.stdout)
    _rejected(shared_exchange, path, "encrypted with a passphrase only")


def test_a_package_for_us_and_another_recipient_is_accepted(shared_exchange: Exchange) -> None:
    other = make_key(shared_exchange.home, "Another Recipient <other@partner.example>")
    done = gpg(
        shared_exchange.home, "--trust-model", "always", "--passphrase", "", "--local-user",
        shared_exchange.partner_fpr, "--sign", "--encrypt", "-r", other, "-r", shared_exchange.officer_fpr,
        "--output", "-", data=_tar(_standard_members(shared_exchange)),
    )  # fmt: skip
    path = shared_exchange.home / "two.gpg"
    path.write_bytes(done.stdout)
    opened = package_open.open_package(shared_exchange.ws, "partner", path, OFFICER_PASSPHRASE)
    assert opened.accepted, opened.blocking


def test_a_wrong_officer_passphrase_is_said_and_records_nothing(shared_exchange: Exchange) -> None:
    files, _ = partner_files()
    path = partner_package(shared_exchange, files)
    count = "SELECT (SELECT count(*) FROM packages), (SELECT count(*) FROM audit_log)"
    before = shared_exchange.ws.db.execute(count).fetchone()
    with pytest.raises(PassphraseError, match="officer key's passphrase is wrong"):
        package_open.open_package(shared_exchange.ws, "partner", path, "not the passphrase")
    assert shared_exchange.ws.db.execute(count).fetchone() == before


def test_an_unknown_signer_is_named_next_to_the_pinned_key(shared_exchange: Exchange) -> None:
    stranger_home = shared_exchange.home / "stranger"
    stranger_home.mkdir(mode=0o700)
    stranger = make_key(stranger_home, "Pat Partner <pat@partner.example>")
    ours = gpg(shared_exchange.home, "--armor", "--export", shared_exchange.officer_fpr).stdout
    gpg(stranger_home, "--import", data=ours)
    tar = _tar(_standard_members(shared_exchange))
    path = shared_exchange.home / "impostor.gpg"
    path.write_bytes(seal(stranger_home, tar, shared_exchange.officer_fpr, stranger))
    message = _rejected(shared_exchange, path, "which is not the partner's registered key")
    assert stranger[-16:] in message and pgp.grouped(shared_exchange.partner_fpr) in message
    subprocess.run(["gpgconf", "--homedir", str(stranger_home), "--kill", "all"], check=False)


@pytest.mark.parametrize("kind", ["device", "fifo", "folder", "huge"])
def test_what_is_not_a_package_file_is_refused_before_reading(
    shared_exchange: Exchange, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / kind
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        with path.open("wb") as f:
            f.truncate(8 << 30)  # sparse: 8 GB claimed, nothing on disk
    _rejected(shared_exchange, path, "not a regular file|far smaller")


def test_a_package_whose_root_revoked_its_issuing_ca_is_rejected(shared_exchange: Exchange) -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    from tests.package_helpers import layout, partner_ca

    ca = partner_ca()
    now = datetime.now(UTC) - timedelta(hours=1)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.root.subject)
        .last_update(now)
        .next_update(now + timedelta(days=7))
        .add_extension(x509.CRLNumber(2), critical=False)
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(ca.issuing.serial_number)
            .revocation_date(now)
            .build()
        )
        .sign(ca.root_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    files = layout({"root": ca.root, "issuing": ca.issuing}, {"root": crl})
    opened = package_open.open_package(
        shared_exchange.ws, "partner", partner_package(shared_exchange, files), OFFICER_PASSPHRASE
    )
    assert not opened.accepted
    assert any("CN=Partner Issuing CA" in f and "revoked" in f for f in opened.blocking)


def test_a_malformed_certificate_in_a_package_is_a_recorded_rejection(
    shared_exchange: Exchange,
) -> None:
    files, _ = partner_files()
    root = files["certs/root.crt"]
    files["certs/broken.crt"] = root.replace(b"MII", b"MIJ", 1)  # an impossible length
    manifest = json.loads(
        manifest_for(
            {k: v for k, v in files.items() if k != "certs/broken.crt"}, shared_exchange.partner_fpr
        )
    )
    import hashlib

    manifest["files"].append(
        {
            "path": "certs/broken.crt",
            "sha256": hashlib.sha256(files["certs/broken.crt"]).hexdigest(),
            "size": len(files["certs/broken.crt"]),
        }
    )
    manifest["certificates"].append({"path": "certs/broken.crt", "sha256": "0" * 64})
    data = json.dumps(manifest).encode()
    tar = _tar(
        [
            *files.items(),
            ("manifest.json", data),
            ("manifest.json.sig", _sign(shared_exchange, data)),
        ]
    )
    opened = package_open.open_package(
        shared_exchange.ws, "partner", _sealed(shared_exchange, tar), OFFICER_PASSPHRASE
    )
    assert not opened.accepted
    assert any("certs/broken.crt is not a certificate" in f for f in opened.blocking)
    row = shared_exchange.ws.db.execute(
        "SELECT result FROM packages ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert row[0] == "rejected"
