"""Inventories for tests: certificates with chosen dates, and large inventories made quickly."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkiadmin.core.inventory import compliance
from pkiadmin.core.inventory import importer as bulk_import
from pkiadmin.core.workspace.folder import Workspace


def leaf(
    name: str,
    not_before: datetime,
    not_after: datetime,
    issuer_key: ec.EllipticCurvePrivateKey,
    serial: int,
    eku: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Issuing CA")]))
        .public_key(issuer_key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def import_certs(ws: Workspace, folder: Path, certs: list[x509.Certificate]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    bundle = folder / "bundle.pem"
    bundle.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    summary = bulk_import.import_paths(ws, [bundle])
    assert summary.imported == len(certs), summary.refused


def dated(ws: Workspace, folder: Path, now: datetime) -> dict[str, int]:
    """Certificates whose expiry is known relative to `now` (the dashboard's fixture)."""
    key = ec.generate_private_key(ec.SECP256R1())
    day = timedelta(days=1)
    plan = {
        "half-day": (now - 10 * day, now + day / 2),
        "two-days": (now - 10 * day, now + 2 * day),
        "five-days": (now - 10 * day, now + 5 * day),
        "ten-days": (now - 10 * day, now + 10 * day),
        "twenty-days": (now - 10 * day, now + 20 * day),
        "sixty-days": (now - 10 * day, now + 60 * day),
        "expired": (now - 40 * day, now - 3 * day),
        "future": (now + 5 * day, now + 200 * day),
    }
    certs = [
        leaf(f"{name}.example", start, end, key, 100 + i, eku=name != "sixty-days")
        for i, (name, (start, end)) in enumerate(plan.items())
    ]
    import_certs(ws, folder, certs)
    return {name: i + 1 for i, name in enumerate(plan)}


def large(ws: Workspace, folder: Path, now: datetime, real: int, rows: int) -> None:
    """`real` imported certificates, then synthetic SQL copies (new serials, names and
    fingerprints, the same DER) up to `rows` rows."""
    key = ec.generate_private_key(ec.SECP256R1())
    certs = [
        leaf(
            f"host{i}.example",
            now - timedelta(days=5),
            now + timedelta(days=1 + i % 400),
            key,
            10 + i,
        )
        for i in range(real)
    ]
    import_certs(ws, folder, certs)
    columns = (
        "issuer_hash, issuer_no, issuer, not_before, not_after, key_algorithm, key_size, signature_algorithm,"
        " sha1, ski, aki, is_ca, path_length, issuer_cert_id, source, added_at, key_usage, eku,"
        " policies, crl_urls, ocsp_urls, ca_issuers_urls"
    )
    round_ = 1
    with ws.db.atomic():
        while int(ws.db.execute("SELECT MAX(id) FROM certificates").fetchone()[0]) < rows:
            before = int(ws.db.execute("SELECT MAX(id) FROM certificates").fetchone()[0])
            ws.db.execute(
                f"INSERT INTO certificates (serial_hex, subject, common_name, sans, sha256, {columns})"  # noqa: S608
                f" SELECT printf('%04X', {round_}) || serial_hex, replace(subject, 'host', 'copy{round_}-'),"
                f" replace(common_name, 'host', 'copy{round_}-'), replace(sans, 'host', 'copy{round_}-'),"
                f" substr(sha256, 5) || printf('%04x', {round_}), {columns} FROM certificates"
                " WHERE id <= ? ORDER BY id LIMIT ?",
                (real, rows - before),
            )
            ws.db.execute(
                "INSERT INTO certificates_fts (rowid, subject, issuer, sans, serial_hex, sha256)"
                " SELECT id, subject, issuer, sans, serial_hex, sha256 FROM certificates WHERE id > ?",
                (before,),
            )
            ws.db.execute(
                "INSERT INTO certificate_der (cert_id, der) SELECT c.id, d.der FROM certificates c"
                " JOIN certificate_der d ON d.cert_id = (c.id - 1) % ? + 1 WHERE c.id > ?",
                (real, before),
            )
            compliance.record_findings(ws.db, before + 1, rows)
            round_ += 1
    ws.db.execute("ANALYZE")
