"""Full-chain revocation checking as relying parties run it: a three-tier hierarchy from pkiadmin
with CRL URLs, one revoked issuing CA and one revoked service certificate. `openssl verify
-x509_strict -crl_check_all` (what nginx's ssl_crl does for a client chain) accepts the valid
chains and says `certificate revoked` for each revoked one; Python's ssl with
VERIFY_CRL_CHECK_CHAIN does the same in a real handshake."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import (
    authorities,
    end_entity,
    held_ca,
    intermediate,
    profiles,
    requests,
)
from pkiadmin.core.issuance.intermediate import CaProfile, IntermediateRequest
from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import PASSPHRASE
from tests.core.issuance.test_end_entity import csr_for

pytestmark = pytest.mark.interop
PEM = serialization.Encoding.PEM


@dataclass
class Pki:
    ws: Workspace
    folder: Path
    root: int  # CA ids
    policy: int
    issuing: int
    revoked_issuing: int
    good_leaf: int  # certificate ids
    bad_leaf: int
    good_key: ec.EllipticCurvePrivateKey
    bad_key: ec.EllipticCurvePrivateKey

    def pem(self, cert_id: int, name: str) -> Path:
        path = self.folder / name
        path.write_bytes(inventory.load_certificate(self.ws.db, cert_id).public_bytes(PEM))
        return path

    def ca_cert(self, ca_id: int) -> int:
        return next(a.cert_id for a in authorities.list_authorities(self.ws.db) if a.id == ca_id)


def _urls(ws: Workspace, ca_id: int, name: str) -> None:
    intermediate.set_ca_settings(ws, ca_id, {"crl_urls": [f"http://pki.example.com/{name}.crl"]})


def _tier(ws: Workspace, issuer: int, cn: str, profile: CaProfile) -> int:
    made = held_ca.create_intermediate(
        ws, issuer, SubjectSpec(cn, "Example Ltd", country="SE"), IntermediateRequest(profile),
        PASSPHRASE, issuer_passphrase=PASSPHRASE,
    )  # fmt: skip
    return made.ca_id


def _leaf(ws: Workspace, ca_id: int, name: str) -> tuple[int, ec.EllipticCurvePrivateKey]:
    request, key = csr_for(name, [x509.DNSName(name)])
    record, _ = requests.import_csr(ws, request.public_bytes(PEM), f"{name}.csr")
    plan = end_entity.prepare(
        ws, ca_id, requests.load_request(ws, record.id), profiles.get(ws.db, "mtls")
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return end_entity.sign(ws, plan, PASSPHRASE, csr_id=record.id).cert_id, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pki]:
    folder = tmp_path_factory.mktemp("crl-chain")
    ws = workspace.create(folder / "ws")
    root = create_root_ca(
        ws, RootCaRequest(SubjectSpec("Example Root CA", "Example Ltd", country="SE")), PASSPHRASE
    ).ca_id
    _urls(ws, root, "root")
    policy = _tier(ws, root, "Example Policy CA", CaProfile.POLICY)
    _urls(ws, policy, "policy")
    issuing = _tier(ws, policy, "Example Issuing CA", CaProfile.ISSUING)
    revoked_issuing = _tier(ws, policy, "Example Retired Issuing CA", CaProfile.ISSUING)
    _urls(ws, issuing, "issuing")
    good_leaf, good_key = _leaf(ws, issuing, "good.example.com")
    bad_leaf, bad_key = _leaf(ws, issuing, "bad.example.com")
    made = Pki(
        ws, folder, root, policy, issuing, revoked_issuing, good_leaf, bad_leaf, good_key, bad_key
    )
    revocation.revoke(ws, made.ca_cert(revoked_issuing), "keyCompromise")
    revocation.revoke(ws, bad_leaf, "keyCompromise")
    crls = b"".join(
        crl.issue(ws, ca_id, PASSPHRASE).signed.crl.public_bytes(PEM)
        for ca_id in (root, policy, issuing)
    )
    (folder / "crls.pem").write_bytes(crls)
    made.pem(made.ca_cert(root), "root.pem")
    (folder / "untrusted.pem").write_bytes(
        b"".join(
            inventory.load_certificate(ws.db, made.ca_cert(c)).public_bytes(PEM)
            for c in (policy, issuing, revoked_issuing)
        )
    )
    yield made
    ws.close()


def _verify(pki: Pki, cert: Path, *flags: str) -> str:
    done = subprocess.run(
        [
            "openssl", "verify", "-x509_strict", *flags, "-CAfile", str(pki.folder / "root.pem"),
            "-untrusted", str(pki.folder / "untrusted.pem"),
            "-CRLfile", str(pki.folder / "crls.pem"), str(cert),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


@pytest.mark.parametrize("mode", ["-crl_check", "-crl_check_all"])
def test_openssl_accepts_the_valid_chains(pki: Pki, mode: str) -> None:
    for name, cert_id in (
        ("good.pem", pki.good_leaf),
        ("issuing.pem", pki.ca_cert(pki.issuing)),
        ("policy.pem", pki.ca_cert(pki.policy)),
    ):
        out = _verify(pki, pki.pem(cert_id, name), mode)
        assert out.strip().endswith(": OK"), out


def test_openssl_says_certificate_revoked_for_each_revoked_one(pki: Pki) -> None:
    leaf = _verify(pki, pki.pem(pki.bad_leaf, "bad.pem"), "-crl_check_all")
    assert "certificate revoked" in leaf and ": OK" not in leaf
    ca = _verify(pki, pki.pem(pki.ca_cert(pki.revoked_issuing), "retired.pem"), "-crl_check_all")
    assert "certificate revoked" in ca and ": OK" not in ca


def _handshake(pki: Pki, client_cert: int, client_key: ec.EllipticCurvePrivateKey) -> str | None:
    """A TLS server on loopback that checks the client's whole chain against the CRLs; None when
    the handshake succeeds, else the server's verify error."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    server_ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN | ssl.VERIFY_X509_STRICT
    server_ctx.load_verify_locations(cafile=str(pki.folder / "root.pem"))
    server_ctx.load_verify_locations(cafile=str(pki.folder / "crls.pem"))
    server_chain = pki.folder / "server-chain.pem"
    server_chain.write_bytes(
        b"".join(
            inventory.load_certificate(pki.ws.db, c).public_bytes(PEM)
            for c in (pki.good_leaf, pki.ca_cert(pki.issuing), pki.ca_cert(pki.policy))
        )
    )
    key_file = pki.folder / "server.key"
    key_file.write_bytes(
        pki.good_key.private_bytes(
            PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_ctx.load_cert_chain(str(server_chain), str(key_file))
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    client_chain = pki.folder / "client-chain.pem"
    client_chain.write_bytes(
        b"".join(
            inventory.load_certificate(pki.ws.db, c).public_bytes(PEM)
            for c in (client_cert, pki.ca_cert(pki.issuing), pki.ca_cert(pki.policy))
        )
    )
    client_key_file = pki.folder / "client.key"
    client_key_file.write_bytes(
        client_key.private_bytes(
            PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    client_ctx.load_cert_chain(str(client_chain), str(client_key_file))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    error: list[str] = []

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except ssl.SSLError as exc:
            error.append(str(exc))
        finally:
            listener.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            client_ctx.wrap_socket(raw) as tls,
        ):
            tls.sendall(b"x")
    except (ssl.SSLError, OSError):
        pass
    thread.join(10)
    return error[0] if error else None


def test_python_ssl_checks_the_whole_client_chain_against_the_crls(pki: Pki) -> None:
    assert _handshake(pki, pki.good_leaf, pki.good_key) is None
    refused = _handshake(pki, pki.bad_leaf, pki.bad_key)
    assert refused is not None and "certificate revoked" in refused
