"""The Revocation section: the CRL calendar, revoking with the consequence spelled out, issuing and
exporting a CRL, and what the dashboard, the CA tree and the inventory then show."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pkiadmin.core.inventory import records as inventory
from pkiadmin.gui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.gui.conftest import MessageLog, wait_for_rows
from tests.gui.test_main_window import fill_and_create
from tests.gui.test_requests import csr_file


def _sign_one(window: MainWindow, tmp_path: Path) -> None:
    window.request_ops.import_csr(csr_file(tmp_path, "online.csr", "Online Issuing CA"))
    window.requests.table.selectRow(0)
    window.requests.sign_button.click()
    dialog = window.request_ops.sign_dialog
    assert dialog is not None
    dialog.preview_button.click()
    dialog.checked.setChecked(True)
    dialog.secret.setText(PASSPHRASE)
    dialog.sign_button.click()
    assert dialog.issued is not None


def test_revoke_issue_and_export_a_crl(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, messages: MessageLog
) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    _sign_one(window, tmp_path)
    page = window.revocation
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is page
    assert page.calendar.item(0, 1).text() == "no CRL"  # type: ignore[union-attr]
    assert "NO CRL" in window.dashboard.crl_list.text()

    window.revocation_ops.issue_crl(1, "a wrong passphrase, certainly")
    assert "The passphrase is wrong" in messages.texts[-1]
    assert page.crls.rowCount() == 0
    window.revocation_ops.issue_crl(1, PASSPHRASE)
    assert page.crls.rowCount() == 1 and page.calendar.item(0, 1).text() == "ok"  # type: ignore[union-attr]

    dialog = window.revocation_ops.open_revoke_dialog()
    assert dialog.certificate.count() == 1  # the intermediate; never the root itself
    assert "Online Issuing CA is a CA." in dialog.consequence.text()
    assert "cannot be undone" in dialog.consequence.text()
    # BR 7.2.2: a CA certificate is never revoked as unspecified, so it is not offered.
    offered = [dialog.reason.itemData(i) for i in range(dialog.reason.count())]
    assert "unspecified" not in offered and "cACompromise" in offered
    dialog.reason.setCurrentIndex(dialog.reason.findData("cessationOfOperation"))
    dialog.note.setText("decommissioned")
    qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)
    assert page.revocations.rowCount() == 1
    row = page.revocations.records()[0]
    assert row.reason == "cessationOfOperation" and row.pending
    assert page.calendar.item(0, 1).text() == "due soon"  # type: ignore[union-attr]
    assert "pending revocation of certificate 2" in window.dashboard.crl_list.text()
    wait_for_rows(qtbot, window, 2)
    model = window.certificates.model
    statuses = {
        model.row(i).record.id: model.index(i, 7).data()  # type: ignore[union-attr]
        for i in range(model.rowCount())
    }
    assert statuses[2] == "revoked"
    child = window.authorities.tree.topLevelItem(0).child(0)  # type: ignore[union-attr]
    assert child is not None and child.text(1).endswith("REVOKED")
    assert (
        window.revocation_ops.open_revoke_dialog().certificate.count() == 0
    )  # nothing left to revoke

    window.revocation_ops.issue_crl(1, PASSPHRASE)
    assert page.crls.rowCount() == 2 and not page.revocations.records()[0].pending
    page.crl_table.selectRow(0)  # newest first
    details = page.crl_details.text()
    assert details.startswith("CRL 2 of GUI Root CA") and f"serial {row.serial}" in details
    page.crl_table.selectRow(1)
    assert "no revoked certificates" in page.crl_details.text()
    out = tmp_path / "publish"
    out.mkdir()
    window.revocation_ops.export_crl(2, out)
    published = x509.load_der_x509_crl((out / "gui-root-ca.crl").read_bytes())
    assert [inventory.serial_hex(e.serial_number) for e in published] == [row.serial]


def test_ocsp_responses_from_the_revocation_section(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, messages: MessageLog
) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    _sign_one(window, tmp_path)
    page = window.revocation
    assert page.ocsp_button.isEnabled()
    folder = tmp_path / "responses"
    window.revocation_ops.sign_ocsp(1, folder, "not the passphrase")
    assert "The passphrase is wrong" in messages.texts[-1]
    assert not folder.exists()
    window.revocation_ops.sign_ocsp(1, folder, PASSPHRASE)
    assert (folder / "manifest.json").is_file()
    assert len(list((folder / "by-serial").iterdir())) == 1  # the intermediate the root signed
    header = page.calendar.horizontalHeaderItem(6)
    assert header is not None and header.text() == "OCSP valid until (UTC)"
    until = page.calendar.item(0, 6)
    assert until is not None and until.text() != "-"
    # A CRL signed now carries its OCSP responses with it.
    window.revocation_ops.issue_crl(1, PASSPHRASE)
    assert "OCSP response(s) into" in window.statusBar().currentMessage()

    # What a response says, shown with who signed it.
    (response,) = (folder / "by-serial").iterdir()
    window.revocation_ops.show_ocsp(response)
    assert "Status:          good" in messages.texts[-1]
    assert "Signature:       verified, by CN=GUI Root CA" in messages.texts[-1]
    garbage = tmp_path / "garbage.der"
    garbage.write_bytes(b"not a response")
    window.revocation_ops.show_ocsp(garbage)
    assert "not a DER OCSP response" in messages.texts[-1]


def test_a_delegated_responder_signs_from_the_gui(
    qtbot: QtBot, tmp_path: Path, messages: MessageLog
) -> None:
    from cryptography import x509 as cx509

    from pkiadmin.core.issuance import key_and_cert, profiles
    from pkiadmin.core.keys import files as keys
    from pkiadmin.gui.worker import InlineCaWorker
    from tests.core.issuance.test_end_entity import ISSUING, issue, three_tiers

    path = tmp_path / "ws"
    tiers = three_tiers(path)
    issue(tiers, "tls-server", "www.example.com", [cx509.DNSName("www.example.com")])
    bundle = key_and_cert.issue(
        tiers.ws, tiers.issuing_ca, profiles.get(tiers.ws.db, "ocsp-responder"),
        "Example OCSP Responder", [], keys.KeyAlgorithm.EC_P256, "responder file password",
        tmp_path / "responder", issuer_passphrase=ISSUING,
    )  # fmt: skip
    tiers.ws.close()
    window = MainWindow(InlineCaWorker(path), path)
    qtbot.addWidget(window)
    window.show()
    folder = tmp_path / "delegated"
    p12 = next(iter(bundle.files))
    window.revocation_ops.sign_ocsp(3, folder, None, None, (bundle.cert_id, p12, "wrong"), 7)
    assert "password is wrong" in messages.texts[-1] and not folder.exists()
    # Longer than the 30-day responder certificate: refused, saying why.
    window.revocation_ops.sign_ocsp(
        3, folder, None, None, (bundle.cert_id, p12, "responder file password"), 60
    )
    assert "not for the whole life of the responses" in messages.texts[-1]
    window.revocation_ops.sign_ocsp(
        3, folder, None, None, (bundle.cert_id, p12, "responder file password"), 7
    )
    manifest = (folder / "manifest.json").read_text()
    assert '"kind": "delegated"' in manifest
    window.close()
