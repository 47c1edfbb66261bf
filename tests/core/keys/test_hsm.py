"""CA keys on a PKCS#11 token (SoftHSM2): generated there, never extractable, and every signing
path works with them; checked with openssl and pkilint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import PassphraseError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, intermediate, requests
from pkiadmin.core.issuance import root_on_token as token_root
from pkiadmin.core.issuance.root import RootCaRequest
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import pkcs11 as hsm
from pkiadmin.core.revocation import crl
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import TOKEN_PIN, counts, init_token
from tests.core.x509.test_csr import make_csr, pem


def root_on_token(
    ws: Workspace, token: str, algorithm: str = "ec-p384"
) -> token_root.TokenRootResult:
    request = RootCaRequest(
        SubjectSpec("Token Root CA", "Example Ltd", country="DE"),
        algorithm=keys.KeyAlgorithm.parse(algorithm),
    )
    return token_root.create_root_on_token(ws, request, hsm.KeyRef(token, "root-key"), TOKEN_PIN)


def openssl(*args: object) -> str:
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def test_root_intermediate_and_crl_signed_on_the_token(
    ws: Workspace, token: str, tmp_path: Path
) -> None:
    result = root_on_token(ws, token)
    assert result.key.attributes == {
        "CKA_SENSITIVE": True,
        "CKA_EXTRACTABLE": False,
        "CKA_ALWAYS_SENSITIVE": True,
        "CKA_NEVER_EXTRACTABLE": True,
        "CKA_LOCAL": True,
    }
    assert result.token.manufacturer == "SoftHSM project" and result.token.label == token
    assert list(ws.keys_dir.iterdir()) == []  # no key file: the key is on the token
    authority = authorities.get_authority(ws.db, result.ca_id)
    assert authority.on_token and authority.key_ref == f"pkcs11:token={token};object=root-key"

    record, _ = requests.import_csr(ws, pem(make_csr()), "issuing.csr")
    plan = intermediate.prepare(
        ws, result.ca_id, requests.load_request(ws, record.id), intermediate.IntermediateRequest()
    )
    issued = intermediate.sign(ws, plan, TOKEN_PIN, csr_id=record.id)
    assert all(report.ok for report in issued.lint)
    crl_issued = crl.issue(ws, result.ca_id, TOKEN_PIN)
    assert crl_issued.signed.lint_after.ok

    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(
        inventory.load_certificate(ws.db, 1).public_bytes(serialization.Encoding.PEM)
    )
    inter = tmp_path / "intermediate.pem"
    inter.write_bytes(issued.certificate.public_bytes(serialization.Encoding.PEM))
    crl_pem = tmp_path / "root.crl.pem"
    crl_pem.write_bytes(crl_issued.signed.crl.public_bytes(serialization.Encoding.PEM))
    assert (
        openssl("verify", "-x509_strict", "-check_ss_sig", "-CAfile", root_pem, root_pem)
        .strip()
        .endswith(": OK")
    )
    assert openssl("verify", "-x509_strict", "-CAfile", root_pem, inter).strip().endswith(": OK")
    assert "verify OK" in openssl("crl", "-in", crl_pem, "-CAfile", root_pem, "-noout")
    check = authorities.verify_key(ws, result.ca_id, TOKEN_PIN)
    assert check.name == "Token Root CA" and audit.verify(ws.db).ok


def test_the_private_key_value_cannot_be_read_from_the_token(ws: Workspace, token: str) -> None:
    from pkcs11 import Attribute, ObjectClass
    from pkcs11 import exceptions as p11

    root_on_token(ws, token)
    with hsm.session(None, token, TOKEN_PIN) as s:
        private = s.get_key(object_class=ObjectClass.PRIVATE_KEY, label="root-key")
        with pytest.raises(p11.AttributeSensitive):
            private[Attribute.VALUE]
    key = authorities.unlock_key(ws, authorities.get_authority(ws.db, 1), TOKEN_PIN)
    with pytest.raises(hsm.HsmError, match="cannot be extracted"):
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def test_rsa_root_on_the_token(ws: Workspace, token: str, tmp_path: Path) -> None:
    result = root_on_token(ws, token, "rsa-3072")
    assert result.key.algorithm == "RSA 3072"
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(
        inventory.load_certificate(ws.db, 1).public_bytes(serialization.Encoding.PEM)
    )
    assert (
        openssl("verify", "-x509_strict", "-check_ss_sig", "-CAfile", root_pem, root_pem)
        .strip()
        .endswith(": OK")
    )


def test_bad_token_situations_change_nothing(
    ws: Workspace, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(ws)
    request = RootCaRequest(SubjectSpec("Token Root CA", "Example Ltd", country="DE"))
    with pytest.raises(PassphraseError, match="The PIN of token .* is wrong"):
        token_root.create_root_on_token(ws, request, hsm.KeyRef(token, "k"), "0000-0000")
    with pytest.raises(hsm.HsmError, match="No token labelled 'absent' is present"):
        token_root.create_root_on_token(ws, request, hsm.KeyRef("absent", "k"), TOKEN_PIN)
    with pytest.raises(hsm.HsmError, match="No PKCS#11 module found at /nowhere.so"):
        hsm.module_path("/nowhere.so")
    assert counts(ws) == before
    root_on_token(ws, token)
    with (
        hsm.session(None, token, TOKEN_PIN) as s,
        pytest.raises(ValidationError, match="already holds an object labelled 'root-key'"),
    ):
        hsm.generate(s, "root-key", keys.KeyAlgorithm.EC_P256)

    from pkcs11 import exceptions as p11

    class LockedToken:  # SoftHSM2 has no PIN retry counter: stand in for a token that locked
        def open(self, **_kwargs: object) -> None:
            raise p11.PinLocked

    monkeypatch.setattr(hsm, "_find_token", lambda _lib, _label: LockedToken())
    with pytest.raises(hsm.HsmError, match="is locked after too many wrong PINs"):
        authorities.verify_key(ws, 1, TOKEN_PIN)


def test_a_key_removed_between_unlock_and_sign_signs_nothing(ws: Workspace, token: str) -> None:
    root = root_on_token(ws, token)
    record, _ = requests.import_csr(ws, pem(make_csr()), "issuing.csr")
    plan = intermediate.prepare(
        ws, root.ca_id, requests.load_request(ws, record.id), intermediate.IntermediateRequest()
    )
    key = intermediate.unlock_issuer_key(ws, root.ca_id, TOKEN_PIN)
    remove = (  # another program deletes the key from the token while pkiadmin holds it unlocked
        "from pkiadmin.core.issuance import root_on_token as token_root\n"
        "from pkiadmin.core.keys import pkcs11 as hsm\n"
        f"with hsm.session(None, {token!r}, {TOKEN_PIN!r}) as s:\n"
        "    token_root.destroy_generated(s, 'root-key')\n"
    )
    subprocess.run([sys.executable, "-c", remove], check=True)
    before = counts(ws)
    with pytest.raises(hsm.HsmError, match="is no longer on the token; nothing was signed"):
        intermediate.sign_certificate(ws, plan, key)
    assert counts(ws) == before
    assert requests.get(ws, record.id).status == "pending"


def test_an_aborted_ceremony_leaves_no_key_on_the_token(ws: Workspace, token: str) -> None:
    from pkiadmin.core.ceremony.root import plan as ceremony_plan
    from pkiadmin.core.ceremony.root.run import CeremonyRun
    from pkiadmin.core.ceremony.root.steps import Step
    from pkiadmin.core.ceremony.step_run import CeremonyError
    from tests.ceremony_helpers import DATA

    text = (
        (DATA / "ceremony-plan.toml")
        .read_text()
        .replace(
            'ski_method = "rfc7093"                   # rfc7093 or sha1',
            f'ski_method = "rfc7093"\nbackend = "pkcs11"\ntoken = "{token}"\nkey_label = "doomed"',
        )
    )
    run = CeremonyRun.start(ws, ceremony_plan.parse(text), rehearsal=True)
    run.review_plan()
    run.acknowledge(Step.PLAN_REVIEW, "Alice Administrator")
    run.acknowledge(Step.PLAN_REVIEW, "Ivan Internal")
    run.run_preflight("Ivan Internal", ["Carol Custodian", "Dave Custodian"], "test")
    run.acknowledge(Step.PREFLIGHT, "Alice Administrator")
    run.acknowledge(Step.PREFLIGHT, "Ivan Internal")
    with pytest.raises(CeremonyError, match="Root key generation failed: The PIN of token"):
        run.generate_key("9999-9999")
    facts = run.generate_key(TOKEN_PIN)
    assert run.token_facts is not None and run.token_facts["key_attributes"]["CKA_LOCAL"]
    # Another program lists the token's keys (its own login, so the ceremony's is untouched).
    listing = (
        "from pkiadmin.core.keys import pkcs11 as hsm\n"
        f"with hsm.session(None, {token!r}, {TOKEN_PIN!r}) as s:\n"
        "    print([k.spki_sha256 for k in hsm.list_keys(s)])\n"
    )

    def keys_on_token() -> str:
        return subprocess.run(
            [sys.executable, "-c", listing], check=True, capture_output=True, text=True
        ).stdout.strip()

    assert keys_on_token() == str([facts.spki_sha256])
    run.abort("fire alarm", "Alice Administrator")
    assert keys_on_token() == "[]"
    assert authorities.list_authorities(ws.db) == ()


def test_a_key_use_ceremony_with_a_token_ca_records_the_device(ws: Workspace, token: str) -> None:
    import json

    from pkiadmin.core.ceremony.keyuse import plan as keyuse_plan
    from pkiadmin.core.ceremony.keyuse import report as keyuse_report
    from pkiadmin.core.ceremony.keyuse import tasks as keyuse_tasks
    from pkiadmin.core.ceremony.keyuse.driver import drive
    from pkiadmin.core.ceremony.keyuse.run import KeyUseRun
    from tests.keyuse_helpers import PARTICIPANTS, ScriptedRoom

    root_on_token(ws, token)
    text = (
        '[ceremony]\nkind = "crl"\nid = "CRL-HSM"\npurpose = "re-sign"\ncps_reference = "CPS"\n'
        + PARTICIPANTS
    )
    plan = keyuse_plan.parse(text)
    result = drive(
        KeyUseRun.start(ws, plan, keyuse_tasks.for_plan(ws, plan)),
        ScriptedRoom(passphrases=["wrong PIN", TOKEN_PIN], retry=1),
    )
    assert keyuse_report.verify(result.report_dir).ok
    report = json.loads((result.report_dir / "report.json").read_text())
    unlocked = next(e for e in report["events"] if e["kind"] == "key-unlocked")
    assert unlocked["detail"]["token"]["manufacturer"] == "SoftHSM project"
    assert [f["step"] for f in report["failures"]] == ["unlock"]
    assert hsm.current_session(token) is None  # logged out once the ceremony finished


def test_listing_tokens_keeps_an_unlocked_key_unlocked(ws: Workspace, token: str) -> None:
    """A rescan of the slots finalizes the PKCS#11 module, which would log this process out of
    every token: it waits until no key is unlocked."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    root = root_on_token(ws, token)
    key = intermediate.unlock_issuer_key(ws, root.ca_id, TOKEN_PIN)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    inserted = init_token(token[:-1] + "x")  # a token that appears while the key is unlocked
    assert token in [t.label for t in hsm.list_tokens()]
    signature = key.sign(b"still unlocked", ec.ECDSA(hashes.SHA384()))
    key.public_key().verify(signature, b"still unlocked", ec.ECDSA(hashes.SHA384()))
    with pytest.raises(hsm.HsmError, match="is seen once that key is locked again"):
        hsm.open_session(None, inserted, TOKEN_PIN)
    hsm.release(key)
    assert inserted in [t.label for t in hsm.list_tokens()]
    with hsm.session(None, inserted, TOKEN_PIN) as s:
        assert hsm.list_keys(s) == ()
