"""Two organisations, three tiers each, made through the CLI; pkiadmin issues Service_A's server
certificate (tls-server) and Service_B's client certificate (mtls) from `openssl req` CSRs, and
real mutual-TLS handshakes run with them: openssl s_server/s_client, and Python's ssl module. A
client from an unrelated hierarchy is refused, and so is Service_B once revoked and on the CRL."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from pkiadmin.cli.main import cli
from pkiadmin.core.workspace import folder as workspace
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.interop


def openssl(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("openssl")
    assert binary is not None
    done = subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd, check=False)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def run(ws: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *args], env={"P": PASSPHRASE})
    assert result.exit_code == 0, result.output
    return result.output


@dataclass
class Org:
    name: str
    ws: Path
    folder: Path  # root.pem, chain.pem (issuing + policy), the service's key and certificate


def organisation(tmp_path: Path, name: str, country: str) -> Org:
    ws = tmp_path / name / "ws"
    folder = tmp_path / name
    run(ws, "workspace", "init")
    subject = ("--org", name, "--country", country)
    run(ws, "ca", "create-root", "--cn", f"{name} Root CA", *subject, "--passphrase-env", "P")
    for issuer, cn, profile in (("1", "Policy CA", "policy"), ("2", "Issuing CA", "issuing")):
        run(
            ws, "ca", "create-intermediate", issuer, "--cn", f"{name} {cn}", *subject,
            "--profile", profile, "--issuer-passphrase-env", "P", "--passphrase-env", "P",
        )  # fmt: skip
    run(ws, "cert", "export", "1", "--out", str(folder / "root.pem"))
    run(ws, "cert", "export", "3", "--out", str(folder / "issuing.pem"))
    run(ws, "cert", "export", "2", "--out", str(folder / "policy.pem"))
    (folder / "chain.pem").write_bytes(
        (folder / "issuing.pem").read_bytes() + (folder / "policy.pem").read_bytes()
    )
    return Org(name, ws, folder)


def service_certificate(org: Org, service: str, profile: str, san: str) -> int:
    """`openssl req` makes the key and CSR, as the service's operator would; pkiadmin signs."""
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{service}.key", "-subj", f"/CN={service}", "-addext",
        f"subjectAltName={san}", "-out", f"{service}.csr", cwd=org.folder,
    )  # fmt: skip
    imported = run(org.ws, "csr", "import", str(org.folder / f"{service}.csr"))
    csr_id = imported.split("Imported as CSR ", 1)[1].split(".")[0]
    signed = run(
        org.ws, "ca", "sign-csr", "3", csr_id, "--profile", profile, "--yes",
        "--passphrase-env", "P",
    )  # fmt: skip
    assert f"Profile:    {profile}" in signed
    cert_id = int(signed.split("Signed certificate ", 1)[1].split(":")[0])
    run(org.ws, "cert", "export", str(cert_id), "--out", str(org.folder / f"{service}.pem"))
    # The service presents its certificate with the chain up to (not including) the root.
    (org.folder / f"{service}-full.pem").write_bytes(
        (org.folder / f"{service}.pem").read_bytes() + (org.folder / "chain.pem").read_bytes()
    )
    return cert_id


@pytest.fixture(scope="module")
def partners(tmp_path_factory: pytest.TempPathFactory) -> tuple[Org, Org, Org]:
    tmp = tmp_path_factory.mktemp("mtls")
    a = organisation(tmp, "Service_A Ltd", "SE")
    b = organisation(tmp, "Service_B SA", "FR")
    stranger = organisation(tmp, "Unrelated Inc", "US")
    service_certificate(a, "service-a.example.com", "tls-server", "DNS:service-a.example.com")
    service_certificate(b, "service-b.example.fr", "mtls", "DNS:service-b.example.fr")
    service_certificate(stranger, "intruder.example.com", "mtls", "DNS:intruder.example.com")
    return a, b, stranger


def test_openssl_accepts_the_issued_certificates_for_their_purpose(
    partners: tuple[Org, Org, Org],
) -> None:
    a, b, _ = partners
    for org, service, purpose in (
        (a, "service-a.example.com", "sslserver"),
        (b, "service-b.example.fr", "sslclient"),
    ):
        done = openssl(
            "verify", "-x509_strict", "-purpose", purpose, "-CAfile", "root.pem",
            "-untrusted", "chain.pem", f"{service}.pem", cwd=org.folder,
        )  # fmt: skip
        assert done.stdout.strip() == f"{service}.pem: OK"
    cert = x509.load_pem_x509_certificate((b.folder / "service-b.example.fr.pem").read_bytes())
    ekus = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ekus == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]


def _server_context(a: Org, b: Org, crl: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(
        a.folder / "service-a.example.com-full.pem", a.folder / "service-a.example.com.key"
    )
    ctx.load_verify_locations(b.folder / "root.pem")  # Service_A trusts its partner's root
    if crl is not None:
        ctx.load_verify_locations(crl)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _client_context(client: Org, service: str, a: Org) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_cert_chain(client.folder / f"{service}-full.pem", client.folder / f"{service}.key")
    ctx.load_verify_locations(a.folder / "root.pem")
    return ctx


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext) -> tuple[str, str | None, str]:
    """(what the client got, the server's error if it refused, the client certificate it saw)."""
    outcome: dict[str, str] = {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _ = listener.accept()
            try:
                with server.wrap_socket(conn, server_side=True) as tls:
                    outcome["peer"] = str(tls.getpeercert())
                    tls.sendall(b"hello partner")
            except ssl.SSLError as exc:
                outcome["error"] = exc.reason or str(exc)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        got = ""
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                client.wrap_socket(raw, server_hostname="service-a.example.com") as tls,
            ):
                got = tls.recv(64).decode()
        except (ssl.SSLError, ConnectionError, OSError):
            pass
        thread.join(10)
    return got, outcome.get("error"), outcome.get("peer", "")


def test_python_ssl_mutual_tls_between_the_partners(partners: tuple[Org, Org, Org]) -> None:
    a, b, stranger = partners
    got, error, peer = _handshake(
        _server_context(a, b), _client_context(b, "service-b.example.fr", a)
    )
    assert (got, error) == ("hello partner", None)
    assert "service-b.example.fr" in peer  # Service_A saw Service_B's certificate
    # A client of an unrelated hierarchy is refused by Service_A.
    got, error, _ = _handshake(
        _server_context(a, b), _client_context(stranger, "intruder.example.com", a)
    )
    assert got == "" and error is not None and "CERTIFICATE_VERIFY_FAILED" in error


def test_openssl_s_server_and_s_client(partners: tuple[Org, Org, Org]) -> None:
    a, b, stranger = partners

    def connect(client: Org, service: str) -> tuple[str, str]:
        """(what s_client printed, what s_server printed), Service_A trusting B's root."""
        return _s_server(a, client, service, "-CAfile", str(b.folder / "root.pem"))

    client_out, _ = connect(b, "service-b.example.fr")
    assert (
        "Verify return code: 0 (ok)" in client_out
    )  # Service_B checked Service_A's name and chain
    assert "HTTP/1.0 200 ok" in client_out  # and Service_A accepted Service_B's certificate
    client_out, server_out = connect(stranger, "intruder.example.com")
    assert "HTTP/1.0 200 ok" not in client_out
    assert "unable to get local issuer certificate" in server_out or "verify error" in server_out


def test_the_revoked_client_is_refused_once_on_the_crl(
    partners: tuple[Org, Org, Org], tmp_path: Path
) -> None:
    a, b, _ = partners
    run(b.ws, "cert", "revoke", "4", "--reason", "keyCompromise", "--yes")
    issued = run(b.ws, "crl", "issue", "3", "--passphrase-env", "P", "--export", str(tmp_path))
    assert "CRL" in issued
    (crl_file,) = tmp_path.glob("*.crl.pem")
    done = openssl(
        "verify", "-crl_check", "-CAfile", str(b.folder / "root.pem"), "-untrusted",
        str(b.folder / "chain.pem"), "-CRLfile", str(crl_file), str(b.folder / "service-b.example.fr.pem"),
        cwd=tmp_path, check=False,
    )  # fmt: skip
    assert "certificate revoked" in done.stdout + done.stderr
    got, error, _ = _handshake(
        _server_context(a, b, crl_file), _client_context(b, "service-b.example.fr", a)
    )
    assert got == "" and error is not None


def _listening_port(server: subprocess.Popen[str]) -> int:
    """openssl s_server prints ACCEPT once it listens; with port 0 the kernel chose the port."""
    assert server.stdout is not None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if line.startswith("ACCEPT"):
            break
    for conn in _tcp_listeners(server.pid):
        return conn
    raise AssertionError("openssl s_server did not start listening")


def _tcp_listeners(pid: int) -> list[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = str(fd.readlink()) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes and fields[3] == "0A":  # LISTEN
            ports.append(int(fields[1].split(":")[1], 16))
    return ports


def test_the_deployable_bundle_is_what_nginx_and_openssl_expect(
    partners: tuple[Org, Org, Org], tmp_path: Path
) -> None:
    a, _, _ = partners
    bundle = tmp_path / "bundle"
    out = run(a.ws, "cert", "export", "4", "--bundle", str(bundle))
    assert sorted(p.name for p in bundle.iterdir()) == [
        "cert.p7b", "cert.pem", "chain.pem", "fullchain.pem", "trust.pem",
    ]  # fmt: skip
    assert out.count("SHA-256") == 5
    done = openssl(
        "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "trust.pem",
        "-untrusted", "chain.pem", "cert.pem", cwd=bundle,
    )  # fmt: skip
    assert done.stdout.strip() == "cert.pem: OK"
    # fullchain.pem is the certificate then its issuers, without the root (nginx ssl_certificate).
    full = (bundle / "fullchain.pem").read_bytes()
    assert full == (bundle / "cert.pem").read_bytes() + (bundle / "chain.pem").read_bytes()
    assert (bundle / "trust.pem").read_bytes() not in full
    printed = openssl("pkcs7", "-inform", "DER", "-in", "cert.p7b", "-print_certs", cwd=bundle)
    assert printed.stdout.count("subject=") == 4  # the certificate, two CAs and the root
    refused = CliRunner().invoke(
        cli, ["--workspace", str(a.ws), "cert", "export", "4", "--bundle", str(bundle)]
    )
    assert refused.exit_code == 1 and "is not empty; choose a new folder" in refused.output


def test_a_key_made_here_leaves_only_encrypted(tmp_path: Path) -> None:
    org = organisation(tmp_path, "Small Org", "SE")
    env = {"P": PASSPHRASE, "X": "export password for the service key"}

    def issue(*args: str) -> Result:
        return CliRunner().invoke(
            cli, ["--workspace", str(org.ws), "ca", "issue", "3", *args], env=env
        )

    p12 = issue(
        "--profile", "tls-server", "--cn", "app.example.com", "--out", str(tmp_path / "p12"),
        "--password-env", "X", "--issuer-passphrase-env", "P",
    )  # fmt: skip
    assert p12.exit_code == 0, p12.output
    (bundle,) = (tmp_path / "p12").glob("*.p12")
    assert oct(bundle.stat().st_mode & 0o777) == "0o600"
    wrong = openssl(
        "pkcs12", "-in", str(bundle), "-nokeys", "-passin", "pass:nope", cwd=tmp_path, check=False
    )
    assert wrong.returncode != 0
    opened = subprocess.run(
        ["openssl", "pkcs12", "-in", str(bundle), "-nodes", "-passin", "env:X"],
        capture_output=True, text=True, env={**os.environ, "X": env["X"]}, check=False,
    )  # fmt: skip
    assert opened.returncode == 0 and "PRIVATE KEY" in opened.stdout
    assert opened.stdout.count("BEGIN CERTIFICATE") == 3  # the certificate and its two CAs
    pkcs8 = issue(
        "--profile", "mtls", "--cn", "api.example.com", "--san", "URI:spiffe://example.com/api",
        "--format", "pkcs8", "--out", str(tmp_path / "p8"), "--password-env", "X",
        "--issuer-passphrase-env", "P",
    )  # fmt: skip
    assert pkcs8.exit_code == 0, pkcs8.output
    key_file = tmp_path / "p8" / "api-example-com.key.pem"
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    done = openssl(
        "verify", "-purpose", "sslclient", "-CAfile", str(org.folder / "root.pem"), "-untrusted",
        str(tmp_path / "p8" / "api-example-com.fullchain.pem"),
        str(tmp_path / "p8" / "api-example-com.fullchain.pem"), cwd=tmp_path,
    )  # fmt: skip
    assert done.stdout.strip().endswith(": OK")
    # Nothing of either key was kept in the workspace or written unencrypted anywhere.
    for path in [*org.ws.rglob("*"), *(tmp_path / "p12").iterdir(), *(tmp_path / "p8").iterdir()]:
        if path.is_file():
            assert b"BEGIN PRIVATE KEY" not in path.read_bytes()
    refused = issue(
        "--profile", "tls-server", "--cn", "bad host", "--out", str(tmp_path / "bad"),
        "--password-env", "X", "--issuer-passphrase-env", "P",
    )  # fmt: skip
    assert refused.exit_code == 1 and "is not a DNS name" in refused.output
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())


def _cli(ws: Path, *args: str, input: str | None = None) -> str:
    env = {"P": PASSPHRASE, "OP": "officer passphrase for the exchange"}
    result = CliRunner().invoke(cli, ["--workspace", str(ws), *args], input=input, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def sheet_words(sheet: str) -> list[str]:
    """The PGP-word lines of a verification sheet, top to bottom (each value's second line)."""
    lines = sheet.splitlines()
    return [
        lines[i + 2].strip()
        for i, line in enumerate(lines)
        if line.endswith(":") and i + 2 < len(lines) and lines[i + 2].startswith("  ")
    ]


def verify_on_call(ours: Org, out: Path) -> None:
    """Their officer reads the verification sheet in `out` top to bottom; ours types what they
    hear, in the order the call asks for it, and the call is recorded as verified."""
    from pkiadmin.core.base import fingerprint
    from pkiadmin.core.exchange import call_records

    (sheet,) = out.glob("*.verification-sheet.txt")
    heard = "\n".join(sheet_words(sheet.read_text())) + "\n"
    with workspace.open_workspace(ours.ws) as ws:
        values = call_records.values_for(ws, "peer")
    assert heard == "\n".join(" ".join(fingerprint.pgp_words(v.data)) for v in values) + "\n"
    verified = _cli(
        ours.ws, "partner", "verify", "peer", "--direction", "they-read", "--our-officer", "Olivia",
        "--their-officer", "Pat", "--phone", "+46 8 123 456", "--phone-source", "contract",
        "--passphrase-env", "OP", input=heard,
    )  # fmt: skip
    assert "recorded: VERIFIED" in verified


def _exchange_and_verify(ours: Org, theirs: Org, tmp_path: Path) -> Path:
    """Both officers make keys; `theirs` sends a trust package with every CA and CRL; `ours`
    opens it and verifies it on the call; `ours` exports the trust store. Returns its path."""
    keys = {}
    for org in (ours, theirs):
        key = tmp_path / f"{org.name}-officer.asc"
        _cli(org.ws, "partner", "officer-key", "--generate", f"Officer of {org.name}",
             "officer@example.com", "--passphrase-env", "OP", "--export", str(key))  # fmt: skip
        keys[org.name] = key
    for org, other in ((ours, theirs), (theirs, ours)):
        _cli(org.ws, "partner", "add", "peer", "--organisation", other.name)
        _cli(org.ws, "partner", "import-key", "peer", str(keys[other.name]))
    for ca_id in ("1", "2", "3"):  # revocation information at every level, as validation needs
        _cli(theirs.ws, "crl", "issue", ca_id, "--passphrase-env", "P")
    out = tmp_path / f"from-{theirs.name}"
    _cli(theirs.ws, "package", "build", "peer", "--out-dir", str(out), "--passphrase-env", "OP")
    (package,) = out.glob("*.tar.gpg")
    opened = _cli(ours.ws, "package", "open", "peer", str(package), "--passphrase-env", "OP")
    assert "ACCEPTED: every check passed" in opened
    verify_on_call(ours, out)
    store = tmp_path / f"{ours.name}-trusts.pem"
    _cli(ours.ws, "trust", "export", "--out", str(store))
    return store


def test_mutual_tls_with_the_trust_store_from_a_verified_call(tmp_path: Path) -> None:
    """The whole onboarding: Service_A trusts Service_B's CAs from `trust export` after the call,
    and Service_B's client certificate is then accepted by openssl s_server; an unrelated
    hierarchy's client is not."""
    a = organisation(tmp_path, "Org A", "SE")
    b = organisation(tmp_path, "Org B", "FR")
    stranger = organisation(tmp_path, "Org C", "US")
    service_certificate(a, "service-a.example.com", "tls-server", "DNS:service-a.example.com")
    service_certificate(b, "service-b.example.fr", "mtls", "DNS:service-b.example.fr")
    service_certificate(stranger, "intruder.example.com", "mtls", "DNS:intruder.example.com")
    store = _exchange_and_verify(a, b, tmp_path)
    assert store.read_text().count("BEGIN CERTIFICATE") == 3  # Org B's root, policy, issuing CA
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(
        a.folder / "service-a.example.com-full.pem", a.folder / "service-a.example.com.key"
    )
    server.load_verify_locations(store)
    server.verify_mode = ssl.CERT_REQUIRED
    got, error, peer = _handshake(server, _client_context(b, "service-b.example.fr", a))
    assert (got, error) == ("hello partner", None) and "service-b.example.fr" in peer
    got, error, _ = _handshake(server, _client_context(stranger, "intruder.example.com", a))
    assert got == "" and error is not None


def _s_server(a: Org, client: Org, service: str, *trust: str) -> tuple[str, str]:
    """openssl s_server as Service_A with `trust` (-CAfile … -CRLfile … -crl_check…), and an
    openssl s_client presenting `service`: (client output, server output)."""
    with subprocess.Popen(
        [
            "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
            "-cert", "service-a.example.com.pem", "-key", "service-a.example.com.key",
            "-cert_chain", "chain.pem", *trust, "-Verify", "3", "-verify_return_error", "-www",
        ],
        cwd=a.folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as server:  # fmt: skip
        port = _listening_port(server)
        done = subprocess.run(
            [
                "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                str(a.folder / "root.pem"), "-verify_hostname", "service-a.example.com",
                "-verify_return_error", "-cert", f"{service}.pem", "-key", f"{service}.key",
                "-cert_chain", "chain.pem", "-ign_eof",
            ],
            input="GET / HTTP/1.0\r\n\r\n", capture_output=True, text=True,
            cwd=client.folder, timeout=20, check=False,
        )  # fmt: skip
        try:
            server.wait(10)
        finally:
            server.kill()
        return done.stdout + done.stderr, server.stdout.read() if server.stdout else ""


def test_a_server_with_the_partners_exported_crls_refuses_their_revoked_client(
    tmp_path: Path,
) -> None:
    """Service_B revokes one of its clients and sends a new package with its CRLs; Service_A's
    `trust export --crls` writes them, and an openssl s_server checking the whole client chain
    against them refuses the revoked client and accepts the good one."""
    a = organisation(tmp_path, "Org A", "SE")
    b = organisation(tmp_path, "Org B", "FR")
    service_certificate(a, "service-a.example.com", "tls-server", "DNS:service-a.example.com")
    service_certificate(b, "good.example.fr", "mtls", "DNS:good.example.fr")
    revoked = service_certificate(b, "lost.example.fr", "mtls", "DNS:lost.example.fr")
    _exchange_and_verify(a, b, tmp_path)
    _cli(b.ws, "cert", "revoke", str(revoked), "--reason", "keyCompromise", "--yes")
    _cli(b.ws, "crl", "issue", "3", "--passphrase-env", "P")
    out = tmp_path / "second-package"
    _cli(b.ws, "package", "build", "peer", "--out-dir", str(out), "--passphrase-env", "OP")
    (package,) = out.glob("*.tar.gpg")
    assert "ACCEPTED" in _cli(
        a.ws, "package", "open", "peer", str(package), "--passphrase-env", "OP"
    )
    store, crls = a.folder / "partner-cas.pem", a.folder / "partner-crls.pem"
    exported = _cli(a.ws, "trust", "export", "--out", str(store), "--crls", str(crls))
    assert "with 3 CRL(s)" in exported and "CRL 2 of CN=Org B Issuing CA" in exported
    # nginx's ssl_crl reads every CRL of the bundle; openssl s_server's -CRL reads only the
    # first, so the bundle goes into its -CAfile (which loads certificates and CRLs alike).
    both = a.folder / "partner-cas-and-crls.pem"
    both.write_bytes(store.read_bytes() + crls.read_bytes())
    trust = ("-CAfile", str(both), "-crl_check_all")
    client_out, _ = _s_server(a, b, "good.example.fr", *trust)
    assert "HTTP/1.0 200 ok" in client_out, client_out
    client_out, server_out = _s_server(a, b, "lost.example.fr", *trust)
    assert "HTTP/1.0 200 ok" not in client_out
    assert "certificate revoked" in server_out, server_out
    # The same as a hashed folder for -CApath / -CRLpath.
    folder = a.folder / "partner-dir"
    _cli(
        a.ws,
        "trust",
        "export",
        "--format",
        "openssl-dir",
        "--out",
        str(folder),
        "--crls",
        str(folder),
    )
    assert len(list(folder.glob("*.r0"))) == 3 and len(list(folder.glob("*.0"))) == 3
    client_out, server_out = _s_server(
        a, b, "lost.example.fr", "-CApath", str(folder), "-crl_check_all"
    )
    assert "certificate revoked" in server_out, server_out
    # A stale or missing CRL stops the export, and nothing is written.
    from datetime import UTC, datetime, timedelta

    from pkiadmin.core.base.errors import ValidationError
    from pkiadmin.core.exchange import trust_store

    with workspace.open_workspace(a.ws) as ws:
        with pytest.raises(ValidationError, match="is stale"):
            trust_store.checked_crls(ws, now=datetime.now(UTC) + timedelta(days=400))
        with ws.db.atomic():
            ws.db.execute(
                "DELETE FROM partner_crls WHERE issuer_cert_id ="
                " (SELECT MIN(issuer_cert_id) FROM partner_crls)"
            )
        with pytest.raises(ValidationError, match="No CRL of .* was received"):
            trust_store.export_crls(ws, "pem", a.folder / "never.pem")
    assert not (a.folder / "never.pem").exists()
