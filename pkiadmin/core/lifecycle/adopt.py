"""Adopting a CA made elsewhere (an `openssl ca` directory, an XCA export): its certificate and
key become a CA of this workspace, with the certificates it issued, their revocations (from its
`index.txt` and its last CRL, with their dates and reasons) and its CRL number continued.

Everything is read and checked first (`plan`, which stores nothing): the key must open with the
passphrase given and be the certificate's; every certificate listed in `index.txt` must be there
and verify under the CA's key; the CRL must be the CA's; no key may be known to be bad. Then one
transaction (`adopt`) writes the key file, encrypted under pkiadmin's rules with a new passphrase,
the certificates, the CA, the revocations and their audit entries. The original key file is left
where it is: the operator is told to destroy it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.display import plain_error, safe
from pkiadmin.core.base.errors import PassphraseError, ValidationError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import known_bad, passphrase
from pkiadmin.core.lifecycle import openssl_ca
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import audit, blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import fields as certfields
from pkiadmin.core.x509 import keyid

MAX_FILE = 16 << 20
_CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


@dataclass(frozen=True)
class Sources:
    certificate: Path
    key: Path
    key_passphrase: str | None = None  # of the key file as it is (None: not encrypted)
    index: Path | None = None  # openssl ca's index.txt
    issued: Path | None = (
        None  # the certificates it issued (openssl's newcerts/); default beside index.txt
    )
    crl: Path | None = None  # its last CRL
    crlnumber: Path | None = None  # openssl ca's crlnumber file


@dataclass
class Plan:
    sources: Sources
    certificate: x509.Certificate
    key: keys.PrivateKey
    kind: str  # 'root' or 'intermediate'
    key_was_encrypted: bool
    existing_cert_id: int | None  # the CA certificate is in the inventory already
    issuer_cert_id: int | None  # an intermediate's issuer, when it is in the inventory
    issued: list[tuple[x509.Certificate, bytes]]
    revocations: list[openssl_ca.Revoked]
    last_crl_number: int
    ski_method: str
    files: dict[str, str]  # file name -> SHA-256 of what was read
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return inventory.common_name(self.certificate.subject)


@dataclass(frozen=True)
class Adopted:
    ca_id: int
    cert_id: int
    key_path: Path
    issued: int
    revoked: int
    notes: tuple[str, ...]


def _read(path: Path, what: str) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE:
            raise ValidationError(f"{path.name} is far larger than {what}.")
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{path} cannot be read ({exc.strerror}).") from exc


def _certificate(path: Path) -> x509.Certificate:
    data = _read(path, "a certificate")
    try:
        if b"-----BEGIN" in data:
            found = x509.load_pem_x509_certificates(data)
            if len(found) != 1:
                raise ValidationError(
                    f"{path.name} holds {len(found)} certificates; give the CA's certificate alone."
                )
            return found[0]
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ValidationError(f"{path.name} is not a certificate: {plain_error(exc)}.") from exc


def _key(path: Path, secret: str | None) -> tuple[keys.PrivateKey, bool]:
    """The private key and whether it was encrypted."""
    data = _read(path, "a key file")
    password = secret.encode("utf-8") if secret else None
    try:
        if path.suffix.lower() in {".p12", ".pfx"}:
            key = pkcs12.load_key_and_certificates(data, password)[0]
            encrypted = password is not None
        elif b"-----BEGIN" in data:
            encrypted = b"ENCRYPTED" in data
            key = serialization.load_pem_private_key(data, password if encrypted else None)
        else:
            try:
                key, encrypted = serialization.load_der_private_key(data, None), False
            except TypeError:
                key, encrypted = serialization.load_der_private_key(data, password), True
    except TypeError as exc:
        if password is None:
            raise PassphraseError(
                f"{path.name} is encrypted: give its passphrase (--key-passphrase-env)."
            ) from exc
        raise ValidationError(f"{path.name} cannot be read: {plain_error(exc)}.") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        if password is not None:
            raise PassphraseError(
                f"The passphrase does not open {path.name} (or the file is damaged). Nothing was "
                "changed."
            ) from exc
        raise ValidationError(f"{path.name} is not a private key: {plain_error(exc)}.") from exc
    if key is None:
        raise ValidationError(f"{path.name} holds no private key.")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValidationError(
            f"{path.name} holds a {type(key).__name__}; pkiadmin's CAs use RSA or EC keys."
        )
    return key, encrypted


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _check_ca(cert: x509.Certificate, source: str) -> None:
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    if basic is None or not basic.ca:
        raise ValidationError(f"{source} is not a CA certificate (no basicConstraints CA:TRUE).")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.key_cert_sign:
        raise ValidationError(f"{source}'s key usage does not allow it to sign certificates.")


def _ski_method(cert: x509.Certificate) -> str:
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return keyid.SkiMethod.SHA1.value
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)  # noqa: S101 - checked
    for method in keyid.SkiMethod:
        if keyid.subject_key_identifier(public, method).digest == ski:
            return method.value
    return keyid.SkiMethod.SHA1.value  # openssl's "hash"


def _issued_files(folder: Path) -> list[Path]:
    try:
        return sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _CERT_SUFFIXES
        )
    except OSError as exc:
        raise ValidationError(f"{folder} cannot be read ({exc.strerror}).") from exc


def _issued(ca: x509.Certificate, folder: Path) -> dict[str, tuple[x509.Certificate, bytes]]:
    """The certificates in `folder` that the CA signed, by serial; a certificate naming the CA
    as its issuer that does not verify under its key stops the adoption."""
    found: dict[str, tuple[x509.Certificate, bytes]] = {}
    for path in _issued_files(folder):
        data = _read(path, "a certificate")
        try:
            certs = (
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
        except ValueError as exc:
            raise ValidationError(f"{path.name} is not a certificate: {plain_error(exc)}.") from exc
        for cert in certs:
            if cert.issuer != ca.subject or cert == ca:
                continue
            try:
                cert.verify_directly_issued_by(ca)
            except (InvalidSignature, ValueError, TypeError) as exc:
                raise ValidationError(
                    f"{path.name} names the CA as its issuer but does not verify under its key: "
                    "it was altered or comes from another CA. Nothing was adopted."
                ) from exc
            serial = certfields.serial_hex(cert.serial_number)
            found[serial] = (cert, cert.public_bytes(serialization.Encoding.DER))
    return found


def _sha256(path: Path | None) -> dict[str, str]:
    if path is None or not path.is_file():
        return {}
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}


def plan(ws: Workspace, sources: Sources) -> Plan:
    """Read and check everything; store nothing."""
    cert = _certificate(sources.certificate)
    _check_ca(cert, sources.certificate.name)
    key, encrypted = _key(sources.key, sources.key_passphrase)
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise ValidationError(
            f"The key in {sources.key.name} is not the key of the certificate in "
            f"{sources.certificate.name}. Nothing was adopted."
        )
    lists = blocklists.installed(ws)
    bad = known_bad.check(cert.public_key(), lists)
    if bad:
        raise ValidationError(known_bad.sentence(bad, "The CA's key") + " It is not adopted.")
    digest = cert.fingerprint(hashes.SHA256()).hex()
    row = ws.db.execute("SELECT id FROM certificates WHERE sha256 = ?", (digest,)).fetchone()
    existing = int(row[0]) if row else None
    if (
        existing is not None
        and ws.db.execute("SELECT 1 FROM authorities WHERE cert_id = ?", (existing,)).fetchone()
    ):
        raise ValidationError(f"{plan_name(cert)} is a CA of this workspace already.")
    self_signed = cert.issuer == cert.subject
    if self_signed:
        try:
            cert.verify_directly_issued_by(cert)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise ValidationError(
                f"{sources.certificate.name} names itself as its issuer but its signature does "
                "not verify: it was altered."
            ) from exc
    notes: list[str] = []
    issuer_cert_id = None if self_signed else _issuer_in_inventory(ws, cert)
    if not self_signed and issuer_cert_id is None:
        notes.append(
            "Its issuer is not in the inventory: import the issuer's certificate to see the chain."
        )
    issued, revocations = _history(cert, sources, notes)
    last_number = 0
    if sources.crlnumber is not None:
        last_number = openssl_ca.read_crlnumber(sources.crlnumber)
    if sources.crl is not None:
        number = openssl_ca.crl_number(_crl(cert, sources.crl))
        last_number = max(last_number, number or 0)
    for cert_issued, _der in issued:
        if known_bad.check(cert_issued.public_key(), lists):
            notes.append(
                f"{safe(cert_issued.subject.rfc4514_string())} has a known-bad key (a compliance "
                "finding once adopted): revoke it."
            )
    files = {
        **_sha256(sources.certificate),
        **_sha256(sources.index),
        **_sha256(sources.crl),
        **_sha256(sources.crlnumber),
    }
    return Plan(
        sources,
        cert,
        key,
        "root" if self_signed else "intermediate",
        encrypted,
        existing,
        issuer_cert_id,
        issued,
        revocations,
        last_number,
        _ski_method(cert),
        files,
        notes,
    )


def plan_name(cert: x509.Certificate) -> str:
    return f"'{safe(inventory.common_name(cert.subject))}'"


def _issuer_in_inventory(ws: Workspace, cert: x509.Certificate) -> int | None:
    for (cert_id,) in ws.db.execute(
        "SELECT id FROM certificates WHERE is_ca = 1 AND subject = ?",
        (safe(cert.issuer.rfc4514_string()),),
    ).fetchall():
        candidate = inventory.load_certificate(ws.db, int(cert_id))
        try:
            cert.verify_directly_issued_by(candidate)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return int(cert_id)
    return None


def _crl(ca: x509.Certificate, path: Path) -> x509.CertificateRevocationList:
    crl = openssl_ca.read_crl(path)
    if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
        raise ValidationError(
            f"{path.name} is not a CRL signed by {plan_name(ca)}: its issuer or signature does "
            "not match. Nothing was adopted."
        )
    return crl


def _history(
    ca: x509.Certificate, sources: Sources, notes: list[str]
) -> tuple[list[tuple[x509.Certificate, bytes]], list[openssl_ca.Revoked]]:
    """The certificates the CA issued and their revocations, from index.txt, the certificates'
    folder and the last CRL, checked against each other."""
    folder = sources.issued
    if folder is None and sources.index is not None:
        beside = sources.index.parent / "newcerts"
        folder = beside if beside.is_dir() else None
    by_serial = _issued(ca, folder) if folder is not None else {}
    revoked: dict[str, openssl_ca.Revoked] = {}
    if sources.index is not None:
        entries = openssl_ca.read_index(sources.index)
        missing = [e.serial for e in entries if e.serial not in by_serial]
        if missing:
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            raise ValidationError(
                f"{sources.index.name} lists serial(s) {shown}, whose certificates are not in "
                f"{folder if folder is not None else 'the folder of issued certificates'} (openssl ca "
                "keeps them in newcerts/; give it with --issued). Nothing was adopted."
            )
        for e in entries:
            if e.revoked_at is not None and e.reason is not None:
                revoked[e.serial] = openssl_ca.Revoked(
                    e.serial, e.revoked_at, e.reason, e.invalidity_date, f"index.txt line {e.line}"
                )
        listed = {e.serial for e in entries}
        extra = sorted(set(by_serial) - listed)
        if extra:
            notes.append(
                f"{len(extra)} certificate(s) signed by the CA are not in {sources.index.name} "
                f"(serials {', '.join(extra[:5])}); they are adopted too."
            )
    if sources.crl is not None:
        crl = _crl(ca, sources.crl)
        label = f"CRL {openssl_ca.crl_number(crl) or '(no number)'}"
        for entry in openssl_ca.crl_revocations(crl, label):
            if entry.serial not in by_serial:
                raise ValidationError(
                    f"{sources.crl.name} revokes serial {entry.serial}, whose certificate is not "
                    "among those given. Nothing was adopted."
                )
            known = revoked.get(entry.serial)
            if known is None:
                notes.append(f"Serial {entry.serial} is revoked in {label} only ({entry.reason}).")
                revoked[entry.serial] = entry
            elif known.reason == "unspecified" and entry.reason != "unspecified":
                revoked[entry.serial] = openssl_ca.Revoked(
                    known.serial,
                    known.revoked_at,
                    entry.reason,
                    known.invalidity_date,
                    known.source,
                )
    return list(by_serial.values()), sorted(revoked.values(), key=lambda r: r.serial)


def describe(found: Plan) -> str:
    """What adopting will do, for the confirmation."""
    cert = found.certificate
    lines = [
        f"Adopt {found.kind} CA {plan_name(cert)}",
        f"  subject: {safe(cert.subject.rfc4514_string())}",
        f"  valid until: {cert.not_valid_after_utc:%Y-%m-%d}",
        f"  key: {certfields.describe_key(cert.public_key())[0]} "
        f"{certfields.describe_key(cert.public_key())[1]}, "
        + ("encrypted" if found.key_was_encrypted else "NOT encrypted where it is now"),
        f"  certificates it issued: {len(found.issued)}, of them revoked: {len(found.revocations)}",
        f"  next CRL number: {found.last_crl_number + 1}",
    ]
    lines += [f"  note: {n}" for n in found.notes]
    return "\n".join(lines)


def adopt(ws: Workspace, found: Plan, new_passphrase: str) -> Adopted:
    """Store the CA, its key (encrypted with `new_passphrase`), what it issued and its
    revocations, in one transaction; audited."""
    passphrase.check_strength(new_passphrase)
    cert = found.certificate
    key_pem = keys.encrypt_pkcs8(found.key, new_passphrase)
    key_path = authorities.key_path(ws, found.key.public_key(), found.kind)
    with ws.db.atomic():
        atomicfile.write_new_file(key_path, key_pem, mode=0o600)
        try:
            cert_id = found.existing_cert_id
            if cert_id is None:
                cert_id = inventory.insert_certificate(
                    ws.db, cert, certrecord.Source.IMPORTED, found.issuer_cert_id
                )
            if found.kind == "root":
                ws.db.execute(
                    "UPDATE certificates SET issuer_cert_id = id WHERE id = ?", (cert_id,)
                )
            cursor = ws.db.execute(
                "INSERT INTO authorities (cert_id, name, kind, key_backend, key_ref, ski_method,"
                " created_at, crl_last_number) VALUES (?, ?, ?, 'file', ?, ?, ?, ?)",
                (
                    cert_id,
                    found.name,
                    found.kind,
                    key_path.name,
                    found.ski_method,
                    datetime.now(UTC).isoformat(),
                    found.last_crl_number,
                ),
            )
            ca_id = int(cursor.lastrowid or 0)
            by_serial = _store_issued(ws, found, cert_id)
            audit.append(
                ws.db,
                "ca.adopt",
                {"ca_id": ca_id, "cert_id": cert_id, "kind": found.kind},
                artefacts=(
                    audit.Artefact("certificate", cert.fingerprint(hashes.SHA256()).hex()),
                    audit.Artefact(f"keys/{key_path.name}", hashlib.sha256(key_pem).hexdigest()),
                ),
                details={
                    "read": found.files,
                    "issued": len(found.issued),
                    "revoked": len(found.revocations),
                    "crl_last_number": found.last_crl_number,
                    "key_was_encrypted": found.key_was_encrypted,
                    "notes": found.notes,
                },
            )
            for entry in found.revocations:
                revocation.revoke(
                    ws,
                    by_serial[entry.serial],
                    entry.reason,
                    entry.revoked_at,
                    entry.invalidity_date,
                    note=f"adopted from {entry.source}",
                    historical=True,
                )
        except BaseException:
            atomicfile.remove_new_file(key_path)
            raise
    notes = list(found.notes)
    if not found.key_was_encrypted:
        notes.append(
            f"{found.sources.key} holds the key unencrypted: destroy it (shred it and every "
            "copy) now that pkiadmin keeps it encrypted."
        )
    else:
        notes.append(
            f"Destroy {found.sources.key} and its copies once you have checked the adopted CA: "
            "pkiadmin keeps the key encrypted with the new passphrase."
        )
    return Adopted(
        ca_id, cert_id, key_path, len(found.issued), len(found.revocations), tuple(notes)
    )


def _store_issued(ws: Workspace, found: Plan, ca_cert_id: int) -> dict[str, int]:
    """The issued certificates in the inventory, linked to the CA; their ids by serial."""
    by_serial: dict[str, int] = {}
    new: list[tuple[certfields.CertFields, int | None]] = []
    for cert, der in found.issued:
        digest = hashlib.sha256(der).hexdigest()
        row = ws.db.execute("SELECT id FROM certificates WHERE sha256 = ?", (digest,)).fetchone()
        serial = certfields.serial_hex(cert.serial_number)
        if row is not None:
            ws.db.execute(
                "UPDATE certificates SET issuer_cert_id = ? WHERE id = ?", (ca_cert_id, row[0])
            )
            by_serial[serial] = int(row[0])
        else:
            new.append((certfields.read_fields(cert, cert_der=der), ca_cert_id))
    ids = inventory.insert_fields(ws.db, new, certrecord.Source.IMPORTED) if new else []
    for (fields, _), cert_id in zip(new, ids, strict=True):
        by_serial[fields.serial_hex] = cert_id
    return by_serial
