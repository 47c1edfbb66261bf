"""Reason codes as the CA/Browser Forum Baseline Requirements 7.2.2 want them (pkilint does not
check this): a CA certificate is never revoked without a meaningful reason, and its CRL entry
always carries a reasonCode; an end entity's "unspecified" is the reasonCode left out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from tests.conftest import counts
from tests.core.issuance.test_end_entity import ISSUING, Hierarchy, issue, three_tiers

ISSUING_CA_CERT = 3  # three_tiers: root 1, policy CA 2, issuing CA 3


@pytest.fixture
def tiers(tmp_path: Path) -> Iterator[Hierarchy]:
    made = three_tiers(tmp_path / "ws")
    yield made
    made.ws.close()


def _entry(crl_obj: x509.CertificateRevocationList, serial: str) -> x509.RevokedCertificate:
    found = crl_obj.get_revoked_certificate_by_serial_number(int(serial, 16))
    assert found is not None
    return found


def test_a_ca_certificate_without_a_meaningful_reason_is_refused_with_the_br_reference(
    tiers: Hierarchy,
) -> None:
    before = counts(tiers.ws)
    with pytest.raises(ValidationError, match=r"Baseline Requirements 7\.2\.2") as refused:
        revocation.revoke(tiers.ws, ISSUING_CA_CERT, "unspecified")
    assert "Choose one of: keyCompromise, cACompromise" in str(refused.value)
    with pytest.raises(ValidationError, match="'privilegeWithdrawn'"):
        revocation.revoke(tiers.ws, ISSUING_CA_CERT, "privilegeWithdrawn")
    assert counts(tiers.ws) == before  # nothing recorded, nothing audited


def test_an_end_entity_cannot_be_revoked_for_a_ca_compromise(tiers: Hierarchy) -> None:
    leaf = issue(tiers, "tls-server", "www.example.com", [x509.DNSName("www.example.com")])
    with pytest.raises(ValidationError, match="'cACompromise' is for CA certificates"):
        revocation.revoke(tiers.ws, leaf.cert_id, "cACompromise")


def test_ca_entries_always_carry_a_reason_and_unspecified_leaves_are_left_without(
    tiers: Hierarchy,
) -> None:
    leaf = issue(tiers, "tls-server", "www.example.com", [x509.DNSName("www.example.com")])
    ca_revoked = revocation.revoke(tiers.ws, ISSUING_CA_CERT, "cessationOfOperation")
    leaf_revoked = revocation.revoke(tiers.ws, leaf.cert_id, "unspecified")
    arl = crl.issue(tiers.ws, tiers.policy_ca, ISSUING).signed.crl
    reason = _entry(arl, ca_revoked.serial).extensions.get_extension_for_class(x509.CRLReason)
    assert reason.value.reason is x509.ReasonFlags.cessation_of_operation
    leaf_crl = crl.issue(tiers.ws, tiers.issuing_ca, ISSUING).signed.crl
    assert x509.CRLReason not in {
        type(e.value) for e in _entry(leaf_crl, leaf_revoked.serial).extensions
    }


def test_a_ca_revocation_recorded_as_unspecified_before_still_gets_a_reason_code(
    tiers: Hierarchy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As an older pkiadmin recorded it (it asked for no meaningful reason then).
    monkeypatch.setattr(revocation, "check_reason", lambda _reason, _is_ca: None)
    old = revocation.revoke(tiers.ws, ISSUING_CA_CERT, "unspecified")
    monkeypatch.undo()
    draft = crl.prepare(tiers.ws, tiers.policy_ca)
    assert any("recorded with reason unspecified" in n for n in draft.notes)
    arl = crl.issue(tiers.ws, tiers.policy_ca, ISSUING).signed.crl
    reason = _entry(arl, old.serial).extensions.get_extension_for_class(x509.CRLReason)
    assert reason.value.reason is x509.ReasonFlags.unspecified


def test_the_pre_sign_check_finds_a_ca_entry_without_a_reason(tiers: Hierarchy) -> None:
    revoked = revocation.revoke(tiers.ws, ISSUING_CA_CERT, "superseded")
    draft = crl.prepare(tiers.ws, tiers.policy_ca)
    key = ec.generate_private_key(ec.SECP256R1())
    bare = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(x509.Name([]))
        .last_update(draft.this_update)
        .next_update(draft.next_update)
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(revoked.serial, 16))
            .revocation_date(revoked.revoked_at)
            .build()
        )
        .sign(key, hashes.SHA256())
    )
    assert crl.reasonless_ca_entries(bare, draft) == [revoked.serial.lstrip("0").upper()]
    signed = crl.builder(tiers.ws, draft, 99).sign(key, hashes.SHA256())
    assert crl.reasonless_ca_entries(signed, draft) == []


def test_the_cli_refuses_it_with_the_reason_and_no_traceback(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pkiadmin.cli.main import cli

    three_tiers(tmp_path / "ws").ws.close()
    done = CliRunner().invoke(
        cli,
        [
            "--workspace",
            str(tmp_path / "ws"),
            "cert",
            "revoke",
            "3",
            "--reason",
            "unspecified",
            "--yes",
        ],
    )
    assert done.exit_code == 1
    assert "Baseline Requirements 7.2.2" in done.output and "Traceback" not in done.output
