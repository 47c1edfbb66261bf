"""Renewing an intermediate with the same key: the successor has the same subject, key, key
identifier and constraints; the CA goes on under it, linked to what it replaces; certificates
issued before and after build chains through either certificate (openssl verify); the calendar
says when a renewal is due; a root is not renewed this way."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, intermediate
from pkiadmin.core.lifecycle import renew
from pkiadmin.core.revocation import crl
from tests.core.issuance.test_end_entity import ISSUING, Hierarchy, issue, three_tiers

pytestmark = pytest.mark.interop


@pytest.fixture
def tiers(tmp_path: Path) -> Iterator[Hierarchy]:
    made = three_tiers(tmp_path / "ws")
    yield made
    made.ws.close()


def _pem(path: Path, *certs: x509.Certificate) -> str:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return str(path)


def _verify(tiers: Hierarchy, tmp: Path, issuing: x509.Certificate, leaf: x509.Certificate) -> str:
    policy = inventory.load_certificate(
        tiers.ws.db, authorities.get_authority(tiers.ws.db, tiers.policy_ca).cert_id
    )
    done = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-CAfile", _pem(tmp / "root.pem", tiers.root),
         "-untrusted", _pem(tmp / "chain.pem", issuing, policy), _pem(tmp / "leaf.pem", leaf)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


def test_the_renewed_issuing_ca_goes_on_with_its_key(tiers: Hierarchy, tmp_path: Path) -> None:
    ws = tiers.ws
    before = issue(tiers, "tls-server", "old.example.com", [x509.DNSName("old.example.com")])
    old_id = authorities.get_authority(ws.db, tiers.issuing_ca).cert_id
    old = inventory.load_certificate(ws.db, old_id)
    found = renew.plan(ws, tiers.issuing_ca, 3 * 365)
    said = renew.describe(ws, found)
    assert f"replaces certificate {old_id}" in said and "basicConstraints: kept" in said
    done = renew.sign(ws, found, ISSUING)
    new = done.certificate
    assert authorities.get_authority(ws.db, tiers.issuing_ca).cert_id == done.cert_id
    assert (new.subject, new.public_key(), new.serial_number != old.serial_number) == (
        old.subject, old.public_key(), True,
    )  # fmt: skip
    ski = x509.SubjectKeyIdentifier
    assert new.extensions.get_extension_for_class(ski) == old.extensions.get_extension_for_class(
        ski
    )
    assert new.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    renews = ws.db.execute("SELECT renews FROM certificates WHERE id = ?", (done.cert_id,))
    assert renews.fetchone()[0] == old_id
    assert audit_replay.differences(ws.db) == ()

    after = issue(tiers, "tls-server", "new.example.com", [x509.DNSName("new.example.com")])
    for issuing in (old, new):
        for leaf in (before.certificate, after.certificate):
            assert ": OK" in _verify(tiers, tmp_path, issuing, leaf)
    signed = crl.issue(ws, tiers.issuing_ca, ISSUING)
    assert crl.get(ws.db, signed.crl_id).ca_id == tiers.issuing_ca  # signed under the new one
    assert audit_replay.differences(ws.db) == ()


def test_renewals_fall_due_with_a_third_of_the_validity_left(tiers: Hierarchy) -> None:
    ws = tiers.ws
    (issuing,) = [
        r for r in renew.renewals(ws.db, include_later=True) if r.ca_id == tiers.issuing_ca
    ]
    early = renew.renewals(ws.db, issuing.due - timedelta(days=1))
    assert tiers.issuing_ca not in [r.ca_id for r in early]
    due = renew.renewals(ws.db, issuing.due + timedelta(days=1))
    assert tiers.issuing_ca in [r.ca_id for r in due]
    lifetime = issuing.not_after - issuing.not_before
    assert abs((issuing.not_after - issuing.due) - lifetime / 3) < timedelta(seconds=1)
    intermediate.set_ca_settings(ws, tiers.issuing_ca, {"renew_at": ["0.5"]})
    (half,) = [r for r in renew.renewals(ws.db, include_later=True) if r.ca_id == tiers.issuing_ca]
    assert abs((half.not_after - half.due) - lifetime / 2) < timedelta(seconds=1)
    with pytest.raises(ValidationError, match="not a fraction between 0 and 1"):
        intermediate.set_ca_settings(ws, tiers.issuing_ca, {"renew_at": ["3"]})


def test_a_root_is_not_renewed_by_re_signing(tiers: Hierarchy) -> None:
    root_ca = next(a for a in authorities.list_authorities(tiers.ws.db) if a.kind == "root")
    with pytest.raises(ValidationError, match="renewed by a rollover"):
        renew.plan(tiers.ws, root_ca.id, 365)


def test_what_the_ca_issued_before_its_renewal_is_still_its_own(tiers: Hierarchy) -> None:
    """Mass revocation and the end of a retired CA's CRLs count the certificates it signed
    under the certificate its renewal replaced."""
    from pkiadmin.core.lifecycle import retire
    from pkiadmin.core.revocation import records as revocation

    ws = tiers.ws
    before = issue(tiers, "tls-server", "old.example.com", [x509.DNSName("old.example.com")])
    renew.sign(ws, renew.plan(ws, tiers.issuing_ca, 3 * 365), ISSUING)
    assert revocation.select_for_revocation(ws.db, tiers.issuing_ca, None) == [before.cert_id]
    assert retire.crl_until(ws.db, tiers.issuing_ca) == before.certificate.not_valid_after_utc
    done = revocation.revoke_many(ws, [before.cert_id], "superseded")
    assert done.count == 1 and audit_replay.differences(ws.db) == ()
