"""An intermediate signed from an `openssl req` CSR: openssl accepts it, and it carries a real mTLS handshake."""

from __future__ import annotations

import datetime
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkiadmin.cli.main import cli
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.interop


def openssl(*args: str, cwd: Path) -> str:
    binary = shutil.which("openssl")
    assert binary is not None
    done = subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cli_run(ws: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *args], env={"P": PASSPHRASE})
    assert result.exit_code == 0, result.output
    return result.output


def leaf(
    issuer: x509.Certificate,
    issuer_key: ec.EllipticCurvePrivateKey,
    cn: str,
    usage: x509.ObjectIdentifier,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return cert, key


def write_identity(
    folder: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, chain: bytes
) -> tuple[Path, Path]:
    cert_path = folder / f"{name}.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + chain)
    key_path = folder / f"{name}.key"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_openssl_csr_to_intermediate_to_tls13_mutual_handshake(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    cli_run(ws, "workspace", "init")
    cli_run(
        ws,
        "ca",
        "create-root",
        "--cn",
        "Interop Root",
        "--org",
        "Example Ltd",
        "--country",
        "DE",
        "--passphrase-env",
        "P",
    )
    openssl(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
        "-nodes",
        "-keyout",
        "int.key",
        "-subj",
        "/C=DE/O=Example Ltd/CN=Online Issuing CA",
        "-out",
        "int.csr",
        cwd=tmp_path,
    )
    cli_run(ws, "csr", "import", str(tmp_path / "int.csr"))
    signed = cli_run(ws, "ca", "sign-csr", "1", "1", "--yes", "--passphrase-env", "P")
    assert "Signed certificate 2" in signed
    cli_run(ws, "cert", "export", "1", "--out", str(tmp_path / "root.pem"))
    cli_run(ws, "cert", "export", "2", "--out", str(tmp_path / "intermediate.pem"))
    assert (
        openssl(
            "verify", "-x509_strict", "-CAfile", "root.pem", "intermediate.pem", cwd=tmp_path
        ).strip()
        == "intermediate.pem: OK"
    )

    intermediate = x509.load_pem_x509_certificate((tmp_path / "intermediate.pem").read_bytes())
    int_key = serialization.load_pem_private_key((tmp_path / "int.key").read_bytes(), None)
    assert isinstance(int_key, ec.EllipticCurvePrivateKey)
    chain = intermediate.public_bytes(serialization.Encoding.PEM)
    server_cert, server_key = write_identity(
        tmp_path,
        "server",
        *leaf(intermediate, int_key, "localhost", ExtendedKeyUsageOID.SERVER_AUTH),
        chain,
    )
    client_cert, client_key = write_identity(
        tmp_path,
        "client",
        *leaf(intermediate, int_key, "partner-client", ExtendedKeyUsageOID.CLIENT_AUTH),
        chain,
    )

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    server_ctx.load_cert_chain(server_cert, server_key)
    server_ctx.load_verify_locations(tmp_path / "root.pem")
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    client_ctx.load_cert_chain(client_cert, client_key)
    client_ctx.load_verify_locations(tmp_path / "root.pem")

    seen: dict[str, object] = {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _addr = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                seen["client"] = tls.getpeercert()
                tls.sendall(b"hello over mTLS")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            client_ctx.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            assert tls.version() == "TLSv1.3"
            assert tls.recv(64) == b"hello over mTLS"
        thread.join(10)
    subject = dict(item for rdn in seen["client"]["subject"] for item in rdn)  # type: ignore[index]
    assert subject["commonName"] == "partner-client"


def test_three_tier_chain_verifies_with_untrusted(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    cli_run(ws, "workspace", "init")
    cli_run(
        ws,
        "ca",
        "create-root",
        "--cn",
        "Tier Root",
        "--org",
        "Example Ltd",
        "--country",
        "DE",
        "--passphrase-env",
        "P",
    )
    cli_run(
        ws,
        "ca",
        "create-intermediate",
        "1",
        "--cn",
        "Tier Policy CA",
        "--org",
        "Example Ltd",
        "--country",
        "DE",
        "--profile",
        "policy",
        "--issuer-passphrase-env",
        "P",
        "--passphrase-env",
        "P",
    )
    usb = tmp_path / "usb"
    usb.mkdir()
    created = cli_run(
        ws,
        "ca",
        "create-intermediate",
        "2",
        "--cn",
        "Tier Issuing CA",
        "--org",
        "Example Ltd",
        "--country",
        "DE",
        "--issuer-passphrase-env",
        "P",
        "--passphrase-env",
        "P",
        "--export",
        str(usb),
    )
    assert "Exported the encrypted key to" in created
    for cert_id, name in ((1, "root.pem"), (2, "policy.pem"), (3, "issuing.pem")):
        cli_run(ws, "cert", "export", str(cert_id), "--out", str(tmp_path / name))
    out = openssl(
        "verify",
        "-x509_strict",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "policy.pem",
        "issuing.pem",
        cwd=tmp_path,
    )
    assert out.strip() == "issuing.pem: OK"
    cli_run(
        ws,
        "cert",
        "export",
        "3",
        "--chain",
        "--format",
        "p7b",
        "--out",
        str(tmp_path / "chain.p7b"),
    )
    listing = openssl(
        "pkcs7", "-inform", "der", "-in", "chain.p7b", "-print_certs", "-noout", cwd=tmp_path
    )
    assert listing.count("subject=") == 3
    text = openssl("x509", "-in", "policy.pem", "-noout", "-text", cwd=tmp_path)
    assert "CA:TRUE, pathlen:1" in text
    # The exported key opens only with its passphrase and belongs to the exported chain's first certificate.
    usb = tmp_path / "usb"
    assert (
        (usb / "tier-issuing-ca.key.pem")
        .read_text()
        .startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    )
    public = openssl(
        "pkey",
        "-in",
        "usb/tier-issuing-ca.key.pem",
        "-pubout",
        "-passin",
        f"pass:{PASSPHRASE}",
        cwd=tmp_path,
    )
    assert public == openssl(
        "x509", "-in", "usb/tier-issuing-ca.chain.pem", "-noout", "-pubkey", cwd=tmp_path
    )
    assert (usb / "tier-issuing-ca.chain.pem").read_text().count("BEGIN CERTIFICATE") == 3


def test_pkcs12_export_opens_in_openssl_only_with_the_passphrase(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    cli_run(ws, "workspace", "init")
    cli_run(
        ws,
        "ca",
        "create-root",
        "--cn",
        "P12 Root",
        "--org",
        "Example Ltd",
        "--country",
        "DE",
        "--passphrase-env",
        "P",
    )
    usb = tmp_path / "usb"
    usb.mkdir()
    created = cli_run(
        ws,
        "ca",
        "create-intermediate",
        "1",
        "--cn",
        "P12 Issuing CA",
        "--org",
        "Example Ltd",
        "--country",
        "DE",
        "--issuer-passphrase-env",
        "P",
        "--passphrase-env",
        "P",
        "--export",
        str(usb),
        "--export-format",
        "pkcs12",
    )
    assert "p12-issuing-ca.p12" in created
    info = openssl(
        "pkcs12",
        "-in",
        "usb/p12-issuing-ca.p12",
        "-passin",
        f"pass:{PASSPHRASE}",
        "-nokeys",
        cwd=tmp_path,
    )
    assert (
        info.count("BEGIN CERTIFICATE") == 2
        and "subject=C = DE, O = Example Ltd, CN = P12 Issuing CA" in info
    )
    binary = shutil.which("openssl")
    assert binary is not None
    wrong = subprocess.run(
        [binary, "pkcs12", "-in", "usb/p12-issuing-ca.p12", "-passin", "pass:wrong", "-nokeys"],
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert wrong.returncode != 0
    log = cli_run(ws, "audit", "list")
    assert "ca.export-key" in log
