"""The inventory's fields, compliance findings and policy, the dashboard's figures (clock
injected), exports of views, index.txt for openssl, metadata, and the schema 9 -> 10 upgrade."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkiadmin.core.base.errors import StorageError, ValidationError
from pkiadmin.core.exchange import partners
from pkiadmin.core.inventory import (
    certrecord,
    compliance,
    compliance_report,
    dashboard,
    metadata,
    query,
    view_export,
)
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import openssl_index
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import audit, schema
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.workspace.folder import Workspace
from tests.conftest import counts
from tests.core.revocation.test_crl import issue_intermediate
from tests.core.x509.test_csr import VECTORS
from tests.inventory_helpers import dated, import_certs

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


def rich_leaf(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, days: int = 90
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rich.example")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some CA")]))
        .public_key(key.public_key())
        .serial_number(77)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=days))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), True)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("2.23.140.1.2.1"), None)]), False)
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier("http://crl.example/ca.crl")], None, None, None)]), False)
        .add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://ocsp.example")),
            x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://ca.example/ca.der")),
        ]), False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("rich.example"), x509.UniformResourceIdentifier("spiffe://example/ns/a")]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip


def test_every_field_is_stored(ws: Workspace, tmp_path: Path) -> None:
    import_certs(ws, tmp_path / "in", [rich_leaf(ec.generate_private_key(ec.SECP256R1()))])
    r = inventory.list_certificates(ws.db)[0]
    assert r.eku == "serverAuth clientAuth"
    assert r.key_usage == "digitalSignature keyEncipherment"
    assert r.policies == "2.23.140.1.2.1"
    assert (r.crl_urls, r.ocsp_urls, r.ca_issuers_urls) == (
        "http://crl.example/ca.crl", "http://ocsp.example", "http://ca.example/ca.der",
    )  # fmt: skip
    assert r.sans == "dns:rich.example uri:spiffe://example/ns/a"
    assert (r.key_algorithm, r.key_size, r.serial_hex) == ("EC P-256", 256, "4D")


def test_compliance_findings_and_a_policy_change(ws: Workspace, tmp_path: Path) -> None:
    weak = rsa.generate_private_key(65537, 1024)
    import_certs(ws, tmp_path / "a", [rich_leaf(weak, days=800)])  # RSA 1024, 801 days
    md5 = x509.load_pem_x509_certificate((VECTORS / "v1_cert.pem").read_bytes())
    import_certs(ws, tmp_path / "c", [md5])  # MD5 and RSA 512, expired in 1995, no extensions
    dated(ws, tmp_path / "b", NOW)
    ids = {r.common_name: r.id for r in inventory.list_certificates(ws.db)}
    assert compliance.findings_of(ws.db, ids["rich.example"], NOW) == ("weak-key", "long-validity")
    old = inventory.get_record(ws.db, max(ids.values()) - 8).id
    assert compliance.findings_of(ws.db, old, NOW) == (
        "weak-key", "weak-signature", "no-eku", "no-san", "expired",
    )  # fmt: skip
    assert compliance.findings_of(ws.db, ids["sixty-days.example"], NOW) == ("no-eku",)
    assert compliance.findings_of(ws.db, ids["expired.example"], NOW) == ("expired",)
    assert compliance.findings_of(ws.db, ids["future.example"], NOW) == ("not-yet-valid",)
    summary = compliance.summary(ws.db, NOW)
    assert summary["weak-key"] == 2 and summary["no-eku"] == 2 and summary["expired"] == 2
    # A stricter policy: every finding recomputed, audited; a bad value changes nothing.
    with pytest.raises(ValidationError, match="positive whole number"):
        compliance_report.set_policy(ws, compliance.Policy(max_end_entity_days=0))
    compliance_report.set_policy(ws, compliance.Policy(min_ec_bits=384, max_end_entity_days=1000))
    assert compliance.summary(ws.db, NOW)["weak-key"] == 10  # every P-256 key too
    assert compliance.summary(ws.db, NOW)["long-validity"] == 0
    assert audit.entries(ws.db)[-1].operation == "compliance.policy"
    assert query.count(ws.db, query.Filter(finding="long-validity"), NOW) == 0


def test_issued_here_but_not_in_the_audit_log_is_a_finding(root_ws: Workspace) -> None:
    cert_id = issue_intermediate(root_ws)
    assert compliance.findings_of(root_ws.db, cert_id, datetime.now(UTC)) == ()
    with root_ws.db.atomic():  # as if someone had inserted a certificate behind pkiadmin's back
        sneaked = inventory.insert_certificate(
            root_ws.db, rich_leaf(ec.generate_private_key(ec.SECP256R1())), certrecord.Source.ISSUED
        )
    assert "not-audited" in compliance.findings_of(root_ws.db, sneaked, datetime.now(UTC))


def test_dashboard_figures_for_known_dates(ws: Workspace, tmp_path: Path) -> None:
    dated(ws, tmp_path / "in", NOW)
    stats = dashboard.stats(ws.db, NOW)
    assert stats.total == 8
    assert [(f.label, f.count) for f in stats.statuses] == [
        ("Valid", 6), ("Expired", 1), ("Not yet valid", 1), ("Revoked", 0),
    ]  # fmt: skip
    assert [f.count for f in stats.thresholds] == [1, 2, 3, 4, 5]
    assert [m.count for m in stats.months] == [5, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert stats.months[0].start == NOW and stats.months[1].start == datetime(
        2027, 4, 1, tzinfo=UTC
    )
    # Each figure's filter lists exactly what it counts.
    for figure in (*stats.statuses, *stats.thresholds, *stats.compliance):
        assert query.count(ws.db, figure.filter, NOW) == figure.count
    for month in stats.months:
        assert query.count(ws.db, month.filter, NOW) == month.count


def test_the_valid_count_is_exact_when_statuses_overlap(root_ws: Workspace, tmp_path: Path) -> None:
    """Valid is counted as the rows less three disjoint parts (expired; not yet valid; revoked):
    it must equal the Valid filter's own count when a certificate is in two of them."""
    dated(root_ws, tmp_path / "in", NOW)
    by_name = {r.common_name: r.id for r in inventory.list_certificates(root_ws.db)}
    revocation.revoke(root_ws, issue_intermediate(root_ws), "superseded")  # valid at NOW
    revocation.revoke(root_ws, issue_intermediate(root_ws, "Second Issuing CA"), "superseded")
    with root_ws.db.atomic():
        # A validity that ends before it starts (cryptography's builder will not make one, but
        # such certificates exist): expired and not yet valid at once.
        root_ws.db.execute(
            "UPDATE certificates SET not_before = ?, not_after = ? WHERE id = ?",
            ((NOW + timedelta(days=1)).isoformat(), (NOW - timedelta(days=1)).isoformat(),
             by_name["ten-days.example"]),
        )  # fmt: skip
        # Revoked and expired as well: the intermediate issued last.
        second = max(r.id for r in inventory.list_certificates(root_ws.db))
        root_ws.db.execute(
            "UPDATE certificates SET not_after = ? WHERE id = ?",
            ((NOW - timedelta(days=2)).isoformat(), second),
        )
    stats = dashboard.stats(root_ws.db, NOW)
    revoked = {int(r[0]) for r in root_ws.db.execute("SELECT cert_id FROM revocations")}
    expected = sum(
        1
        for r in inventory.list_certificates(root_ws.db)
        if r.not_before <= NOW <= r.not_after and r.id not in revoked
    )
    assert stats.statuses[0].label == "Valid" and stats.statuses[0].count == expected
    assert [f.count for f in stats.statuses[1:]] == [3, 2, 2]  # expired, not yet valid, revoked
    for figure in stats.statuses:
        assert query.count(root_ws.db, figure.filter, NOW) == figure.count


def test_view_export_csv_and_json(ws: Workspace, tmp_path: Path) -> None:
    ids = dated(ws, tmp_path / "in", NOW)
    partners.add(ws, "acme", "Acme Corp")
    metadata.set_metadata(ws, ids["two-days"], metadata.MetadataChange(
        service="=HYPERLINK(\"http://evil\")", partner="acme", tags="a, b  a",
    ))  # fmt: skip
    out = tmp_path / "soon.csv"
    result = view_export.export_view(
        ws, query.Filter(expires_within_days=7), view_export.ViewFormat.CSV, out, NOW
    )
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert result.rows == 3 and [r["common_name"] for r in rows] == [
        "five-days.example", "two-days.example", "half-day.example",
    ]  # fmt: skip
    two = rows[1]
    assert two["service"].startswith("'=")  # never a live formula in a spreadsheet
    assert (two["partner"], two["tags"], two["status"]) == ("acme", "a b", "valid")
    out_json = tmp_path / "all.json"
    view_export.export_view(ws, query.Filter(), view_export.ViewFormat.JSON, out_json, NOW)
    data = json.loads(out_json.read_text())
    assert len(data) == 8 and {d["findings"] for d in data} >= {
        "no-eku",
        "expired",
        "not-yet-valid",
    }
    with pytest.raises(StorageError, match="never overwrites"):
        view_export.export_view(ws, query.Filter(), view_export.ViewFormat.JSON, out_json, NOW)
    assert audit.entries(ws.db)[-2].operation == "cert.export-view"


def test_compliance_report_in_three_formats(ws: Workspace, tmp_path: Path) -> None:
    dated(ws, tmp_path / "in", NOW)
    for fmt in compliance_report.ReportFormat:
        out = tmp_path / f"report.{fmt.value}"
        report = compliance_report.write(ws, fmt, out, NOW)
        assert report.total == 8 and len(report.findings) == 3
    assert json.loads((tmp_path / "report.json").read_text())["counts"]["no-eku"] == 1
    assert "sixty-days.example" in (tmp_path / "report.csv").read_text()
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_metadata_is_validated_and_audited(ws: Workspace, tmp_path: Path) -> None:
    ids = dated(ws, tmp_path / "in", NOW)
    before = counts(ws)
    for change, message in (
        (metadata.MetadataChange(note="x" * 3000), "longer than"),
        (metadata.MetadataChange(service="a\x00b"), "control characters"),
        (metadata.MetadataChange(partner="nobody"), "nobody"),
        (metadata.MetadataChange(), "Nothing to change"),
    ):
        with pytest.raises(Exception, match=message):
            metadata.set_metadata(ws, ids["ten-days"], change)
    assert counts(ws) == before
    record = metadata.set_metadata(
        ws, ids["ten-days"], metadata.MetadataChange(environment="staging", owner_team="web")
    )
    assert (record.environment, record.owner_team) == ("staging", "web")
    assert query.count(ws.db, query.Filter(environment="staging"), NOW) == 1
    entry = audit.entries(ws.db)[-1]
    assert entry.operation == "cert.metadata" and entry.details["after"]["environment"] == "staging"
    metadata.set_metadata(ws, ids["ten-days"], metadata.MetadataChange(environment=""))
    assert query.count(ws.db, query.Filter(environment="staging"), NOW) == 0


def test_index_txt_rebuilds_an_openssl_ca_database(root_ws: Workspace, tmp_path: Path) -> None:
    first = issue_intermediate(root_ws, "Issuing CA One")
    second = issue_intermediate(root_ws, "Issuing CA Two")
    revocation.revoke(root_ws, second, "keyCompromise")
    out = tmp_path / "ca" / "index.txt"
    out.parent.mkdir()
    assert openssl_index.write_index_txt(root_ws, 1, out) == 2
    lines = [line.split("\t") for line in out.read_text().splitlines()]
    one, two = (inventory.get_record(root_ws.db, i) for i in (first, second))
    assert (
        lines[0][0] == "V"
        and lines[0][3] == one.serial_hex
        and lines[0][5].endswith("/CN=Issuing CA One")
    )
    assert lines[1][0] == "R" and lines[1][2].endswith("Z,keyCompromise")
    (out.parent / "openssl.cnf").write_text(
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\n", encoding="utf-8"
    )
    for record, expected in ((one, "Valid (V)"), (two, "Revoked (R)")):
        shown = subprocess.run(
            ["openssl", "ca", "-config", "openssl.cnf", "-status", record.serial_hex],
            cwd=out.parent, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert f"{record.serial_hex}={expected}" in shown.stdout + shown.stderr


def test_schema_9_workspace_is_upgraded_with_every_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old"
    cert = rich_leaf(ec.generate_private_key(ec.SECP256R1()))
    der = cert.public_bytes(serialization.Encoding.DER)
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:9])
        m.setattr(schema, "SCHEMA_VERSION", 9)
        with workspace.create(path) as old, old.db.atomic():
            old.db.execute(
                "INSERT INTO certificates (serial_hex, issuer_hash, subject, issuer, common_name, not_before,"
                " not_after, key_algorithm, key_size, signature_algorithm, sha256, sha1, is_ca, source,"
                " added_at, der) VALUES ('4D', 'x', ?, 'CN=Some CA', 'rich.example', ?, ?, 'EC P-256', 256,"
                " 'ecdsa-with-SHA256', ?, 'y', 0, 'imported', ?, ?)",
                (cert.subject.rfc4514_string(), cert.not_valid_before_utc.isoformat(),
                 cert.not_valid_after_utc.isoformat(), hashlib.sha256(der).hexdigest(), NOW.isoformat(), der),
            )  # fmt: skip
    with workspace.open_workspace(path) as upgraded:
        assert schema.user_version(upgraded.db) == schema.SCHEMA_VERSION
        r = inventory.list_certificates(upgraded.db)[0]
        assert (r.eku, r.sans) == (
            "serverAuth clientAuth",
            "dns:rich.example uri:spiffe://example/ns/a",
        )
        assert inventory.load_certificate(upgraded.db, r.id) == cert
        assert query.count(upgraded.db, query.Filter(text="spiffe"), NOW) == 1
        assert query.count(upgraded.db, query.Filter(issuer="Some"), NOW) == 1
        assert audit.verify(upgraded.db).ok
