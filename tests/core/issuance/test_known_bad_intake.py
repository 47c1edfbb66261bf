"""Known-bad keys are refused at CSR intake and again at every signing (BR 6.1.1.3), with the
reason and nothing stored; a blocklist is installed from a medium with its hash checked, and one
changed behind pkiadmin's back stops every signing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.issuance import batch, end_entity, profiles, requests
from pkiadmin.core.workspace import audit, blocklists
from tests.core.issuance.test_end_entity import ISSUING, Hierarchy, csr_for, three_tiers
from tests.known_bad_keys import fermat_key, roca_key, write_blocklist, write_metadata


@pytest.fixture(scope="module")
def tiers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hierarchy]:
    made = three_tiers(tmp_path_factory.mktemp("known-bad") / "ws")
    yield made
    made.ws.close()


def _pem(request: x509.CertificateSigningRequest) -> bytes:
    return request.public_bytes(serialization.Encoding.PEM)


def _counts(tiers: Hierarchy) -> tuple[int, int, int]:
    db = tiers.ws.db
    return (
        db.execute("SELECT COUNT(*) FROM csrs").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0],
    )


def test_a_roca_csr_is_refused_at_intake_and_nothing_is_stored(tiers: Hierarchy) -> None:
    request, _ = csr_for("roca.example.com", [x509.DNSName("roca.example.com")], key=roca_key())
    before = _counts(tiers)
    with pytest.raises(ValidationError) as refused:
        requests.import_csr(tiers.ws, _pem(request), "roca.csr")
    assert "roca.csr was refused" in str(refused.value)
    assert "ROCA flaw (CVE-2017-15361)" in str(refused.value)
    assert "BR 6.1.1.3" in str(refused.value)
    assert _counts(tiers) == before


def test_a_fermat_csr_in_a_batch_is_left_out_with_the_reason(
    tiers: Hierarchy, tmp_path: Path
) -> None:
    folder = tmp_path / "csrs"
    folder.mkdir()
    bad, _ = csr_for("close.example.com", [x509.DNSName("close.example.com")], key=fermat_key())
    good, _ = csr_for("fine.example.com", [x509.DNSName("fine.example.com")])
    (folder / "close.csr").write_bytes(_pem(bad))
    (folder / "fine.csr").write_bytes(_pem(good))
    plan = batch.plan_folder(
        tiers.ws, tiers.issuing_ca, folder, profiles.get(tiers.ws.db, "tls-server")
    )
    assert [i.source for i in plan.items] == ["fine.csr"]
    assert [name for name, _ in plan.refused] == ["close.csr"]
    assert "Fermat" in plan.refused[0][1]


def test_a_blocklisted_key_is_refused_at_intake_and_at_signing(
    tiers: Hierarchy, tmp_path: Path
) -> None:
    listed = ec.generate_private_key(ec.SECP256R1())
    early, _ = csr_for("early.example.com", [x509.DNSName("early.example.com")], key=listed)
    record, _ = requests.import_csr(tiers.ws, _pem(early), "early.csr")  # before the list
    path = write_blocklist(tmp_path / "blocklist.dat", [listed.public_key()])
    entry = blocklists.install(tiers.ws, path, write_metadata(tmp_path / "meta.json", path))
    assert entry.metadata_checked and entry.lists[26] == "rfc"
    last = audit.entries(tiers.ws.db)[-1]
    assert last.operation == "keys.blocklist-install"
    assert last.artefacts[0].sha256 == entry.sha256

    again, _ = csr_for("again.example.com", [x509.DNSName("again.example.com")], key=listed)
    with pytest.raises(ValidationError, match="blocklist 'rfc'"):
        requests.import_csr(tiers.ws, _pem(again), "again.csr")

    # The CSR taken in before the list was installed is refused when it is signed.
    plan = end_entity.prepare(
        tiers.ws,
        tiers.issuing_ca,
        requests.load_request(tiers.ws, record.id),
        profiles.get(tiers.ws.db, "tls-server"),
    )
    before = _counts(tiers)
    with pytest.raises(CheckFailedError, match="Nothing was signed"):
        end_entity.sign(tiers.ws, plan, ISSUING, csr_id=record.id)
    assert _counts(tiers)[1] == before[1]
    blocklists.remove(tiers.ws, entry.name)
    assert blocklists.installed(tiers.ws) == ()


def test_a_blocklist_changed_behind_pkiadmins_back_stops_intake(
    tiers: Hierarchy, tmp_path: Path
) -> None:
    path = write_blocklist(tmp_path / "other.dat", [])
    entry = blocklists.install(tiers.ws, path)
    assert not entry.metadata_checked
    stored = tiers.ws.path / blocklists.FOLDER / entry.file_name
    data = bytearray(stored.read_bytes())
    data[:16] = bytes(16)  # one record replaced: same size, other content
    stored.write_bytes(bytes(data))
    request, _ = csr_for("svc.example.com", [x509.DNSName("svc.example.com")])
    with pytest.raises(CheckFailedError, match="other.dat .* was changed since it was installed"):
        requests.import_csr(tiers.ws, _pem(request), "svc.csr")
    stored.unlink()
    with pytest.raises(CheckFailedError, match="is missing"):
        blocklists.installed(tiers.ws)
    blocklists.remove(tiers.ws, entry.sha256)
    requests.import_csr(tiers.ws, _pem(request), "svc.csr")


def test_a_blocklist_whose_hash_its_metadata_does_not_name_is_not_installed(
    tiers: Hierarchy, tmp_path: Path
) -> None:
    path = write_blocklist(tmp_path / "blocklist.dat", [])
    metadata = write_metadata(tmp_path / "meta.json", path, sha256="ab" * 32)
    before = _counts(tiers)
    with pytest.raises(ValidationError, match="damaged or not the one published"):
        blocklists.install(tiers.ws, path, metadata)
    (tmp_path / "unsorted.dat").write_bytes(b"\xff" * 16 + b"\x00" * 16)
    with pytest.raises(ValidationError, match="not sorted"):
        blocklists.install(tiers.ws, tmp_path / "unsorted.dat")
    assert _counts(tiers) == before
    assert blocklists.recorded(tiers.ws) == []
    assert list((tiers.ws.path / blocklists.FOLDER).iterdir()) == []
