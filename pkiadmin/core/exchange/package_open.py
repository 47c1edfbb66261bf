"""Open a partner's trust package: decrypt in memory, and accept it only when every check passes —
the research note's rule for gpg's result (never `ok` or `valid` alone), the manifest's detached
signature, every file's hash and size, no unlisted file; then the partner's certificates and CRLs.
Nothing is written in plaintext, and nothing enters the inventory as trusted."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import stat
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from pkiadmin.core.base import display
from pkiadmin.core.base.errors import PkiError, ValidationError
from pkiadmin.core.exchange import package_manifest, partner_validation, partners, pgp, pgp_run
from pkiadmin.core.exchange.package_build import MANIFEST, MANIFEST_SIG
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

MAX_PACKAGE_BYTES = 50 * 1024 * 1024  # the encrypted file, checked before it is read
MAX_PLAINTEXT_BYTES = 32 * 1024 * 1024  # what gpg may produce; gpg is stopped beyond
MAX_FILES = 200  # tar members, counted before names are compared


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
    crls: tuple[bytes, ...] = ()  # the package's CRLs (DER), each checked against its CA
    # What changed against the CA certificates last verified on a call (a rollover, a renewal):
    # added, removed and replaced certificates; trusted only after a new call.
    changes: tuple[str, ...] = ()


def open_package(ws: Workspace, partner_name: str, path: Path, passphrase: str) -> OpenedPackage:
    """Every check, in order; a failure is recorded (audit and packages) and raised. Nothing in
    the file can make this raise anything but PackageRejectedError (recorded) or, for the
    operator's own mistakes (a wrong passphrase, an unknown partner), an error that records
    nothing."""
    partner = partners.get(ws.db, partner_name)
    source = _Source(path)
    try:
        opened = _checked(ws, partner, source, passphrase)
    except PackageRejectedError as exc:
        _record(ws, partner.id, path, source.sha256, None, "rejected", [str(exc)], "")
        raise
    changes = _record(
        ws,
        partner.id,
        path,
        source.sha256,
        opened.manifest_sha256,
        "accepted" if opened.accepted else "rejected",
        list(opened.blocking) + list(opened.notes),
        opened.package_id,
        opened.pem_certificates if opened.accepted else (),
        opened.crls if opened.accepted else (),
    )
    return dataclasses.replace(opened, changes=changes)


class _Source:
    """The package file: a regular file of bounded size, opened without blocking (a FIFO or a
    device is refused before anything is read), streamed to gpg and hashed on the way."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sha256 = ""

    def open(self) -> _Bounded:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise PackageRejectedError(
                f"Cannot read {display.safe(str(self.path))}: {exc.strerror}."
            ) from exc
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise PackageRejectedError(
                f"{display.safe(str(self.path))} is not a regular file (a device, pipe or folder); "
                "a trust package is a file."
            )
        if info.st_size > MAX_PACKAGE_BYTES:
            os.close(fd)
            raise PackageRejectedError(
                f"The package is {info.st_size // 1_000_000} MB; a trust package is far smaller "
                f"(at most {MAX_PACKAGE_BYTES // 1_000_000} MB are read)."
            )
        return _Bounded(os.fdopen(fd, "rb"), MAX_PACKAGE_BYTES)


class _Bounded(io.RawIOBase):
    """A reader that gives at most `limit` bytes, even if the file grows while it is read."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self.inner = inner
        self.left = limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        chunk = self.inner.read(min(size if size > 0 else self.left, self.left))
        self.left -= len(chunk)
        return chunk

    def close(self) -> None:
        self.inner.close()
        super().close()


def _checked(
    ws: Workspace, partner: partners.Partner, source: _Source, passphrase: str
) -> OpenedPackage:
    if not partner.pgp_fingerprint:
        raise PackageRejectedError(
            f"'{partner.name}' has no registered OpenPGP key; import it first."
        )
    officer = partners.officer_fingerprint(ws.db)
    if officer is None:
        raise ValidationError(
            "There is no officer key to decrypt the package with; create one first."
        )
    keyring = partners.keyring(ws)
    pinned = partner.pgp_fingerprint
    with source.open() as stream:
        try:
            outcome, source.sha256 = keyring.call(
                "decrypt",
                lambda: keyring.decrypt_bounded(stream, passphrase, MAX_PLAINTEXT_BYTES),
            )
        except pgp_run.OutputTooLargeError as exc:
            raise PackageRejectedError(str(exc)) from exc
    problem = pgp_run.decryption_problem(outcome, officer, pgp.grouped(officer))
    problem = problem or pgp_run.signature_problem(outcome, pinned, "package", pgp.grouped(pinned))
    if problem:
        raise PackageRejectedError(problem)
    files = _untar(outcome.data)
    if MANIFEST not in files or MANIFEST_SIG not in files:
        raise PackageRejectedError("The package has no manifest.json and manifest.json.sig.")
    manifest_bytes = files[MANIFEST]
    verified = keyring.verify_detached(files[MANIFEST_SIG], manifest_bytes)
    problem = pgp_run.signature_problem(verified, pinned, "manifest", pgp.grouped(pinned))
    if problem:
        raise PackageRejectedError(problem)
    try:
        manifest = package_manifest.parse(manifest_bytes)
    except package_manifest.ManifestError as exc:
        raise PackageRejectedError(str(exc)) from exc
    _check_files(files, manifest)
    findings = Findings()
    certs = _check_certificates(files, manifest, findings)
    return OpenedPackage(
        accepted=not findings.blocking,
        pem_certificates=tuple(c.public_bytes(serialization.Encoding.PEM) for c in certs.values()),
        package_id=manifest.package_id,
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        signer_fingerprint=pinned,
        certificates=tuple(
            {
                "subject": display.safe(c.subject.rfc4514_string()),
                "sha256": c.fingerprint(hashes.SHA256()).hex(),
            }
            for c in certs.values()
        ),
        blocking=tuple(findings.blocking),
        notes=tuple(findings.notes),
        crls=tuple(files[p] for p in sorted(files) if p.startswith("crl/")),
    )


def _member_name(member: tarfile.TarInfo) -> str:
    """The member's normalised name ('./x' is 'x'), or a rejection."""
    raw = member.name
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise PackageRejectedError(
            f"The package holds a file whose name is not UTF-8 ({display.safe(raw)!r})."
        ) from None
    shown = display.safe(raw)
    name = PurePosixPath(raw)
    parts = [p for p in name.parts if p not in (".", "")]
    if (
        not member.isfile()
        or member.issparse()
        or name.is_absolute()
        or ".." in parts
        or not parts
        or shown != raw
    ):
        raise PackageRejectedError(
            f"The package holds '{shown}', which is not a plain file in the package."
        )
    return "/".join(parts)


def _untar(data: bytes) -> dict[str, bytes]:
    """Regular files only, names normalised, no duplicates, member count and total size bounded
    before anything is read."""
    files: dict[str, bytes] = {}
    total = 0
    count = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                count += 1
                if count > MAX_FILES:
                    raise PackageRejectedError(
                        f"The package holds more than {MAX_FILES} files; a trust package holds a few."
                    )
                name = _member_name(member)
                if name in files:
                    raise PackageRejectedError(
                        f"The package holds '{display.safe(name)}' twice; which copy counts would be "
                        "ambiguous, so it is refused."
                    )
                total += member.size
                if member.size > MAX_PLAINTEXT_BYTES or total > MAX_PLAINTEXT_BYTES:
                    raise PackageRejectedError(
                        "The package's files claim more than "
                        f"{MAX_PLAINTEXT_BYTES // (1 << 20)} MiB; a trust package is far smaller."
                    )
                stream = tar.extractfile(member)
                if stream is None:
                    raise PackageRejectedError(f"'{display.safe(name)}' cannot be read.")
                files[name] = stream.read(member.size)
    except tarfile.TarError as exc:
        raise PackageRejectedError(
            f"The decrypted package is not a tar archive ({partner_validation.describe_error(exc)})."
        ) from exc
    except (OSError, EOFError, ValueError) as exc:
        raise PackageRejectedError(
            f"The decrypted package is a damaged tar archive ({partner_validation.describe_error(exc)})."
        ) from exc
    return files


def _check_files(files: dict[str, bytes], manifest: package_manifest.Manifest) -> None:
    for entry in manifest.files:
        data = files.get(entry.path)
        if data is None:
            raise PackageRejectedError(
                f"{display.safe(entry.path)} is listed in the manifest but missing from the package."
            )
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise PackageRejectedError(
                f"{display.safe(entry.path)} does not match the manifest (hash or size); the package "
                "was altered."
            )
    listed = {e.path for e in manifest.files}
    extra = sorted(set(files) - listed - {MANIFEST, MANIFEST_SIG, "verification-sheet.txt"})
    if extra:
        raise PackageRejectedError(
            "The package holds files the manifest does not list: "
            f"{', '.join(display.safe(e) for e in extra)}."
        )


def _check_certificates(
    files: dict[str, bytes], manifest: package_manifest.Manifest, findings: Findings
) -> dict[str, x509.Certificate]:
    """Every listed CA certificate through RFC 5280 path validation, with the package's own roots
    as anchors and its CRLs as the only revocation information."""
    now = datetime.now(UTC)
    certs: dict[str, x509.Certificate] = {}
    anchors: list[tuple[str, bytes]] = []
    others: list[tuple[str, bytes]] = []
    for entry in manifest.certificates:
        data = files.get(entry.path)
        if data is None:
            raise PackageRejectedError(
                f"{display.safe(entry.path)} is listed as a certificate but is not in the package."
            )
        try:
            cert = partner_validation.load_certificate(data)
            sha256 = cert.fingerprint(hashes.SHA256()).hex()
        except ValueError as exc:
            findings.blocking.append(
                f"{display.safe(entry.path)} is not a certificate ({partner_validation.describe_error(exc)})"
            )
            continue
        if sha256 != entry.sha256:
            findings.blocking.append(
                f"{display.safe(entry.path)}: its SHA-256 differs from the manifest's"
            )
        certs[entry.path] = cert
        (anchors if partner_validation.is_self_signed(cert) else others).append((entry.path, data))
    if not certs and not findings.blocking:
        raise PackageRejectedError("The package holds no CA certificate.")
    if not anchors:
        findings.blocking.append(
            "the package holds no root (self-signed) certificate to anchor the chain"
        )
    crls = [(p, files[p]) for p in sorted(files) if p.startswith("crl/")]
    report = partner_validation.validate(anchors, others, crls, now)
    findings.blocking.extend(report.findings())
    for verdict in report.verdicts:
        if verdict.accepted:
            findings.notes.append(
                f"{verdict.subject}: "
                + (
                    "a valid root (trust anchor)"
                    if verdict.anchor
                    else "a valid CA: chains to a root in the package, not revoked"
                )
            )
    _check_crls(crls, certs, findings, now)
    return certs


def _check_crls(
    crls: list[tuple[str, bytes]],
    certs: dict[str, x509.Certificate],
    findings: Findings,
    now: datetime,
) -> None:
    """Every CRL in the package: issued by one of its CAs (signature, cRLSign) and current."""
    for path, data in crls:
        shown = display.safe(path)
        try:
            crl = partner_validation.load_crl(data)
            issuer = next((c for c in certs.values() if c.subject == crl.issuer), None)
            next_update = crl.next_update_utc
            signed = issuer is not None and crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            findings.blocking.append(
                f"{shown} is not a CRL pkiadmin can check ({partner_validation.describe_error(exc)})"
            )
            continue
        if issuer is None:
            findings.blocking.append(
                f"{shown}: its issuer is not among the package's CA certificates"
            )
        elif not signed:
            findings.blocking.append(f"{shown}: the CRL's signature does not verify")
        if next_update is None or next_update < now:
            findings.blocking.append(
                f"{shown}: the CRL is stale (nextUpdate {next_update or 'missing'}); ask for a current one"
            )
        else:
            findings.notes.append(f"{shown}: current until {next_update:%Y-%m-%d}")


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
    crls: tuple[bytes, ...] = (),
) -> tuple[str, ...]:
    """The package's row and audit entry; an accepted package's CA certificates go into the
    inventory as the partner's, untrusted until a verified call (in the same transaction).
    Returns what changed against the certificates last verified."""
    changes: tuple[str, ...] = ()
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
            from pkiadmin.core.exchange import trust_store as trust

            changes = trust.store_partner_certificates(
                ws, partner_id, int(cursor.lastrowid or 0), certificates
            )
            trust.store_partner_crls(ws, partner_id, int(cursor.lastrowid or 0), crls)
        audit.append(
            ws.db,
            "package.open",
            {"partner_id": partner_id, "package_id": package_id},
            artefacts=(audit.Artefact(str(path), digest),),
            details={
                "result": result,
                "findings": findings,
                "manifest_sha256": manifest_sha256,
                "changes": list(changes),
            },
        )
    return changes
