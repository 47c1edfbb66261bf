"""A root rolled over in a witnessed key-use ceremony: the old key is unlocked before witnesses,
the new root and both links are stored, the new key is protected as the old one, and the report
is signed by both keys (ceremony verify-report and openssl dgst check both signatures); openssl
verify builds both paths through the links."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.keyuse import plan as keyuse_plan
from pkiadmin.core.ceremony.keyuse import report as keyuse_report
from pkiadmin.core.ceremony.keyuse import tasks
from pkiadmin.core.ceremony.keyuse.driver import drive
from pkiadmin.core.ceremony.keyuse.run import KeyUseRun
from pkiadmin.core.ceremony.plan_check import PlanError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
from pkiadmin.core.lifecycle import rollover
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import PASSPHRASE
from tests.keyuse_helpers import ScriptedRoom, rollover_plan

pytestmark = pytest.mark.interop


def _openssl(*args: str) -> str:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def test_a_witnessed_rollover_stores_the_new_root_and_a_report_signed_by_both(
    tmp_path: Path,
) -> None:
    with workspace.create(tmp_path / "ws") as ws:
        old = create_root_ca(
            ws,
            RootCaRequest(SubjectSpec("Example Root CA 2020", "Example Ltd", country="SE")),
            PASSPHRASE,
        )
        plan = keyuse_plan.parse(rollover_plan("Example Root CA 2020", "Example Root CA 2026"))
        run = KeyUseRun.start(ws, plan, tasks.for_plan(ws, plan))
        room = ScriptedRoom()
        result = drive(run, room)
        assert "New root:       CN=Example Root CA 2026,O=Example Ltd,C=SE" in room.shown
        new = authorities.get_authority(ws.db, result.stored["ca_id"])
        assert (new.kind, new.key_protection) == ("root", "passphrase")
        # The new key opens with the old root's passphrase: the same protection.
        authorities.unlock_key(ws, new, PASSPHRASE)
        assert audit_replay.differences(ws.db) == ()
        assert ceremony_store.get(ws.db, run.id).kind == "root-rollover"
        ages = {a.ca_id: a for a in rollover.key_ages(ws.db)}
        assert ages[new.id].source == "key ceremony"

        folder = result.report_dir
        verdict = keyuse_report.verify(folder)
        assert verdict.ok, verdict.problems
        assert any("also signed by the key of the CA in co-signer.pem" in c for c in verdict.checks)
        report = json.loads((folder / "report.json").read_text())
        assert report["co_signer"]["subject"] == "CN=Example Root CA 2026,O=Example Ltd,C=SE"
        for cert_file, sig in (
            ("signer.pem", "report.json.sig"),
            ("co-signer.pem", "report.json.co-sig"),
        ):
            pub = tmp_path / f"{cert_file}.pub"
            pub.write_text(_openssl("x509", "-in", str(folder / cert_file), "-pubkey", "-noout"))
            said = _openssl("dgst", "-sha384", "-verify", str(pub), "-signature", str(folder / sig),
                            str(folder / "report.json"))  # fmt: skip
            assert "Verified OK" in said, said

        old_pem, new_pem = folder / "signer.pem", folder / "new-root.pem"
        assert x509.load_pem_x509_certificate(new_pem.read_bytes()).subject.rfc4514_string() == (
            "CN=Example Root CA 2026,O=Example Ltd,C=SE"
        )
        link = folder / "new-root-by-old-root.pem"
        # The new root itself, as a relying party that trusts only the old root sees it.
        assert ": OK" in _openssl("verify", "-x509_strict", "-CAfile", str(old_pem), str(link))
        assert ": OK" in _openssl(
            "verify",
            "-x509_strict",
            "-CAfile",
            str(new_pem),
            str(folder / "old-root-by-new-root.pem"),
        )
        assert old.ca_id != new.id


def test_a_rollover_plan_is_checked_with_its_line() -> None:
    with pytest.raises(PlanError, match="line .*algorithm"):
        keyuse_plan.parse(rollover_plan("Old", "New", 'algorithm = "dsa-1024"'))
    text = keyuse_plan.template(keyuse_plan.KeyUseKind.ROOT_ROLLOVER)
    parsed = keyuse_plan.parse(text)
    assert parsed.rollover is not None and parsed.rollover.old_root == "Example Root CA 2020"


def test_the_new_root_needs_a_name_of_its_own(tmp_path: Path) -> None:
    with workspace.create(tmp_path / "ws") as ws:
        create_root_ca(
            ws, RootCaRequest(SubjectSpec("Same Root", "Example Ltd", country="SE")), PASSPHRASE
        )
        plan = keyuse_plan.parse(rollover_plan("Same Root", "Same Root"))
        with pytest.raises(ValidationError, match="a name of its own"):
            tasks.for_plan(ws, plan)
