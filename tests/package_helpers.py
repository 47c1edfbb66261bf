"""A partner organisation as plain GnuPG and tar would be used there: its own GnuPG home, its own
CA, and packages built by hand in pkiadmin's documented layout."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from pkiadmin.core.x509.keyid import SkiMethod, subject_key_identifier

OFFICER_PASSPHRASE = "officer passphrase for tests"


def gpg(home: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--yes", "--pinentry-mode", "loopback", *args],
        input=data,
        capture_output=True,
        check=False,
    )


def new_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))  # short: gpg-agent's socket path limit
    home.chmod(0o700)
    return home


def make_key(home: Path, uid: str, expire: str = "2y") -> str:
    made = gpg(home, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", expire)
    assert made.returncode == 0, made.stderr
    listed = gpg(home, "--with-colons", "--list-keys", uid).stdout.decode()
    fpr = [line.split(":")[9] for line in listed.splitlines() if line.startswith("fpr:")][-1]
    sub = gpg(home, "--passphrase", "", "--quick-add-key", fpr, "cv25519", "encr", "2y")
    assert sub.returncode == 0, sub.stderr
    return fpr


def kill_agent(home: Path) -> None:
    subprocess.run(
        ["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False
    )


@dataclass
class PartnerCa:
    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    issuing: x509.Certificate
    issuing_key: ec.EllipticCurvePrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Partner SA"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def ca_cert(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool = True,
    days: int = 3650,
    start: datetime | None = None,
) -> x509.Certificate:
    now = start or datetime.now(UTC) - timedelta(days=1)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=0 if ca and subject != issuer else None),
            critical=True,
        )
        .add_extension(_usage(ca), critical=True)
        .add_extension(subject_key_identifier(public, SkiMethod.SHA1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def partner_ca() -> PartnerCa:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = ca_cert(_name("Partner Root"), root_key, _name("Partner Root"), root_key)
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    issuing = ca_cert(_name("Partner Issuing CA"), issuing_key, root.subject, root_key)
    return PartnerCa(root, root_key, issuing, issuing_key)


def crl_of(ca: PartnerCa, next_days: int = 30, issuing: bool = False) -> bytes:
    """The root's CRL, or with `issuing` the issuing CA's (what servers need for its clients)."""
    now = datetime.now(UTC) - timedelta(hours=1)
    cert, key = (ca.issuing, ca.issuing_key) if issuing else (ca.root, ca.root_key)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(cert.subject)
        .last_update(now - timedelta(days=max(0, -next_days) + 1))
        .next_update(now + timedelta(days=next_days))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.DER)


def layout(certs: dict[str, x509.Certificate], crls: dict[str, bytes]) -> dict[str, bytes]:
    files = {f"certs/{n}.crt": c.public_bytes(serialization.Encoding.PEM) for n, c in certs.items()}
    files.update({f"crl/{n}.crl": d for n, d in crls.items()})
    files["endpoints.json"] = b'{"certificates": []}'
    return files


def manifest_for(files: dict[str, bytes], signer: str) -> bytes:
    certs = [
        {
            "path": p,
            "sha256": x509.load_pem_x509_certificate(d).fingerprint(hashes.SHA256()).hex(),
            "subject": x509.load_pem_x509_certificate(d).subject.rfc4514_string(),
        }
        for p, d in sorted(files.items())
        if p.startswith("certs/")
    ]
    return json.dumps(
        {
            "schema": "pkiadmin-trust-package/1",
            "package_id": "partner-pkg-1",
            "created_at": datetime.now(UTC).isoformat(),
            "issuer": {"organisation": "Partner SA"},
            "signer_pgp_fingerprint": signer,
            "files": [
                {"path": p, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                for p, d in sorted(files.items())
            ],
            "certificates": certs,
        },
        indent=2,
    ).encode()


def tar_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def seal(home: Path, tar: bytes, recipient: str, signer: str | None) -> bytes:
    """gpg --encrypt [--sign] as the partner would run it."""
    args = ["--trust-model", "always", "--encrypt", "-r", recipient, "--output", "-"]
    if signer:
        args = [
            "--trust-model",
            "always",
            "--passphrase",
            "",
            "--local-user",
            signer,
            "--sign",
            "--encrypt",
            "-r",
            recipient,
            "--output",
            "-",
        ]
    done = gpg(home, *args, data=tar)
    assert done.returncode == 0, done.stderr
    return done.stdout


def partner_package_bytes(
    home: Path,
    partner_fpr: str,
    recipient: str,
    files: dict[str, bytes],
    signed: bool = True,
    manifest: bytes | None = None,
    sig: bytes | None = None,
) -> bytes:
    """The documented layout as a partner builds it: manifest.json, its binary detached signature,
    tar, then gpg --sign --encrypt to our officer key (or --encrypt alone when not signed)."""
    manifest = manifest or manifest_for(files, partner_fpr)
    if sig is None:
        sig = gpg(
            home,
            "--passphrase",
            "",
            "--local-user",
            partner_fpr,
            "--detach-sign",
            "--output",
            "-",
            data=manifest,
        ).stdout
    tar = tar_of({**files, "manifest.json": manifest, "manifest.json.sig": sig})
    return seal(home, tar, recipient, partner_fpr if signed else None)


def standard_files() -> dict[str, bytes]:
    ca = partner_ca()
    return layout(
        {"root": ca.root, "issuing": ca.issuing},
        {"root": crl_of(ca), "issuing": crl_of(ca, issuing=True)},
    )


def client_identity(
    folder: Path, name: str, issuer: x509.Certificate, issuer_key: ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    """An end-entity client certificate (clientAuth) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC) - timedelta(hours=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(subject_key_identifier(key.public_key(), SkiMethod.SHA1), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
