"""A retired CA signs CRLs but no certificate; its key is destroyed only when nothing it signed
is valid, or with a final CRL valid until the last expiry; the certificate of destruction is
signed by the key and verifies with openssl; afterwards no key material is left in the workspace
and the key is refused; an interrupted shredding is finished on the next open."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.keys import files as keys
from pkiadmin.core.lifecycle import retire
from pkiadmin.core.revocation import crl
from pkiadmin.core.workspace import folder as workspace
from tests.core.issuance.test_end_entity import ISSUING, Hierarchy, issue, three_tiers

pytestmark = pytest.mark.interop


@pytest.fixture
def tiers(tmp_path: Path) -> Iterator[Hierarchy]:
    made = three_tiers(tmp_path / "ws")
    yield made
    made.ws.close()


def test_a_retired_ca_signs_crls_only_and_its_key_is_destroyed_for_good(
    tiers: Hierarchy, tmp_path: Path
) -> None:
    ws = tiers.ws
    leaf = issue(tiers, "tls-server", "svc.example.com", [x509.DNSName("svc.example.com")])
    authority = authorities.get_authority(ws.db, tiers.issuing_ca)
    key_path = ws.keys_dir / authority.key_ref
    key_pem = key_path.read_bytes()
    key = keys.load_encrypted(key_path, ISSUING)
    private_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    scalar = key.private_numbers().private_value.to_bytes(48, "big")  # the secret itself
    with pytest.raises(ValidationError, match="Retire"):
        retire.destroy_key(ws, tiers.issuing_ca, ISSUING, ["Wanda Witness"])
    until = retire.retire(ws, tiers.issuing_ca, "the service moved to a new issuing CA")
    assert until == leaf.certificate.not_valid_after_utc
    with pytest.raises(ValidationError, match="was retired on .* signs CRLs only"):
        issue(tiers, "tls-server", "more.example.com", [x509.DNSName("more.example.com")])
    crl.issue(ws, tiers.issuing_ca, ISSUING)  # its CRLs go on

    with pytest.raises(ValidationError, match=r"valid until .* \(--final-crl\)"):
        retire.destroy_key(ws, tiers.issuing_ca, ISSUING, ["Wanda Witness"])
    done = retire.destroy_key(
        ws, tiers.issuing_ca, ISSUING, ["Wanda Witness", "Carl Custodian"],
        backups=["USB stick B-2 in safe 1"], final_crl=True,
    )  # fmt: skip
    final = crl.load(ws.db, crl.latest(ws.db, tiers.issuing_ca).id)  # type: ignore[union-attr]
    assert final.next_update_utc == leaf.certificate.not_valid_after_utc
    assert done.final_crl_number is not None

    assert not key_path.exists()
    holding = [
        p.relative_to(ws.path)
        for p in ws.path.rglob("*")
        if p.is_file() and any(k in p.read_bytes() for k in (key_pem, private_der, scalar))
    ]
    assert holding == []
    with pytest.raises(CheckFailedError, match="was destroyed on"):
        crl.issue(ws, tiers.issuing_ca, ISSUING)
    assert audit_replay.differences(ws.db) == ()

    text = done.statement.read_text()
    assert "CERTIFICATE OF DESTRUCTION" in text and "USB stick B-2 in safe 1" in text
    assert "Wanda Witness" in text
    public = tmp_path / "ca-public.pem"
    cert = x509.load_pem_x509_certificate((done.folder / retire.CA_CERT).read_bytes())
    public.write_bytes(
        cert.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    checked = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(public), "-signature", str(done.signature),
         str(done.statement)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.stdout.strip() == "Verified OK", checked.stderr
    assert "verifies" in retire.verify(done.folder, ws.db)
    done.statement.write_text(text.replace("Wanda", "Wendy"))
    with pytest.raises(CheckFailedError, match="does not verify"):
        retire.verify(done.folder, ws.db)


def test_an_interrupted_shredding_is_finished_on_open(tiers: Hierarchy) -> None:
    ws = tiers.ws
    authority = authorities.get_authority(ws.db, tiers.issuing_ca)
    key_path = ws.keys_dir / authority.key_ref
    saved = key_path.read_bytes()
    retire.retire(ws, tiers.issuing_ca, "test")
    retire.destroy_key(ws, tiers.issuing_ca, ISSUING, ["Wanda Witness"])
    key_path.write_bytes(saved)  # as if killed after the commit, before the shredding
    path = ws.path
    ws.close()
    with workspace.open_workspace(path) as reopened:
        assert any("was overwritten and removed" in n for n in reopened.notices)
        assert not key_path.exists()
        assert not (path / "keys" / "orphaned").exists()
        tiers.ws = reopened
        assert inventory.get_record(reopened.db, authority.cert_id)
    tiers.ws = workspace.open_workspace(path)
