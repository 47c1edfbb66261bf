"""An `openssl ca` hierarchy built as the HFT recipe of the requirement documents builds it (a
4096-bit root, an intermediate with pathlen 0 under policy_strict, server certificates, one
revoked, a CRL) is adopted: the keys are kept encrypted, the revocation reappears in pkiadmin's
next CRL under the number after openssl's, openssl verify refuses the revoked certificate and
accepts the others, a new certificate never takes a serial from index.txt, and audit verify
passes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.cli.main import cli
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.issuance import end_entity, profiles, requests
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.x509 import profile as x509_profile
from tests.core.issuance.test_end_entity import csr_for

pytestmark = pytest.mark.interop

OLD_ROOT = "old root pass"
OLD_INT = "old intermediate pass"
NEW = "a new passphrase for pkiadmin 2026"
SUBJECT = "/C=US/ST=New York/L=New York/O=HFT Trading Inc"

CNF = """[ ca ]
default_ca = CA_default
[ CA_default ]
dir               = {dir}
certs             = $dir/certs
crl_dir           = $dir/crl
new_certs_dir     = $dir/newcerts
database          = $dir/index.txt
serial            = $dir/serial
private_key       = $dir/private/{key}
certificate       = $dir/certs/{cert}
crlnumber         = $dir/crlnumber
crl_extensions    = crl_ext
default_crl_days  = 30
default_md        = sha256
name_opt          = ca_default
cert_opt          = ca_default
default_days      = 375
preserve          = no
policy            = {policy}
[ policy_strict ]
countryName             = match
stateOrProvinceName     = match
organizationName        = match
organizationalUnitName  = optional
commonName              = supplied
emailAddress            = optional
[ policy_loose ]
countryName             = optional
stateOrProvinceName     = optional
localityName            = optional
organizationName        = optional
organizationalUnitName  = optional
commonName              = supplied
emailAddress            = optional
[ req ]
distinguished_name  = req_distinguished_name
string_mask         = utf8only
default_md          = sha256
[ req_distinguished_name ]
[ v3_ca ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always,issuer
basicConstraints = critical, CA:true
keyUsage = critical, digitalSignature, cRLSign, keyCertSign
[ v3_intermediate_ca ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always,issuer
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, digitalSignature, cRLSign, keyCertSign
[ server_cert ]
basicConstraints = CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer:always
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:$ENV::SAN
[ crl_ext ]
authorityKeyIdentifier = keyid:always
"""


def openssl(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["openssl", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SAN": "unused.example", **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def _ca_dir(base: Path, name: str, key: str, cert: str, policy: str) -> Path:
    folder = base / name
    for sub in ("certs", "crl", "newcerts", "private", "csr"):
        (folder / sub).mkdir(parents=True)
    (folder / "index.txt").touch()
    (folder / "serial").write_text("1000\n")
    (folder / "crlnumber").write_text("1000\n")
    (folder / "openssl.cnf").write_text(CNF.format(dir=folder, key=key, cert=cert, policy=policy))
    return folder


@dataclass(frozen=True)
class Hft:
    root: Path
    inter: Path
    leaves: list[Path]


@pytest.fixture(scope="module")
def hft(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hft]:
    base = tmp_path_factory.mktemp("hft-ca")
    root = _ca_dir(base, "root", "ca.key.pem", "ca.cert.pem", "policy_strict")
    inter = _ca_dir(
        base, "intermediate", "intermediate.key.pem", "intermediate.cert.pem", "policy_loose"
    )
    cnf_root, cnf_int = str(root / "openssl.cnf"), str(inter / "openssl.cnf")
    openssl(
        "genrsa",
        "-aes256",
        "-passout",
        f"pass:{OLD_ROOT}",
        "-out",
        "private/ca.key.pem",
        "4096",
        cwd=root,
    )
    openssl(
        "req", "-config", cnf_root, "-key", "private/ca.key.pem", "-passin", f"pass:{OLD_ROOT}",
        "-new", "-x509", "-days", "3650", "-sha256", "-extensions", "v3_ca",
        "-out", "certs/ca.cert.pem", "-subj", f"{SUBJECT}/OU=Security/CN=HFT Trading Root CA",
        cwd=root,
    )  # fmt: skip
    openssl(
        "genrsa",
        "-aes256",
        "-passout",
        f"pass:{OLD_INT}",
        "-out",
        "private/intermediate.key.pem",
        "3072",
        cwd=inter,
    )
    openssl(
        "req", "-config", cnf_root, "-new", "-sha256", "-key", "private/intermediate.key.pem",
        "-passin", f"pass:{OLD_INT}", "-out", "csr/intermediate.csr.pem",
        "-subj", f"{SUBJECT}/OU=Services/CN=HFT Trading Intermediate CA", cwd=inter,
    )  # fmt: skip
    openssl(
        "ca", "-batch", "-config", cnf_root, "-extensions", "v3_intermediate_ca", "-days", "1825",
        "-notext", "-md", "sha256", "-passin", f"pass:{OLD_ROOT}",
        "-in", str(inter / "csr/intermediate.csr.pem"), "-out", str(inter / "certs/intermediate.cert.pem"),
        cwd=root,
    )  # fmt: skip
    leaves = []
    for n in range(3):
        name = f"svc{n}.trading.example.com"
        openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"{SUBJECT}/CN={name}", cwd=inter,
        )  # fmt: skip
        openssl(
            "ca", "-batch", "-config", cnf_int, "-extensions", "server_cert", "-days", "375",
            "-notext", "-md", "sha256", "-passin", f"pass:{OLD_INT}", "-in", f"{name}.csr",
            "-out", f"{name}.crt", cwd=inter, env={"SAN": name},
        )  # fmt: skip
        leaves.append(inter / f"{name}.crt")
    openssl(
        "ca", "-config", cnf_int, "-revoke", str(leaves[1]), "-crl_reason", "keyCompromise",
        "-passin", f"pass:{OLD_INT}", cwd=inter,
    )  # fmt: skip
    openssl(
        "ca", "-config", cnf_int, "-gencrl", "-out", "crl/intermediate.crl.pem",
        "-passin", f"pass:{OLD_INT}", cwd=inter,
    )  # fmt: skip
    yield Hft(root, inter, leaves)


def run(ws: Path, *args: str) -> Result:
    env = {"OLD_ROOT": OLD_ROOT, "OLD_INT": OLD_INT, "NEW": NEW}
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args], env=env)


def adopted(tmp_path: Path, hft: Hft) -> Path:
    ws = tmp_path / "ws"
    assert run(ws, "workspace", "init").exit_code == 0
    root = run(
        ws, "ca", "adopt", "--cert", str(hft.root / "certs/ca.cert.pem"),
        "--key", str(hft.root / "private/ca.key.pem"), "--key-passphrase-env", "OLD_ROOT",
        "--index-txt", str(hft.root / "index.txt"), "--passphrase-env", "NEW", "--yes",
    )  # fmt: skip
    assert root.exit_code == 0, root.output
    assert "Adopt root CA 'HFT Trading Root CA'" in root.output
    assert "Adopted CA 1 (certificate 1): 1 issued certificate(s), 0 revocation(s)" in root.output
    inter = run(
        ws, "ca", "adopt", "--cert", str(hft.inter / "certs/intermediate.cert.pem"),
        "--key", str(hft.inter / "private/intermediate.key.pem"), "--key-passphrase-env", "OLD_INT",
        "--index-txt", str(hft.inter / "index.txt"), "--crl", str(hft.inter / "crl/intermediate.crl.pem"),
        "--crlnumber", str(hft.inter / "crlnumber"), "--passphrase-env", "NEW", "--yes",
    )  # fmt: skip
    assert inter.exit_code == 0, inter.output
    assert "Adopted CA 2 (certificate 2): 3 issued certificate(s), 1 revocation(s)" in inter.output
    assert "next CRL number: 4097" in inter.output
    return ws


def test_the_adopted_hierarchy_continues_its_crl_and_keeps_its_revocations(
    tmp_path: Path, hft: Hft
) -> None:
    ws = adopted(tmp_path, hft)
    issued = run(
        ws,
        "crl",
        "issue",
        "2",
        "--passphrase-env",
        "NEW",
        "--no-ocsp",
        "--export",
        str(tmp_path / "crls"),
    )
    assert issued.exit_code == 0, issued.output
    crl_pem = next((tmp_path / "crls").glob("*.crl.pem"))
    text = openssl("crl", "-in", str(crl_pem), "-noout", "-text", cwd=tmp_path)
    assert "X509v3 CRL Number: \n                4097" in text
    assert "Serial Number: 1001" in text and "Key Compromise" in text
    chain = [
        "-CAfile",
        str(hft.root / "certs/ca.cert.pem"),
        "-untrusted",
        str(hft.inter / "certs/intermediate.cert.pem"),
    ]
    revoked = subprocess.run(
        ["openssl", "verify", "-crl_check", *chain, "-CRLfile", str(crl_pem), str(hft.leaves[1])],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert revoked.returncode != 0 and "certificate revoked" in revoked.stdout + revoked.stderr
    good = openssl(
        "verify", "-crl_check", *chain, "-CRLfile", str(crl_pem), str(hft.leaves[0]), cwd=tmp_path
    )
    assert ": OK" in good
    verified = run(ws, "audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_the_adopted_keys_are_encrypted_at_rest(tmp_path: Path, hft: Hft) -> None:
    ws = adopted(tmp_path, hft)
    key_files = sorted((ws / "keys").glob("*.key.pem"))
    assert [p.name.split("-")[0] for p in key_files] == ["intermediate", "root"]
    originals = [hft.root / "private/ca.key.pem", hft.inter / "private/intermediate.key.pem"]
    plain = [
        serialization.load_pem_private_key(p.read_bytes(), s.encode()).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        for p, s in zip(originals, (OLD_ROOT, OLD_INT), strict=True)
    ]
    for path in key_files:
        data = path.read_bytes()
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        openssl("pkey", "-in", str(path), "-passin", f"pass:{NEW}", "-noout", cwd=tmp_path)
    everything = b"".join(p.read_bytes() for p in ws.rglob("*") if p.is_file())
    for der in plain:
        assert der not in everything and der[-64:] not in everything


def test_a_new_certificate_never_takes_a_serial_from_index_txt(
    tmp_path: Path, hft: Hft, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws_path = adopted(tmp_path, hft)
    taken = int("1000", 16)  # svc0's serial in the intermediate's index.txt
    with workspace.open_workspace(ws_path) as ws:
        request, _ = csr_for("new.trading.example.com", [x509.DNSName("new.trading.example.com")])
        record, _ = requests.import_csr(
            ws, request.public_bytes(serialization.Encoding.PEM), "new.csr"
        )

        def plan_for() -> end_entity.EndEntityPlan:
            return end_entity.prepare(
                ws, 2, requests.load_request(ws, record.id), profiles.get(ws.db, "tls-server")
            )

        monkeypatch.setattr(x509_profile, "new_serial", lambda: taken)
        before = ws.db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]
        with pytest.raises(PkiError, match="serial number 1000 is already used"):
            end_entity.sign(ws, plan_for(), NEW, csr_id=record.id)
        assert ws.db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0] == before
        monkeypatch.undo()
        signed = end_entity.sign(ws, plan_for(), NEW, csr_id=record.id)
        assert signed.certificate.serial_number not in {taken, taken + 1, taken + 2}
