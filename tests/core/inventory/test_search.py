"""Search and filters over the inventory: free text (FTS5) over names, SANs, serial and
fingerprint, and combinable structured filters, with the clock injected."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.cli.main import cli
from pkiadmin.core.inventory import certrecord, query
from pkiadmin.core.inventory import importer as bulk_import
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.inventory.certrecord import Source
from pkiadmin.core.inventory.query import Filter
from pkiadmin.core.workspace.folder import Workspace

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def leaf(
    cn: str, days: int, sans: list[x509.GeneralName], key: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    start = NOW - timedelta(days=30)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Partner Issuing CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(NOW + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )


def stocked(ws: Workspace, tmp_path: Path) -> dict[str, int]:
    key = ec.generate_private_key(ec.SECP256R1())
    certs = [
        leaf("web", 10, [x509.DNSName("web.partner.example")], key),
        leaf(
            "api",
            45,
            [x509.DNSName("api.partner.example"), x509.IPAddress(ipaddress.ip_address("10.1.2.3"))],
            key,
        ),
        leaf(
            "workload",
            200,
            [x509.UniformResourceIdentifier("spiffe://partner.example/ns/pay/sa/api")],
            key,
        ),
        leaf("old", -5, [x509.RFC822Name("ops@partner.example")], key),
    ]
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    assert bulk_import.import_paths(ws, [bundle]).imported == 4
    return {r.common_name: r.id for r in inventory.list_certificates(ws.db)}


def names(records: tuple[certrecord.CertRecord, ...]) -> set[str]:
    return {r.common_name for r in records}


def test_free_text_over_names_sans_serial_and_fingerprint(
    root_ws: Workspace, tmp_path: Path
) -> None:
    ids = stocked(root_ws, tmp_path)
    assert names(query.search(root_ws.db, Filter(text="api.partner"))) == {"api"}
    assert names(query.search(root_ws.db, Filter(text="10.1.2.3"))) == {"api"}
    assert names(query.search(root_ws.db, Filter(text="spiffe"))) == {"workload"}
    assert names(query.search(root_ws.db, Filter(text="ops@partner.example"))) == {"old"}
    web = inventory.get_record(root_ws.db, ids["web"])
    assert names(query.search(root_ws.db, Filter(text=web.serial_hex[:10]))) == {"web"}
    assert names(query.search(root_ws.db, Filter(text=web.sha256[:12]))) == {"web"}
    assert names(query.search(root_ws.db, Filter(text='nothing"like this'))) == set()


def test_structured_filters_combine(root_ws: Workspace, tmp_path: Path) -> None:
    ids = stocked(root_ws, tmp_path)
    db = root_ws.db
    assert names(query.search(db, Filter(expires_within_days=30), NOW)) == {"web"}
    assert names(query.search(db, Filter(expires_within_days=60), NOW)) == {"web", "api"}
    assert names(query.search(db, Filter(expired=True), NOW)) == {"old"}
    assert names(query.search(db, Filter(ca=True), NOW)) == {"Test Root CA"}
    assert names(query.search(db, Filter(source=Source.IMPORTED, issuer="Partner", expired=False), NOW)) == {
        "web", "api", "workload",
    }  # fmt: skip
    assert names(query.search(db, Filter(algorithm="EC P-384"))) == {"Test Root CA"}
    with root_ws.db.atomic():  # a revocation as if recorded for an imported certificate
        root_ws.db.execute(
            "INSERT INTO revocations (cert_id, ca_id, serial, revoked_at, reason, note, recorded_at)"
            " VALUES (?, 1, 'x', ?, 'superseded', '', ?)",
            (ids["api"], NOW.isoformat(), NOW.isoformat()),
        )
    assert names(query.search(db, Filter(revoked=True))) == {"api"}
    assert "api" not in names(query.search(db, Filter(revoked=False)))
    assert len(query.search(db, Filter(), limit=2)) == 2


def test_algorithm_counts_both_ways(
    root_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large match is counted as the rows less those before and after it in the key index: it
    must give the same number as counting the matches, for every algorithm and RSA size."""
    stocked(root_ws, tmp_path)
    db = root_ws.db
    keys = db.execute(
        "SELECT key_algorithm, key_size, COUNT(*) FROM certificates GROUP BY 1, 2"
    ).fetchall()
    wanted = {str(a): 0 for a, _, _ in keys} | {f"RSA {n}": 0 for a, n, _ in keys if a == "RSA"}
    for algorithm, size, n in keys:
        wanted[str(algorithm)] += int(n)
        if algorithm == "RSA":
            wanted[f"RSA {size}"] += int(n)
    wanted |= {"RSA 4096": 0, "Ed448": 0}
    for minimum in (1000, 1):  # counted directly; then by the complement whenever it can be
        monkeypatch.setattr(query, "ALGORITHM_COUNT_MIN", minimum)
        for algorithm, expected in wanted.items():
            assert query.count(db, Filter(algorithm=algorithm), NOW) == expected, algorithm
    assert len(wanted) >= 3


def test_cli_search_and_filters(root_ws_path: Path, tmp_path: Path) -> None:
    from pkiadmin.core.workspace import folder as workspace

    with workspace.open_workspace(root_ws_path) as ws:
        stocked(ws, tmp_path)
    runner = CliRunner()
    found = runner.invoke(
        cli, ["--workspace", str(root_ws_path), "cert", "list", "--search", "spiffe"]
    )
    assert found.exit_code == 0 and "CN=workload" in found.output and "CN=web" not in found.output
    combined = runner.invoke(
        cli,
        [
            "--workspace",
            str(root_ws_path),
            "cert",
            "list",
            "--filter",
            "ca=no",
            "--filter",
            "source=imported",
            "--json",
        ],
    )
    assert combined.exit_code == 0 and len(__import__("json").loads(combined.output)) == 4
    bad = runner.invoke(
        cli, ["--workspace", str(root_ws_path), "cert", "list", "--filter", "colour=red"]
    )
    assert bad.exit_code == 2 and "Unknown filter 'colour=red'" in bad.output
