"""Checking a CA key passphrase: right, wrong, missing or replaced key files."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.base.errors import CheckFailedError, NotFoundError, PassphraseError
from pkiadmin.core.issuance import authorities
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from tests.conftest import PASSPHRASE, counts


def test_right_passphrase_is_confirmed_and_audited(root_ws: Workspace) -> None:
    check = authorities.verify_key(root_ws, 1, PASSPHRASE)
    assert check.name == "Test Root CA"
    entry = audit.entries(root_ws.db)[-1]
    assert (entry.seq, entry.operation, entry.objects) == (
        check.audit_seq,
        "ca.verify-key",
        {"ca_id": 1, "cert_id": 1},
    )
    assert audit.verify(root_ws.db).ok


def test_wrong_passphrase_is_a_clear_error_and_changes_nothing(root_ws: Workspace) -> None:
    before = counts(root_ws)
    with pytest.raises(PassphraseError, match="The passphrase is wrong"):
        authorities.verify_key(root_ws, 1, "this is not the passphrase")
    assert counts(root_ws) == before


def test_unknown_ca_and_missing_key_file(root_ws: Workspace) -> None:
    with pytest.raises(NotFoundError, match="There is no CA with id 7"):
        authorities.verify_key(root_ws, 7, PASSPHRASE)
    (key_file,) = root_ws.keys_dir.iterdir()
    key_file.rename(root_ws.path / "elsewhere.pem")
    with pytest.raises(NotFoundError, match=r"is missing\. Restore it from the key backup"):
        authorities.verify_key(root_ws, 1, PASSPHRASE)


def test_replaced_key_file_is_detected(root_ws: Workspace) -> None:
    (key_file,) = root_ws.keys_dir.iterdir()
    other = keys.encrypt_pkcs8(ec.generate_private_key(ec.SECP384R1()), PASSPHRASE, rounds=1000)
    key_file.write_bytes(other)
    with pytest.raises(CheckFailedError, match="does not belong to the certificate"):
        authorities.verify_key(root_ws, 1, PASSPHRASE)
