"""Mass revocation is one operation: every certificate checked first, all stored with one audit
entry naming the SHA-256 of the batch's manifest (which the audit replay recomputes), whole or
nothing; the next CRL lists them all, linted by pkilint on a representative CRL and checked entry
by entry by pkiadmin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from pkiadmin.cli.main import cli
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import importer
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.keys import files as keys
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import audit
from pkiadmin.core.x509 import lint
from tests.core.issuance.test_end_entity import ISSUING, Hierarchy, three_tiers

COUNT = 1_200  # above crl.FULL_LINT_ENTRIES


@pytest.fixture
def tiers(tmp_path: Path) -> Iterator[Hierarchy]:
    made = three_tiers(tmp_path / "ws")
    issuing = authorities.get_authority(made.ws.db, made.issuing_ca)
    key = keys.load_encrypted(made.ws.keys_dir / issuing.key_ref, ISSUING)
    ca = inventory.load_certificate(made.ws.db, issuing.cert_id)
    public = keys.generate(keys.KeyAlgorithm.EC_P256).public_key()
    now = datetime.now(UTC) - timedelta(hours=1)
    pems = []
    for i in range(COUNT):
        cn = f"h{i}.example.com"
        pems.append(
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
            .sign(key, hashes.SHA384())
            .public_bytes(serialization.Encoding.PEM)
        )
    bundle = tmp_path / "issued.pem"
    bundle.write_bytes(b"".join(pems))
    assert importer.import_paths(made.ws, [bundle]).imported == COUNT
    yield made
    made.ws.close()


def test_a_mass_revocation_is_one_operation_and_reaches_the_next_crl(
    tiers: Hierarchy, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tiers.ws
    ids = revocation.select_for_revocation(ws.db, tiers.issuing_ca, None)
    assert len(ids) == COUNT
    before = len(audit.entries(ws.db))
    done = revocation.revoke_many(ws, ids, "keyCompromise", note="the issuing CA's HSM was lost")
    assert done.count == COUNT and done.by_ca == {"Example Ltd Issuing CA": COUNT}
    entries = audit.entries(ws.db)
    assert len(entries) == before + 1 and entries[-1].operation == "cert.revoke-batch"
    assert entries[-1].artefacts[0].sha256 == done.manifest_sha256
    assert audit_replay.differences(ws.db) == ()

    seen: list[int] = []
    real = lint.lint_crl

    def counting(crl_obj: x509.CertificateRevocationList, *args: object) -> lint.LintReport:
        seen.append(len(list(crl_obj)))
        return real(crl_obj, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(lint, "lint_crl", counting)
    issued = crl.issue(ws, tiers.issuing_ca, ISSUING)
    assert seen == [1]  # pkilint read one entry of the one shape these have
    assert len(list(issued.signed.crl)) == COUNT
    assert issued.signed.lint_after.profile.startswith(f"pkiadmin CRL entries ({COUNT:,} checked")

    ws.db.execute("UPDATE revocations SET reason = 'superseded' WHERE cert_id = ?", (ids[7],))
    ws.db.conn.commit()
    (difference,) = audit_replay.differences(ws.db)
    assert "the revocations of batch 1" in difference


def test_a_mass_revocation_is_whole_or_nothing(tiers: Hierarchy) -> None:
    ws = tiers.ws
    ids = revocation.select_for_revocation(ws.db, tiers.issuing_ca, None)
    root_id = authorities.get_authority(ws.db, 1).cert_id
    with pytest.raises(ValidationError, match=r"Nothing was revoked: certificate \d+ is a root"):
        revocation.revoke_many(ws, [*ids[:10], root_id], "keyCompromise")
    revocation.revoke(ws, ids[3], "superseded")
    with pytest.raises(ValidationError, match="is revoked already"):
        revocation.revoke_many(ws, ids[:10], "keyCompromise")
    assert len(revocation.list_revocations(ws.db)) == 1


def test_mass_revocation_from_a_file_of_serials(tiers: Hierarchy, tmp_path: Path) -> None:
    records = [
        inventory.get_record(tiers.ws.db, i)
        for i in revocation.select_for_revocation(tiers.ws.db, tiers.issuing_ca, None)[:25]
    ]
    serials = tmp_path / "serials.txt"
    serials.write_text("".join(f"{r.serial_hex}\n" for r in records))
    result = CliRunner().invoke(
        cli, ["--workspace", str(tiers.ws.path), "cert", "revoke", "--serials-file", str(serials),
              "--issued-by", str(tiers.issuing_ca), "--reason", "superseded", "--yes"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Recorded batch 1: 25 revocation(s) (Example Ltd Issuing CA: 25)" in result.output
