"""Certificates issued elsewhere whose keys are known to be bad are imported with the compliance
finding 'known-bad-key' (BR 6.1.1.3): a ROCA key and a Fermat key by arithmetic, a published key
through the workspace's blocklist, also when the import runs in worker processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from pkiadmin.core.inventory import compliance
from pkiadmin.core.inventory import importer as bulk_import
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.workspace import folder as workspace
from tests.known_bad_keys import fermat_key, roca_key, write_blocklist

NOW = datetime.now(UTC)


def _cert(name: str, key: object, signer: ec.EllipticCurvePrivateKey, serial: int) -> bytes:
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Elsewhere CA")]))
        .public_key(key)  # type: ignore[arg-type]
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(signer, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def _flagged(ws: workspace.Workspace) -> dict[str, str]:
    rows = ws.db.execute(
        "SELECT c.common_name, c.known_bad FROM certificates c JOIN cert_findings f"
        " ON f.cert_id = c.id AND f.code = 'known-bad-key'"
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def test_roca_and_fermat_keys_are_flagged_and_sound_ones_are_not(tmp_path: Path) -> None:
    signer = ec.generate_private_key(ec.SECP256R1())
    files = {
        "roca.pem": _cert("roca.example", roca_key().public_key(), signer, 1),
        "fermat.pem": _cert("fermat.example", fermat_key().public_key(), signer, 2),
        "sound.pem": _cert(
            "sound.example", rsa.generate_private_key(65537, 2048).public_key(), signer, 3
        ),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with workspace.create(tmp_path / "ws") as ws:
        summary = bulk_import.import_paths(ws, [tmp_path / n for n in files])
        assert summary.imported == 3
        assert _flagged(ws) == {"roca.example": "roca", "fermat.example": "fermat"}
        assert compliance.summary(ws.db, NOW)["known-bad-key"] == 2


def test_a_blocklisted_key_is_flagged_in_a_bundle_read_by_worker_processes(
    tmp_path: Path,
) -> None:
    signer = ec.generate_private_key(ec.SECP256R1())
    published = ec.generate_private_key(ec.SECP256R1()).public_key()
    count = bulk_import.PARALLEL_MIN + 10
    sound = ec.generate_private_key(ec.SECP256R1()).public_key()
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(
        b"".join(
            _cert(f"h{i}.example", published if i == count - 3 else sound, signer, 10 + i)
            for i in range(count)
        )
    )
    with workspace.create(tmp_path / "ws") as ws:
        blocklists.install(ws, write_blocklist(tmp_path / "blocklist.dat", [published]))
        summary = bulk_import.import_paths(ws, [bundle])
        assert summary.imported == count
        assert _flagged(ws) == {f"h{count - 3}.example": "blocklist"}
