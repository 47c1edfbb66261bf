"""Signing a service certificate (here a delegated OCSP responder) as a witnessed key-use
ceremony: the witness sees every profile decision, the certificate is stored with its profile
and a signed report, and openssl accepts what was issued."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from pkiadmin.core.base.errors import NotFoundError, ValidationError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.keyuse import plan as keyuse_plan
from pkiadmin.core.ceremony.keyuse import report as keyuse_report
from pkiadmin.core.ceremony.keyuse import tasks as keyuse_tasks
from pkiadmin.core.ceremony.keyuse.driver import drive
from pkiadmin.core.ceremony.keyuse.run import KeyUseRun
from pkiadmin.core.ceremony.plan_check import PlanError
from pkiadmin.core.ceremony.script import CeremonyAbortedError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import requests
from pkiadmin.core.workspace import audit
from tests.conftest import counts
from tests.core.issuance.test_end_entity import ISSUING, Hierarchy, csr_for, three_tiers
from tests.keyuse_helpers import ScriptedRoom, end_entity_plan

ISSUER = "Example Ltd Issuing CA"


@pytest.fixture
def tiers(tmp_path: Path) -> Iterator[Hierarchy]:
    made = three_tiers(tmp_path / "ws")
    yield made
    made.ws.close()


def _import(tiers: Hierarchy) -> requests.CsrRecord:
    request, _ = csr_for("Example Ltd OCSP Responder", [])
    record, _ = requests.import_csr(
        tiers.ws, request.public_bytes(serialization.Encoding.PEM), "ocsp.csr"
    )
    return record


def _start(tiers: Hierarchy, text: str) -> KeyUseRun:
    plan = keyuse_plan.parse(text)
    return KeyUseRun.start(tiers.ws, plan, keyuse_tasks.for_plan(tiers.ws, plan))


def test_a_witnessed_ocsp_responder_certificate_is_stored_with_a_verifiable_report(
    tiers: Hierarchy, tmp_path: Path
) -> None:
    record = _import(tiers)
    run = _start(tiers, end_entity_plan(ISSUER, record.sha256))
    room = ScriptedRoom(passphrases=[ISSUING])
    result = drive(run, room)

    cert_id = result.stored["cert_id"]
    assert requests.get(tiers.ws, record.id).cert_id == cert_id
    # The witness saw the profile, the exact certificate and every decision before signing.
    assert any(line.startswith("Profile:      ocsp-responder") for line in room.shown)
    assert any(line.startswith("Serial:") for line in room.shown)
    assert "    ocspNoCheck: added (the profile's responder rule)" in room.shown
    entry = next(e for e in audit.entries(tiers.ws.db) if e.operation == "ca.sign-end-entity")
    assert entry.details["mode"] == "ceremony" and entry.details["witnessed"] is True
    assert entry.objects["ceremony_id"] == run.id and entry.objects["profile"] == "ocsp-responder"
    assert ceremony_store.get(tiers.ws.db, run.id).kind == "sign-end-entity"
    assert audit.verify(tiers.ws.db).ok
    row = tiers.ws.db.execute("SELECT profile FROM certificates WHERE id = ?", (cert_id,))
    assert row.fetchone()[0] == "ocsp-responder"

    folder = result.report_dir
    assert sorted(p.name for p in folder.iterdir()) == [
        "certificate.pem",
        "chain.pem",
        "fullchain.pem",
        "plan.toml",
        "report.html",
        "report.json",
        "report.json.sig",
        "signer.pem",
    ]
    verdict = keyuse_report.verify(folder)
    assert verdict.ok, verdict.problems
    report = json.loads((folder / "report.json").read_text())
    signing = next(s for s in report["steps"] if s["step"] == "signing")["result"]
    assert signing["profile"] == "ocsp-responder"
    # pkilint's OCSP responder lints ran and found nothing at WARNING or above.
    assert isinstance(signing["cabf_lint"], list)
    assert all(f.startswith(("INFO", "NOTICE", "DEBUG")) for f in signing["cabf_lint"])
    # openssl: the responder chains to the root with the chain file the report holds.
    root = tmp_path / "root.pem"
    root.write_bytes(tiers.root.public_bytes(serialization.Encoding.PEM))
    verify = subprocess.run(
        [
            "openssl", "verify", "-x509_strict", "-CAfile", str(root),
            "-untrusted", str(folder / "chain.pem"), str(folder / "certificate.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert verify.stdout.strip().endswith(": OK"), verify.stderr
    cert = x509.load_pem_x509_certificate((folder / "certificate.pem").read_bytes())
    assert cert == inventory.load_certificate(tiers.ws.db, cert_id)
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert ExtensionOID.OCSP_NO_CHECK in {e.oid for e in cert.extensions}
    fullchain = (folder / "fullchain.pem").read_bytes()
    assert fullchain.startswith((folder / "certificate.pem").read_bytes())
    assert tiers.root.public_bytes(serialization.Encoding.PEM) not in fullchain


def test_a_csr_fingerprint_that_does_not_match_stores_nothing(tiers: Hierarchy) -> None:
    record = _import(tiers)
    run = _start(tiers, end_entity_plan(ISSUER, record.sha256))
    before = counts(tiers.ws)[:2]
    with pytest.raises(CeremonyAbortedError):
        drive(run, ScriptedRoom(passphrases=[ISSUING], review_matches=False))
    assert counts(tiers.ws)[:2] == before
    assert requests.get(tiers.ws, record.id).status == "pending"
    assert ceremony_store.get(tiers.ws.db, run.id).status.value == "aborted"


@pytest.mark.parametrize(
    ("extra", "profile", "message"),
    [
        ('permitted_dns = ["example.com"]', "tls-server", "line 19, [signing] permitted_dns does not belong"),
        ("", "issuing", "[signing] profile must name an end-entity profile"),
        ("validity_days = 0", "tls-server", "[signing] validity_days must be between"),
    ],
)  # fmt: skip
def test_a_plan_that_mixes_in_ca_settings_is_refused_with_the_line(
    extra: str, profile: str, message: str
) -> None:
    with pytest.raises(PlanError, match=message.replace("[", r"\[").replace("]", r"\]")):
        keyuse_plan.parse(end_entity_plan(ISSUER, "ab" * 32, profile, extra))


def test_an_unknown_profile_or_a_root_issuer_is_refused_before_anything_is_recorded(
    tiers: Hierarchy,
) -> None:
    record = _import(tiers)
    before = len(ceremony_store.list_ceremonies(tiers.ws.db))
    unknown = keyuse_plan.parse(end_entity_plan(ISSUER, record.sha256, "no-such-profile"))
    with pytest.raises(NotFoundError, match="There is no end-entity profile 'no-such-profile'"):
        keyuse_tasks.for_plan(tiers.ws, unknown)
    root = keyuse_plan.parse(end_entity_plan("Example Ltd Root CA", record.sha256))
    with pytest.raises(ValidationError, match="is a root CA: a root signs CAs only"):
        keyuse_tasks.for_plan(tiers.ws, root)
    assert len(ceremony_store.list_ceremonies(tiers.ws.db)) == before


def test_the_template_parses_and_says_what_it_signs() -> None:
    text = keyuse_plan.template(keyuse_plan.KeyUseKind.SIGN_END_ENTITY)
    plan = keyuse_plan.parse(text, "template.toml")
    assert plan.end_entity is not None and plan.end_entity.profile == "ocsp-responder"
    assert "Profile:       ocsp-responder (end entity), the profile's validity" in (
        plan.summary_lines()
    )
