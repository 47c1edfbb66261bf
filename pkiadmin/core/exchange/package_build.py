"""Build a trust package for a partner: our CA certificates, current CRLs, endpoints, a policy
summary, a manifest with a detached OpenPGP signature, and a verification sheet; the tar is signed
and encrypted to the partner's key (it opens with plain gpg and tar)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base import atomicfile, fingerprint
from pkiadmin.core.base.errors import StorageError, ValidationError
from pkiadmin.core.base.resources import read_text
from pkiadmin.core.exchange import partners, pgp
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, intermediate
from pkiadmin.core.keys import files as keys
from pkiadmin.core.revocation import crl
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace

SCHEMA = "pkiadmin-trust-package/1"
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.json.sig"


@dataclass(frozen=True)
class BuiltPackage:
    package_id: str
    path: Path
    sheet_path: Path
    sha256: str
    manifest_sha256: str
    files: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """A plain tar with stable order and times, readable by `tar -x`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(files[name]))
    return out.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(
    ws: Workspace,
    partner_name: str,
    passphrase: str,
    out_dir: Path,
    organisation: str = "",
    service_endpoints: tuple[str, ...] = (),
    ekus: tuple[str, ...] = ("clientAuth", "serverAuth"),
) -> BuiltPackage:
    partner = partners.get(ws.db, partner_name)
    if not partner.pgp_fingerprint:
        raise ValidationError(
            f"'{partner.name}' has no OpenPGP key yet: import it first (pkiadmin-cli partner import-key)."
        )
    officer = partners.officer_fingerprint(ws.db)
    if officer is None:
        raise ValidationError(
            "There is no officer key to sign packages with: generate or import one first."
        )
    held = authorities.list_authorities(ws.db)
    if not held:
        raise ValidationError("This workspace holds no CA; there is nothing to send.")
    certs = {a.id: inventory.load_certificate(ws.db, a.cert_id) for a in held}
    org = organisation or _organisation(next(iter(certs.values())))
    package_id = str(uuid.uuid4())
    created = datetime.now(UTC).replace(microsecond=0)
    files: dict[str, bytes] = {}
    cert_entries: list[dict[str, Any]] = []
    crl_entries: list[dict[str, Any]] = []
    endpoints: dict[str, Any] = {
        "certificates": [],
        "service_endpoints": list(service_endpoints),
        "ekus": list(ekus),
    }
    for authority in held:
        cert = certs[authority.id]
        der = cert.public_bytes(serialization.Encoding.DER)
        path = f"certs/{_slug(authority.name)}.crt"
        files[path] = cert.public_bytes(serialization.Encoding.PEM)
        cert_entries.append(
            {"path": path, "subject": cert.subject.rfc4514_string(), "sha256": _sha(der)}
        )
        settings = crl.settings(ws.db, authority.id)
        urls = intermediate.ca_settings(ws.db, authority.id)
        endpoints["certificates"].append(
            {
                "sha256": _sha(der),
                "subject": cert.subject.rfc4514_string(),
                "ski": cert.extensions.get_extension_for_class(
                    x509.SubjectKeyIdentifier
                ).value.digest.hex(),
                "not_before": cert.not_valid_before_utc.isoformat(),
                "not_after": cert.not_valid_after_utc.isoformat(),
                "crl_distribution_points": urls.get("crl_urls", []),
                "ca_issuers": urls.get("ca_issuers_urls", []),
                "ocsp": urls.get("ocsp_urls", []),
                "crl_promise": {
                    "next_update_at_most_days": settings.period_days,
                    "after_a_revocation_within_hours": 24,
                },
            }
        )
        latest = crl.latest(ws.db, authority.id)
        if latest is not None:
            crl_path = f"crl/{_slug(authority.name)}.crl"
            files[crl_path] = crl.load(ws.db, latest.id).public_bytes(serialization.Encoding.DER)
            crl_entries.append(
                {
                    "path": crl_path,
                    "issuer": cert.subject.rfc4514_string(),
                    "number": latest.number,
                    "this_update": latest.this_update.isoformat(),
                    "next_update": latest.next_update.isoformat(),
                }
            )
    # After a root rollover: the link certificates (each root's name and key signed by the
    # other), so the partner's relying parties can cross between the roots; read on the call
    # like every CA certificate.
    link_ids = authorities.link_certificates(ws.db)
    for cert_id in link_ids:
        link = inventory.load_certificate(ws.db, cert_id)
        der = link.public_bytes(serialization.Encoding.DER)
        issuer = inventory.common_name(link.issuer)
        path = f"certs/link-{_slug(inventory.common_name(link.subject))}-by-{_slug(issuer)}.crt"
        files[path] = link.public_bytes(serialization.Encoding.PEM)
        cert_entries.append(
            {"path": path, "subject": link.subject.rfc4514_string(), "sha256": _sha(der)}
        )
    files["endpoints.json"] = json.dumps(endpoints, indent=2, sort_keys=True).encode()
    periods = {a.id: crl.settings(ws.db, a.id).period_days for a in held}
    files["policy/certificate-policy.md"] = _policy(
        org, package_id, created, held, certs, officer, periods
    ).encode()
    manifest = {
        "schema": SCHEMA,
        "package_id": package_id,
        "created_at": created.isoformat(),
        "issuer": {"organisation": org},
        "recipient": {"partner": partner.name, "pgp_fingerprint": partner.pgp_fingerprint},
        "signer_pgp_fingerprint": officer,
        "files": [{"path": n, "sha256": _sha(d), "size": len(d)} for n, d in sorted(files.items())],
        "certificates": cert_entries,
        "crls": crl_entries,
    }
    if link_ids:
        manifest["rollover"] = {
            "roots": [
                _sha(certs[a.id].public_bytes(serialization.Encoding.DER))
                for a in held
                if a.kind == "root"
            ],
            "links": [e["sha256"] for e in cert_entries if e["path"].startswith("certs/link-")],
        }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
    keyring = partners.keyring(ws)
    files[MANIFEST] = manifest_bytes
    files[MANIFEST_SIG] = keyring.sign_detached(manifest_bytes, officer, passphrase)
    sheet = verification_sheet(org, package_id, manifest_bytes, cert_entries, officer)
    files["verification-sheet.txt"] = sheet.encode()
    encrypted = keyring.encrypt_signed(
        tar_bytes(files), partner.pgp_fingerprint, officer, passphrase
    )
    stem = f"trust-package-{_slug(org)}-for-{_slug(partner.name)}-{created:%Y%m%d}-{package_id[:8]}"
    out_dir.mkdir(parents=True, exist_ok=True)
    package_path = out_dir / f"{stem}.tar.gpg"
    sheet_path = out_dir / f"{stem}.verification-sheet.txt"
    for final in (package_path, sheet_path):
        if final.exists():
            raise StorageError(f"{final} already exists; pkiadmin never overwrites a file.")
    # Written under hidden names and renamed after the commit: a kill leaves no package that
    # looks ready to send without a record of it (only a hidden .partial file at most).
    staged = [p.with_name(f".{p.name}.partial") for p in (package_path, sheet_path)]
    digest, manifest_digest = _sha(encrypted), _sha(manifest_bytes)
    try:
        with ws.db.atomic():
            for temp, data in zip(staged, (encrypted, sheet.encode()), strict=True):
                temp.unlink(missing_ok=True)
                atomicfile.write_new_file(temp, data, mode=0o644)
            ws.db.execute(
                "INSERT INTO packages (direction, partner_id, package_id, at, file, sha256, manifest_sha256, result, findings)"
                " VALUES ('sent', ?, ?, ?, ?, ?, ?, 'built', '[]')",
                (
                    partner.id,
                    package_id,
                    created.isoformat(),
                    str(package_path),
                    digest,
                    manifest_digest,
                ),
            )
            audit.append(
                ws.db,
                "package.build",
                {"partner_id": partner.id, "package_id": package_id},
                artefacts=(
                    audit.Artefact(str(package_path), digest),
                    audit.Artefact(str(sheet_path), _sha(sheet.encode())),
                    audit.Artefact(MANIFEST, manifest_digest),
                ),
                details={
                    "recipient": partner.pgp_fingerprint,
                    "signer": officer,
                    "files": sorted(files),
                },
            )
    except BaseException:
        for temp in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, final in zip(staged, (package_path, sheet_path), strict=True):
        temp.rename(final)
    return BuiltPackage(
        package_id, package_path, sheet_path, digest, manifest_digest, tuple(sorted(files))
    )


def _organisation(cert: x509.Certificate) -> str:
    values = cert.subject.get_attributes_for_oid(x509.oid.NameOID.ORGANIZATION_NAME)
    return str(values[0].value) if values else inventory.common_name(cert.subject)


def verification_sheet(
    org: str, package_id: str, manifest: bytes, certs: list[dict[str, Any]], signer: str
) -> str:
    """What the officers read aloud on the call: every value in grouped hex and PGP words."""
    digest = hashlib.sha256(manifest).digest()
    lines = [
        f"Trust package verification sheet — {org}",
        f"Package {package_id}",
        "",
        "Read each value aloud on a call to a number obtained independently; the other side compares.",
        "",
        "Manifest SHA-256:",
        f"  {fingerprint.grouped_hex(digest)}",
        f"  {' '.join(fingerprint.pgp_words(digest))}",
        "",
        "Signing OpenPGP key (primary fingerprint):",
        f"  {pgp.grouped(signer)}",
        f"  {' '.join(fingerprint.pgp_words(bytes.fromhex(signer)))}",
    ]
    for entry in certs:
        value = bytes.fromhex(entry["sha256"])
        lines += [
            "",
            f"CA certificate {entry['subject']} (SHA-256):",
            f"  {fingerprint.grouped_hex(value)}",
            f"  {' '.join(fingerprint.pgp_words(value))}",
        ]
    return "\n".join(lines) + "\n"


def _policy(
    org: str,
    package_id: str,
    created: datetime,
    held: tuple[authorities.Authority, ...],
    certs: dict[int, x509.Certificate],
    signer: str,
    periods: dict[int, int],
) -> str:
    rows = ["| CA | kind | key | valid until | path length |", "| --- | --- | --- | --- | --- |"]
    promises = []
    for a in held:
        cert = certs[a.id]
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        name, size = keys.describe(cert.public_key())  # type: ignore[arg-type]
        rows.append(
            f"| {a.name} | {a.kind} | {name} {size if name == 'RSA' else ''} | "
            f"{cert.not_valid_after_utc:%Y-%m-%d} | {bc.path_length if bc.path_length is not None else 'none'} |"
        )
        promises.append(
            f"- {a.name}: a new CRL at least every {periods[a.id]} days, and within 24 hours of a revocation."
        )
    return Template(read_text("certificate-policy-template.md")).substitute(
        organisation=org,
        package_id=package_id,
        created_at=created.isoformat(),
        ca_table="\n".join(rows),
        crl_promise="\n".join(promises),
        signer_fingerprint=pgp.grouped(signer),
    )
