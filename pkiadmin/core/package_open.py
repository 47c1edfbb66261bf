"""Open a partner's trust package: decrypt in memory, and accept it only when every check passes —
the research note's rule for gpg's result (never `ok` or `valid` alone), the manifest's detached
signature, every file's hash and size, no unlisted file; then the partner's certificates and CRLs.
Nothing is written in plaintext, and nothing enters the inventory as trusted."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification

from pkiadmin.core import audit, partners, pgp
from pkiadmin.core.errors import PkiError, ValidationError
from pkiadmin.core.package_build import MANIFEST, MANIFEST_SIG
from pkiadmin.core.workspace import Workspace

MAX_PACKAGE_BYTES = 50 * 1024 * 1024
MAX_FILES = 200


class PackageRejectedError(PkiError):
    """The package failed a check; nothing from it is kept."""


@dataclass
class Findings:
    blocking: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OpenedPackage:
    accepted: bool
    pem_certificates: tuple[bytes, ...]
    package_id: str
    manifest_sha256: str
    signer_fingerprint: str
    certificates: tuple[dict[str, str], ...]
    blocking: tuple[str, ...]
    notes: tuple[str, ...]


def accept_signature(result: Any, pinned: str, what: str) -> None:
    """The research note's rule (§0.2), every clause motivated by an observed gpg failure."""
    problems = list(getattr(result, "problems", None) or [])
    sig_info = getattr(result, "sig_info", None) or {}
    fpr = (getattr(result, "pubkey_fingerprint", None) or "").upper()
    if getattr(result, "key_status", None):
        raise PackageRejectedError(
            f"The {what} was signed by a key whose status is: {result.key_status}."
        )
    if not getattr(result, "valid", False) or getattr(result, "returncode", 1) != 0 or problems:
        reason = getattr(result, "status", "") or "no valid signature"
        detail = "; ".join(str(p.get("status", p)) for p in problems) if problems else ""
        raise PackageRejectedError(
            f"The {what} has no valid signature ({reason}{f': {detail}' if detail else ''})."
        )
    if len(sig_info) != 1:
        raise PackageRejectedError(
            f"The {what} carries {len(sig_info)} signatures; exactly one is accepted."
        )
    if fpr != pinned.upper():
        raise PackageRejectedError(
            f"The {what} was signed by {pgp.grouped(fpr) if len(fpr) == 40 else fpr or 'an unknown key'}, "
            f"not by the partner's registered key {pgp.grouped(pinned)} (the name on the key does not count)."
        )


def open_package(ws: Workspace, partner_name: str, path: Path, passphrase: str) -> OpenedPackage:
    """Every check, in order; a failure is recorded (audit and packages) and raised."""
    partner = partners.get(ws.db, partner_name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}.") from exc
    digest = hashlib.sha256(data).hexdigest()
    try:
        opened = _checked(ws, partner, data, passphrase)
    except PackageRejectedError as exc:
        _record(ws, partner.id, path, digest, None, "rejected", [str(exc)], "")
        raise
    _record(
        ws,
        partner.id,
        path,
        digest,
        opened.manifest_sha256,
        "accepted" if opened.accepted else "rejected",
        list(opened.blocking) + list(opened.notes),
        opened.package_id,
        opened.pem_certificates if opened.accepted else (),
    )
    return opened


def _checked(
    ws: Workspace, partner: partners.Partner, data: bytes, passphrase: str
) -> OpenedPackage:
    if not partner.pgp_fingerprint:
        raise PackageRejectedError(
            f"'{partner.name}' has no registered OpenPGP key; import it first."
        )
    if len(data) > MAX_PACKAGE_BYTES:
        raise PackageRejectedError(
            f"The package is {len(data) // 1_000_000} MB; a trust package is far smaller."
        )
    keyring = partners.keyring(ws)
    result = keyring.decrypt(data, passphrase)
    if not getattr(result, "ok", False):
        raise PackageRejectedError(
            f"The package could not be decrypted ({getattr(result, 'status', '') or 'not an OpenPGP message'}): "
            "it is damaged, altered, or encrypted to another key."
        )
    accept_signature(result, partner.pgp_fingerprint, "package")
    files = _untar(bytes(result.data))
    if MANIFEST not in files or MANIFEST_SIG not in files:
        raise PackageRejectedError("The package has no manifest.json and manifest.json.sig.")
    manifest_bytes = files[MANIFEST]
    accept_signature(
        keyring.verify_detached(files[MANIFEST_SIG], manifest_bytes),
        partner.pgp_fingerprint,
        "manifest",
    )
    try:
        manifest = json.loads(manifest_bytes)
        listed = {f["path"]: f for f in manifest["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise PackageRejectedError(f"manifest.json cannot be read ({exc}).") from exc
    _check_files(files, listed)
    findings = Findings()
    certs = _check_certificates(files, manifest, findings)
    _check_crls(files, certs, findings)
    return OpenedPackage(
        accepted=not findings.blocking,
        pem_certificates=tuple(c.public_bytes(serialization.Encoding.PEM) for c in certs.values()),
        package_id=str(manifest.get("package_id", "")),
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        signer_fingerprint=partner.pgp_fingerprint,
        certificates=tuple(
            {"subject": c.subject.rfc4514_string(), "sha256": c.fingerprint(hashes.SHA256()).hex()}
            for c in certs.values()
        ),
        blocking=tuple(findings.blocking),
        notes=tuple(findings.notes),
    )


def _untar(data: bytes) -> dict[str, bytes]:
    """Regular files only, relative names without '..', bounded size; read into memory."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                name = PurePosixPath(member.name)
                if not member.isfile() or name.is_absolute() or ".." in name.parts:
                    raise PackageRejectedError(
                        f"The package holds '{member.name}', which is not a plain file in the package."
                    )
                if len(files) >= MAX_FILES:
                    raise PackageRejectedError("The package holds too many files.")
                stream = tar.extractfile(member)
                assert stream is not None  # noqa: S101 - a regular file
                files[str(name)] = stream.read()
    except tarfile.TarError as exc:
        raise PackageRejectedError(f"The decrypted package is not a tar archive ({exc}).") from exc
    return files


def _check_files(files: dict[str, bytes], listed: dict[str, dict[str, Any]]) -> None:
    for path, entry in listed.items():
        if path not in files:
            raise PackageRejectedError(
                f"{path} is listed in the manifest but missing from the package."
            )
        if len(files[path]) != entry.get("size") or hashlib.sha256(
            files[path]
        ).hexdigest() != entry.get("sha256"):
            raise PackageRejectedError(
                f"{path} does not match the manifest (hash or size); the package was altered."
            )
    extra = sorted(set(files) - set(listed) - {MANIFEST, MANIFEST_SIG, "verification-sheet.txt"})
    if extra:
        raise PackageRejectedError(
            f"The package holds files the manifest does not list: {', '.join(extra)}."
        )


def _load_cert(data: bytes) -> x509.Certificate:
    return (
        x509.load_pem_x509_certificate(data)
        if data.lstrip().startswith(b"-----")
        else x509.load_der_x509_certificate(data)
    )


def _check_certificates(
    files: dict[str, bytes], manifest: dict[str, Any], findings: Findings
) -> dict[str, x509.Certificate]:
    now = datetime.now(UTC)
    certs: dict[str, x509.Certificate] = {}
    for entry in manifest.get("certificates", []):
        path = entry.get("path", "")
        try:
            cert = _load_cert(files[path])
        except (KeyError, ValueError) as exc:
            raise PackageRejectedError(f"{path} is not a certificate ({exc}).") from exc
        name = cert.subject.rfc4514_string()
        if cert.fingerprint(hashes.SHA256()).hex() != entry.get("sha256"):
            findings.blocking.append(f"{name}: its SHA-256 differs from the manifest's")
        try:
            bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
            ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            is_ca = bc.ca and ku.key_cert_sign
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            findings.blocking.append(
                f"{name} is not a CA certificate (basicConstraints CA and keyCertSign needed)"
            )
        key = cert.public_key()
        weak = (isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048) or (
            isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 256
        )
        if weak or not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            findings.blocking.append(f"{name} has a weak or unsupported key")
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            findings.blocking.append(
                f"{name} is not valid now (valid {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d})"
            )
        certs[path] = cert
    if not certs:
        raise PackageRejectedError("The package holds no CA certificate.")
    _check_chains(certs, findings, now)
    return certs


def _check_chains(certs: dict[str, x509.Certificate], findings: Findings, now: datetime) -> None:
    roots = [c for c in certs.values() if c.issuer == c.subject]
    if not roots:
        findings.blocking.append(
            "the package holds no root (self-signed) certificate to anchor the chain"
        )
        return
    for root in roots:
        try:
            root.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            findings.blocking.append(
                f"{root.subject.rfc4514_string()}: its self-signature does not verify"
            )
    others = [c for c in certs.values() if c.issuer != c.subject]
    ca_policy = verification.ExtensionPolicy.webpki_defaults_ca()
    for cert in others:
        try:
            verifier = (
                verification.PolicyBuilder()
                .store(verification.Store(roots))
                .time(now)
                .extension_policies(ca_policy=ca_policy, ee_policy=ca_policy)
                .build_client_verifier()
            )
            verifier.verify(cert, [c for c in others if c is not cert])
        except verification.VerificationError as exc:
            findings.blocking.append(
                f"{cert.subject.rfc4514_string()} does not chain to a root in the package ({exc})"
            )
        else:
            findings.notes.append(
                f"{cert.subject.rfc4514_string()} chains to a root in the package"
            )


def _check_crls(
    files: dict[str, bytes], certs: dict[str, x509.Certificate], findings: Findings
) -> None:
    now = datetime.now(UTC)
    for path in sorted(p for p in files if p.startswith("crl/")):
        try:
            data = files[path]
            crl = (
                x509.load_pem_x509_crl(data)
                if data.lstrip().startswith(b"-----")
                else x509.load_der_x509_crl(data)
            )
        except ValueError as exc:
            findings.blocking.append(f"{path} is not a CRL ({exc})")
            continue
        issuer = next((c for c in certs.values() if c.subject == crl.issuer), None)
        if issuer is None:
            findings.blocking.append(
                f"{path}: its issuer is not among the package's CA certificates"
            )
        elif not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            findings.blocking.append(f"{path}: the CRL's signature does not verify")
        next_update = crl.next_update_utc
        if next_update is None or next_update < now:
            findings.blocking.append(
                f"{path}: the CRL is stale (nextUpdate {next_update or 'missing'}); ask for a current one"
            )
        else:
            findings.notes.append(f"{path}: current until {next_update:%Y-%m-%d}")


def _record(
    ws: Workspace,
    partner_id: int,
    path: Path,
    digest: str,
    manifest_sha256: str | None,
    result: str,
    findings: list[str],
    package_id: str,
    certificates: tuple[bytes, ...] = (),
) -> None:
    """The package's row and audit entry; an accepted package's CA certificates go into the
    inventory as the partner's, untrusted until a verified call (in the same transaction)."""
    with ws.db.atomic():
        cursor = ws.db.execute(
            "INSERT INTO packages (direction, partner_id, package_id, at, file, sha256, manifest_sha256, result, findings)"
            " VALUES ('received', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                partner_id,
                package_id,
                datetime.now(UTC).isoformat(timespec="seconds"),
                str(path),
                digest,
                manifest_sha256,
                result,
                json.dumps(findings),
            ),
        )
        if certificates:
            from pkiadmin.core import trust

            trust.store_partner_certificates(
                ws, partner_id, int(cursor.lastrowid or 0), certificates
            )
        audit.append(
            ws.db,
            "package.open",
            {"partner_id": partner_id, "package_id": package_id},
            artefacts=(audit.Artefact(str(path), digest),),
            details={"result": result, "findings": findings, "manifest_sha256": manifest_sha256},
        )
