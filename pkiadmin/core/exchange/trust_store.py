"""The partner trust store: partner CA certificates that came in an accepted package and were
confirmed on a verified fingerprint call; exported for nginx, OpenSSL and Java."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from pkiadmin.core.base import atomicfile, fingerprint
from pkiadmin.core.base.display import safe
from pkiadmin.core.base.errors import CheckFailedError, StorageError, ValidationError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

if TYPE_CHECKING:
    from sqlite_utils import Database


@dataclass(frozen=True)
class PartnerCert:
    partner_id: int
    partner: str
    cert_id: int
    subject: str
    sha256: str
    not_after: datetime
    trusted: bool
    call_id: int | None


def store_partner_certificates(
    ws: Workspace, partner_id: int, package_row: int, certificates: tuple[bytes, ...]
) -> tuple[str, ...]:
    """In the caller's transaction: each certificate once in the inventory (as imported), linked to
    the partner, untrusted, with its position in the package's manifest (the call's order). If
    the partner was verified and these differ from what the call confirmed, the partner goes back
    to unverified. Returns what changed against the certificates last verified (added, removed,
    replaced), empty when nothing was verified before or nothing changed."""
    seen: set[int] = set()
    for position, pem in enumerate(certificates):
        cert = x509.load_pem_x509_certificate(pem)
        digest = cert.fingerprint(hashes.SHA256()).hex()
        row = ws.db.execute("SELECT id FROM certificates WHERE sha256 = ?", (digest,)).fetchone()
        cert_id = (
            int(row[0])
            if row
            else inventory.insert_certificate(ws.db, cert, certrecord.Source.IMPORTED)
        )
        seen.add(cert_id)
        ws.db.execute(
            "INSERT INTO partner_certs (partner_id, cert_id, package_row, position)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(partner_id, cert_id) DO UPDATE SET"
            " package_row = excluded.package_row, position = excluded.position",
            (partner_id, cert_id, package_row, position),
        )
    trusted = {
        int(r[0])
        for r in ws.db.execute(
            "SELECT cert_id FROM partner_certs WHERE partner_id = ? AND trusted = 1", (partner_id,)
        )
    }
    changes = _changes(ws, trusted, seen)
    if trusted and trusted != seen:
        ws.db.execute(
            "UPDATE partners SET key_status = 'unverified' WHERE id = ? AND key_status = 'verified'",
            (partner_id,),
        )
        # Their certificates leave the trust store until a new call confirms what they send now.
        ws.db.execute("UPDATE partner_certs SET trusted = 0 WHERE partner_id = ?", (partner_id,))
        audit.append(
            ws.db,
            "partner.unverified",
            {"partner_id": partner_id},
            details={
                "reason": "a package carried CA certificates that differ from the verified ones",
                "changes": list(changes),
            },
        )
    return changes


def _changes(ws: Workspace, before: set[int], now: set[int]) -> tuple[str, ...]:
    if not before or before == now:
        return ()

    def described(cert_id: int) -> tuple[str, str]:
        row = ws.db.execute(
            "SELECT subject, sha256 FROM certificates WHERE id = ?", (cert_id,)
        ).fetchone()
        return safe(str(row[0])), str(row[1])

    added = {i: described(i) for i in now - before}
    removed = {i: described(i) for i in before - now}
    lines = []
    for _old_id, (subject, old_sha) in sorted(removed.items()):
        new_id = next((i for i, (s, _) in added.items() if s == subject), None)
        if new_id is None:
            lines.append(f"removed: {subject} (SHA-256 {old_sha[:16]}…)")
        else:
            lines.append(
                f"replaced: {subject}: SHA-256 {old_sha[:16]}… is now {added.pop(new_id)[1][:16]}…"
            )
    lines += [f"added: {s} (SHA-256 {sha[:16]}…)" for _, (s, sha) in sorted(added.items())]
    return tuple(lines)


def store_partner_crls(
    ws: Workspace, partner_id: int, package_row: int, crls: tuple[bytes, ...]
) -> None:
    """In the caller's transaction: each CRL of an accepted package, with the partner CA (from
    that package) whose key signed it. The package checks ran already; this checks again that
    each CRL has its CA here, and keeps only those."""
    cas = [
        (int(r[0]), inventory.load_certificate(ws.db, int(r[0])))
        for r in ws.db.execute(
            "SELECT cert_id FROM partner_certs WHERE partner_id = ? AND package_row = ?",
            (partner_id, package_row),
        )
    ]
    for der in crls:
        crl = x509.load_der_x509_crl(der)
        issuer = next(
            (
                cert_id
                for cert_id, cert in cas
                if cert.subject == crl.issuer and _signed_by(crl, cert)
            ),
            None,
        )
        if issuer is None or crl.next_update_utc is None:
            continue
        try:
            number: int | None = crl.extensions.get_extension_for_class(
                x509.CRLNumber
            ).value.crl_number
        except x509.ExtensionNotFound:
            number = None
        ws.db.execute(
            "INSERT OR IGNORE INTO partner_crls (partner_id, package_row, issuer_cert_id, number,"
            " this_update, next_update, sha256, der) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                partner_id,
                package_row,
                issuer,
                number,
                crl.last_update_utc.isoformat(),
                crl.next_update_utc.isoformat(),
                hashlib.sha256(der).hexdigest(),
                der,
            ),
        )


def _signed_by(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(cert.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class PartnerCrl:
    partner: str
    issuer_cert_id: int
    issuer: str
    number: int | None
    this_update: datetime
    next_update: datetime
    sha256: str
    der: bytes


def current_partner_crls(db: Database) -> tuple[PartnerCrl, ...]:
    """The newest CRL received for each partner CA, trusted or not (the dashboard's view)."""
    rows = db.execute(
        "SELECT p.name, pc.issuer_cert_id, c.subject, pc.number, pc.this_update, pc.next_update,"
        " pc.sha256, pc.der FROM partner_crls pc JOIN partners p ON p.id = pc.partner_id"
        " JOIN certificates c ON c.id = pc.issuer_cert_id"
        " WHERE pc.id = (SELECT id FROM partner_crls q WHERE q.issuer_cert_id = pc.issuer_cert_id"
        " ORDER BY q.this_update DESC, q.number DESC, q.id DESC LIMIT 1)"
        " ORDER BY p.name, c.subject"
    )
    return tuple(
        PartnerCrl(
            str(r[0]), int(r[1]), str(r[2]), r[3], datetime.fromisoformat(r[4]),
            datetime.fromisoformat(r[5]), str(r[6]), bytes(r[7]),
        )
        for r in rows
    )  # fmt: skip


@dataclass(frozen=True)
class CrlExport:
    path: Path
    crls: tuple[PartnerCrl, ...]

    def listing(self) -> list[str]:
        return [
            f"{safe(c.partner)}: CRL {c.number if c.number is not None else '?'} of "
            f"{safe(c.issuer)}, nextUpdate {c.next_update:%Y-%m-%d %H:%M} UTC"
            for c in self.crls
        ]


def checked_crls(ws: Workspace, now: datetime | None = None) -> tuple[PartnerCrl, ...]:
    """The current CRL of every trusted partner CA, each checked against the CA certificate
    confirmed on the call; a missing or stale CRL is refused, since a server checking revocation
    would refuse that partner's every client."""
    now = now or datetime.now(UTC)
    trusted = partner_certificates(ws.db, trusted_only=True)
    if not trusted:
        raise ValidationError(
            "No partner CA certificate is trusted now: verify a partner on a call first."
        )
    newest = {c.issuer_cert_id: c for c in current_partner_crls(ws.db)}
    chosen: list[PartnerCrl] = []
    for cert in trusted:
        crl = newest.get(cert.cert_id)
        if crl is None:
            raise ValidationError(
                f"No CRL of {safe(cert.subject)} ({safe(cert.partner)}) was received; a server "
                "checking revocation would refuse every client under it. Ask the partner for a "
                "package with its current CRLs. Nothing was written."
            )
        issuer = inventory.load_certificate(ws.db, cert.cert_id)
        if not _signed_by(x509.load_der_x509_crl(crl.der), issuer):
            raise CheckFailedError(
                f"The stored CRL of {safe(cert.subject)} does not verify under its CA "
                "certificate; nothing was written."
            )
        if crl.next_update <= now:
            raise ValidationError(
                f"The newest CRL of {safe(cert.subject)} ({safe(cert.partner)}) is stale "
                f"(nextUpdate {crl.next_update:%Y-%m-%d %H:%M} UTC); ask the partner for a "
                "package with a current one. Nothing was written."
            )
        chosen.append(crl)
    return tuple(chosen)


def export_crls(
    ws: Workspace, fmt: str, out: Path, chosen: tuple[PartnerCrl, ...] | None = None
) -> CrlExport:
    """The checked CRLs (checked_crls, unless given) as a PEM bundle (nginx ssl_crl, openssl
    -CRLfile) or hashed files in a folder (-CRLpath; it may be the folder trust export wrote the
    certificates into)."""
    chosen = checked_crls(ws) if chosen is None else chosen
    written: list[tuple[Path, bytes]] = []
    if fmt == "pem":
        bundle = b"".join(
            f"# {safe(c.partner)}: CRL of {safe(c.issuer)}, nextUpdate {c.next_update:%Y-%m-%d %H:%M} UTC\n".encode()
            + x509.load_der_x509_crl(c.der).public_bytes(serialization.Encoding.PEM)
            for c in chosen
        )
        atomicfile.write_new_file(out, bundle, mode=0o644)
        written.append((out, bundle))
    elif fmt == "openssl-dir":
        out.mkdir(parents=True, exist_ok=True)
        for c in chosen:
            pem = x509.load_der_x509_crl(c.der).public_bytes(serialization.Encoding.PEM)
            written.append((_write_hashed(out, pem, "crl"), pem))
    else:
        raise ValidationError("Partner CRLs are written as pem (a bundle) or openssl-dir.")
    with ws.db.atomic():
        audit.append(
            ws.db,
            "trust.export-crls",
            {"format": fmt},
            artefacts=tuple(
                audit.Artefact(str(path), hashlib.sha256(data).hexdigest())
                for path, data in written
            ),
            details={
                "path": str(out),
                "crls": [
                    {"issuer": c.issuer, "number": c.number, "sha256": c.sha256,
                     "next_update": c.next_update.isoformat()}
                    for c in chosen
                ],
            },
        )  # fmt: skip
    return CrlExport(out, chosen)


def partner_certificates(db: Database, trusted_only: bool = False) -> tuple[PartnerCert, ...]:
    """Every partner CA certificate; with `trusted_only`, those trusted now: confirmed on a call
    of a partner who is verified now."""
    rows = db.query(
        "SELECT pc.partner_id, p.name, pc.cert_id, c.subject, c.sha256, c.not_after,"
        " pc.trusted AND p.key_status = 'verified' AS trusted, pc.call_id"
        " FROM partner_certs pc JOIN partners p ON p.id = pc.partner_id JOIN certificates c ON c.id = pc.cert_id"
        " WHERE (pc.trusted AND p.key_status = 'verified') >= ? ORDER BY p.name, c.subject",
        [1 if trusted_only else 0],
    )
    return tuple(
        PartnerCert(
            int(r["partner_id"]), r["name"], int(r["cert_id"]), r["subject"], r["sha256"],
            datetime.fromisoformat(r["not_after"]), bool(r["trusted"]), r["call_id"],
        )
        for r in rows
    )  # fmt: skip


@dataclass(frozen=True)
class TrustExport:
    path: Path
    certificates: tuple[PartnerCert, ...]
    left_out: tuple[str, ...] = ()  # partners once verified, unverified now

    def listing(self) -> list[str]:
        lines = [
            f"{safe(c.partner)}: {safe(c.subject)} SHA-256 {fingerprint.grouped_hex(bytes.fromhex(c.sha256))}"
            for c in self.certificates
        ]
        return lines + [
            f"Left out: {safe(p)} is unverified now (a later package differs from what the last "
            "call confirmed); verify them on a new call to include their certificates again."
            for p in self.left_out
        ]


def unverified_since_call(db: Database) -> tuple[str, ...]:
    """Partners whose certificates a call once confirmed, and who are unverified now."""
    return tuple(
        str(r[0])
        for r in db.execute(
            "SELECT DISTINCT p.name FROM partner_certs pc JOIN partners p ON p.id = pc.partner_id"
            " WHERE pc.call_id IS NOT NULL AND p.key_status != 'verified' ORDER BY p.name"
        )
    )


def export(ws: Workspace, fmt: str, out: Path, password: str | None = None) -> TrustExport:
    """pem (a bundle for nginx ssl_client_certificate), openssl-dir (hashed links for -CApath),
    or p12 (a Java truststore). Only certificates confirmed on a verified call."""
    certs = partner_certificates(ws.db, trusted_only=True)
    left_out = unverified_since_call(ws.db)
    if not certs:
        why = (
            f" ({', '.join(safe(p) for p in left_out)}: unverified now, after a later package)"
            if left_out
            else ""
        )
        raise ValidationError(
            f"No partner CA certificate is trusted now{why}: verify a partner on a call first."
        )
    loaded = [inventory.load_certificate(ws.db, c.cert_id) for c in certs]
    written: list[tuple[Path, bytes]] = []  # every file, named in the audit entry with its hash
    if fmt == "pem":
        header = "".join(
            f"# {safe(c.partner)}: {safe(c.subject)}\n# SHA-256 {fingerprint.colon_hex(bytes.fromhex(c.sha256))}\n"
            for c in certs
        )
        bundle = header.encode() + b"".join(
            x.public_bytes(serialization.Encoding.PEM) for x in loaded
        )
        atomicfile.write_new_file(out, bundle, mode=0o644)
        written.append((out, bundle))
    elif fmt == "openssl-dir":
        _empty_folder(out)
        for cert in loaded:
            pem = cert.public_bytes(serialization.Encoding.PEM)
            written.append((_write_hashed(out, pem, "x509"), pem))
    elif fmt == "p12":
        if not password:
            raise ValidationError("A Java truststore needs a password (keytool asks for it).")
        data = pkcs12.serialize_java_truststore(
            [
                pkcs12.PKCS12Certificate(cert, c.subject.encode())
                for c, cert in zip(certs, loaded, strict=True)
            ],
            serialization.BestAvailableEncryption(password.encode()),
        )
        atomicfile.write_new_file(out, data, mode=0o644)
        written.append((out, data))
    else:
        raise ValidationError("The format is pem, openssl-dir or p12.")
    result = TrustExport(out, certs, left_out)
    with ws.db.atomic():
        audit.append(
            ws.db,
            "trust.export",
            {"format": fmt},
            artefacts=(
                *(
                    audit.Artefact(str(path), hashlib.sha256(data).hexdigest())
                    for path, data in written
                ),
                *(audit.Artefact(c.subject, c.sha256) for c in certs),
            ),
            details={"path": str(out), "left_out": list(left_out)},
        )
    return result


def _empty_folder(out: Path) -> None:
    """A new folder, or an empty one (a file dialog offers only folders that exist): the hashed
    files must be the only ones there, or -CApath would also trust what else it holds."""
    if out.exists():
        if not out.is_dir():
            raise ValidationError(f"{out} is a file; give a new or empty folder for -CApath.")
        if any(out.iterdir()):
            raise ValidationError(
                f"{out} is not empty; give a new or empty folder, so that -CApath trusts only "
                "the partner CAs written there."
            )
        return
    try:
        out.mkdir(parents=True)
    except OSError as exc:
        raise StorageError(f"Cannot create the folder {out}: {exc.strerror}.") from exc


def _write_hashed(out: Path, pem: bytes, kind: str) -> Path:
    """`pem` (a certificate, kind x509; a CRL, kind crl) under the name OpenSSL's -CApath and
    -CRLpath look up: <subject or issuer hash>.<n> for a certificate, .r<n> for a CRL."""
    option, suffix = ("-subject_hash", "") if kind == "x509" else ("-hash", "r")
    name_hash = (
        subprocess.run(
            [_openssl(), kind, "-noout", option], input=pem, capture_output=True, check=True
        )
        .stdout.decode()
        .strip()
    )
    n = 0
    while (out / f"{name_hash}.{suffix}{n}").exists():
        n += 1
    path = out / f"{name_hash}.{suffix}{n}"
    atomicfile.write_new_file(path, pem, mode=0o644)
    return path


def _openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        raise ValidationError(
            "openssl is not installed; it names the files of an OpenSSL CA directory."
        )
    return found


def last_verification(db: Database) -> dict[int, datetime]:
    return {
        int(r[0]): datetime.fromisoformat(r[1])
        for r in db.execute(
            "SELECT partner_id, max(at) FROM calls WHERE result = 'verified' GROUP BY partner_id"
        )
    }
