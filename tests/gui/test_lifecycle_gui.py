"""Authorities → Lifecycle in the GUI: renew a CA with the same key (what will be signed shown
first, then its issuer's key), retire a CA, destroy a retired CA's key before witnesses and check
the certificate of destruction; a refusal is shown, not swallowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.conftest import PASSPHRASE
from tests.core.issuance.test_end_entity import ISSUING, three_tiers
from tests.gui.conftest import MessageLog, accept_confirmations, shown_window
from tests.interop.test_adopt_openssl import NEW, OLD_ROOT, Hft, hft  # noqa: F401 - the fixture


def test_renew_retire_destroy_and_verify(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, messages: MessageLog
) -> None:
    tiers = three_tiers(tmp_path / "ws")
    tiers.ws.close()
    window = shown_window(qtbot, tmp_path / "ws")
    shown = accept_confirmations(monkeypatch)
    secret = [PASSPHRASE]
    monkeypatch.setattr(
        "pkiadmin.gui.dialogs.unlock.QInputDialog.getText", lambda *_a, **_k: (secret[0], True)
    )
    ops = window.lifecycle_ops
    # A CSR of the policy CA, signed by its key, for a partner's cross-signature.
    ops.make_csr(tiers.policy_ca, tmp_path / "cross.csr", ISSUING)
    assert "Wrote" in messages.texts[-1] and "PGP words:" in messages.texts[-1]
    assert b"BEGIN CERTIFICATE REQUEST" in (tmp_path / "cross.csr").read_bytes()
    messages.texts.clear()
    ops.renew(tiers.issuing_ca, 400)  # the issuing CA, signed by the policy CA
    assert shown and "Example Ltd Issuing CA" in shown[0]
    assert messages.texts == [
        "The passphrase is wrong (the key file could not be decrypted). Try again."
    ]  # shown, and nothing signed
    secret[0] = ISSUING  # the policy CA's key is what signs the renewal
    ops.renew(tiers.issuing_ca, 400)
    assert window.statusBar().currentMessage().startswith("Renewed Example Ltd Issuing CA")

    ops.retire(tiers.issuing_ca, "replaced by a new issuing CA")
    assert "is retired" in window.statusBar().currentMessage()
    ops.destroy_key(tiers.issuing_ca, ISSUING, ["Wendy Witness"], ["USB stick 2"])
    assert any("The key of Example Ltd Issuing CA is destroyed." in t for t in messages.texts)
    assert any("Destroy by hand, before the witnesses: USB stick 2" in t for t in messages.texts)
    (folder,) = (tmp_path / "ws" / "exports" / "retired").iterdir()
    ops.verify_destruction(folder)
    assert messages.texts[-1] == (
        "The certificate of destruction of CN=Example Ltd Issuing CA,O=Example Ltd,C=SE verifies."
    )
    window.close()


def test_a_service_certificate_is_renewed_from_a_new_csr(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from pkiadmin.core.inventory import records as inventory
    from pkiadmin.core.workspace import folder as workspace
    from tests.core.issuance.test_end_entity import csr_for, issue

    tiers = three_tiers(tmp_path / "ws")
    old = issue(tiers, "tls-server", "www.example.com", [x509.DNSName("www.example.com")])
    tiers.ws.close()
    request, _key = csr_for("anything.example.org", [x509.DNSName("anything.example.org")])
    (tmp_path / "next.csr").write_bytes(request.public_bytes(serialization.Encoding.PEM))
    window = shown_window(qtbot, tmp_path / "ws")
    shown = accept_confirmations(monkeypatch)
    monkeypatch.setattr(
        "pkiadmin.gui.dialogs.unlock.QInputDialog.getText", lambda *_a, **_k: (ISSUING, True)
    )
    window.lifecycle_ops.renew_certificate(old.cert_id, tmp_path / "next.csr")
    # The successor keeps the old names (the CSR brings only its key), and says so first.
    assert "DNS:www.example.com" in shown[0] and "anything.example.org" not in shown[0]
    status = window.statusBar().currentMessage()
    assert status.endswith(f"the successor of certificate {old.cert_id}."), status
    with workspace.open_workspace(tmp_path / "ws") as ws:
        new_id = int(status.split()[2].rstrip(","))
        assert (
            ws.db.execute("SELECT renews FROM certificates WHERE id = ?", (new_id,)).fetchone()[0]
            == old.cert_id
        )
        assert inventory.get_record(ws.db, new_id).common_name == "www.example.com"
    window.close()


def test_a_key_made_here_leaves_only_as_an_encrypted_pkcs12(
    qtbot: QtBot, tmp_path: Path, messages: MessageLog
) -> None:
    import subprocess

    tiers = three_tiers(tmp_path / "ws")
    tiers.ws.close()
    window = shown_window(qtbot, tmp_path / "ws")
    dialog = window.request_ops.open_issue_key_dialog()
    qtbot.waitUntil(lambda: dialog.profile.count() > 0, timeout=10_000)
    dialog.issuer.setCurrentIndex(dialog.issuer.findData(tiers.issuing_ca))
    dialog.profile.setCurrentIndex(dialog.profile.findData("tls-server"))
    dialog.common_name.setText("rehearsal.example.com")
    dialog.sans.setText("DNS:rehearsal.example.com bogus:thing")
    dialog.password.setText("export password for the test")
    dialog.confirmation.setText("export password for the test")
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.unlock.secret.setText(ISSUING)
    dialog.issue()
    assert "'bogus:thing' is not DNS:name" in dialog.error.text() and dialog.isVisible()
    dialog.sans.setText("DNS:rehearsal.example.com")
    dialog.issue()
    assert dialog.made is not None, dialog.error.text()
    assert any("Wrote " in t and ".p12" in t for t in messages.texts)
    (p12,) = (tmp_path / "out").glob("*.p12")
    opened = subprocess.run(
        ["openssl", "pkcs12", "-in", str(p12), "-nodes", "-passin", "pass:export password for the test"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert opened.returncode == 0 and "PRIVATE KEY" in opened.stdout
    assert not list((tmp_path / "ws" / "keys").glob("*rehearsal*"))  # the key is not kept
    window.close()


def test_an_openssl_ca_is_adopted_from_the_gui(
    qtbot: QtBot,
    tmp_path: Path,
    messages: MessageLog,
    hft: Hft,  # noqa: F811 - the fixture
) -> None:
    """An `openssl ca` root (the HFT recipe of the interop test) adopted through File → Adopt:
    what will be adopted is shown first; the key is re-encrypted under the new passphrase."""
    window = shown_window(qtbot, tmp_path / "ws")
    dialog = window.authority_ops.open_adopt_dialog()
    dialog.preview()
    assert "Choose the CA's certificate and its private key." in dialog.error.text()
    dialog.paths["cert"].setText(str(hft.root / "certs/ca.cert.pem"))
    dialog.paths["key"].setText(str(hft.root / "private/ca.key.pem"))
    dialog.paths["index"].setText(str(hft.root / "index.txt"))
    dialog.old_secret.setText(OLD_ROOT)
    dialog.preview()
    assert "Adopt root CA 'HFT Trading Root CA'" in dialog.text.toPlainText(), dialog.error.text()
    assert dialog.adopt_button.isEnabled()
    dialog.secret.setText(NEW)
    dialog.confirmation.setText(NEW)
    dialog.adopt()
    assert dialog.adopted is not None, dialog.error.text()
    assert (
        "Adopted CA 1 (certificate 1): 1 issued certificate(s), 0 revocation(s)"
        in messages.texts[-1]
    )
    qtbot.waitUntil(
        lambda: bool(window.overview_data and window.overview_data.authorities), timeout=10_000
    )
    window.close()
