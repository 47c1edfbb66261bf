"""Requests in the GUI: import (file and drop), findings, the signing dialog, and the CA tree."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from pkiadmin.gui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.gui.conftest import MessageLog
from tests.gui.test_main_window import fill_and_create


def csr_file(
    folder: Path,
    name: str,
    cn: str,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
) -> Path:
    key = key or ec.generate_private_key(ec.SECP384R1())
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Ltd"),
                    x509.NameAttribute(NameOID.COMMON_NAME, cn),
                ]
            )
        )
        .sign(key, hashes.SHA256())
    )
    path = folder / name
    path.write_bytes(request.public_bytes(serialization.Encoding.PEM))
    return path


def test_import_review_and_sign_a_csr(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, messages: MessageLog
) -> None:
    # GUI Root CA, O=Example Ltd, C=SE
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    window.request_ops.import_csr(csr_file(tmp_path, "online.csr", "Online Issuing CA"))
    page = window.requests
    assert window.stack.currentWidget() is page and page.model.rowCount() == 1
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(csr_file(tmp_path, "dropped.csr", "Dropped CA")))])
    page.dropEvent(
        QDropEvent(
            QPointF(5, 5),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    )
    assert page.model.rowCount() == 2
    window.request_ops.import_csr(
        csr_file(tmp_path, "weak.csr", "Weak CA", rsa.generate_private_key(65537, 1024))
    )
    assert "weak.csr was refused: The RSA key has 1024 bits" in messages.texts[-1]
    assert page.model.rowCount() == 2

    page.table.selectRow(
        page.model.rowCount() - 1
    )  # newest first: the first import is the last row
    selected = page.selected()
    assert selected is not None and selected.subject.startswith("CN=Online Issuing CA")
    assert "No findings" in page.details.toPlainText() and "PGP words" in page.details.toPlainText()
    page.sign_button.click()
    dialog = window.request_ops.sign_dialog
    assert dialog is not None and dialog.isVisible() and dialog.csr_id == 1
    assert not dialog.sign_button.isEnabled() and not dialog.checked.isEnabled()
    dialog.preview_button.click()
    text = dialog.text.toPlainText()
    assert (
        "Subject:      CN=Online Issuing CA,O=Example Ltd,C=SE" in text
        and "CA: TRUE, path length: 0" in text
    )
    dialog.checked.setChecked(True)
    dialog.secret.setText("not the passphrase, surely")
    dialog.sign_button.click()
    assert "The passphrase is wrong" in dialog.error.text()
    dialog.secret.setText(PASSPHRASE)
    dialog.sign_button.click()
    assert dialog.issued is not None
    assert (
        dialog.issued.certificate.subject.rfc4514_string()
        == "CN=Online Issuing CA,O=Example Ltd,C=SE"
    )
    statuses = {r.subject.split(",")[0]: r.status for r in page.model.records()}
    assert statuses == {"CN=Online Issuing CA": "signed", "CN=Dropped CA": "pending"}
    tree = window.authorities.tree
    root = tree.topLevelItem(0)
    assert root is not None and root.text(0) == "GUI Root CA"
    child = root.child(0)
    assert (
        child is not None
        and child.text(0) == "Online Issuing CA"
        and child.text(2) == "held elsewhere"
    )


def test_sign_a_service_csr_under_an_end_entity_profile(
    qtbot: QtBot, tmp_path: Path, messages: MessageLog
) -> None:
    from pkiadmin.core.workspace import folder as workspace
    from pkiadmin.gui.worker import InlineCaWorker
    from tests.core.issuance.test_end_entity import ISSUING, three_tiers

    path = tmp_path / "ws"
    three_tiers(path).ws.close()  # root, policy CA, issuing CA (id 3), all held here
    window = MainWindow(InlineCaWorker(path), path)
    qtbot.addWidget(window)
    window.show()
    window.request_ops.import_csr(csr_file(tmp_path, "api.csr", "api.example.com"))
    dialog = window.request_ops.open_sign_dialog(1)
    assert dialog is not None
    dialog.issuer.setCurrentIndex(dialog.issuer.findData(3))
    dialog.profile.setCurrentIndex(dialog.profile.findData("tls-server"))
    # The CA-only fields give way to the profile's validity in days, up to its cap.
    assert dialog.validity_days.value() == 90 and dialog.validity_days.maximum() == 397
    assert not dialog.eku.isVisibleTo(dialog) and dialog.validity_days.isVisibleTo(dialog)
    dialog.preview_button.click()
    text = dialog.text.toPlainText()
    assert "Profile:    tls-server" in text
    assert "SAN DNS:api.example.com: added (the CN must also be a SAN)" in text
    dialog.checked.setChecked(True)
    dialog.secret.setText(ISSUING)
    dialog.sign_button.click()
    assert dialog.issued is not None, dialog.error.text()
    cert = dialog.issued.certificate
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    with workspace.open_workspace(path) as ws:
        row = ws.db.execute(
            "SELECT profile FROM certificates WHERE id = ?", (dialog.issued.cert_id,)
        ).fetchone()
    assert row[0] == "tls-server"
    window.close()


def test_sign_a_folder_of_service_csrs(qtbot: QtBot, tmp_path: Path, messages: MessageLog) -> None:
    from pkiadmin.gui.worker import InlineCaWorker
    from tests.core.issuance.test_end_entity import ISSUING, csr_for, three_tiers

    path = tmp_path / "ws"
    three_tiers(path).ws.close()
    folder = tmp_path / "csrs"
    folder.mkdir()
    for n in range(3):
        request, _ = csr_for(f"svc{n}.example.com", [])
        (folder / f"svc{n}.csr").write_bytes(request.public_bytes(serialization.Encoding.PEM))
    wants_ca, _ = csr_for("sub.example.com", [], ca=True)
    (folder / "wants-ca.csr").write_bytes(wants_ca.public_bytes(serialization.Encoding.PEM))
    window = MainWindow(InlineCaWorker(path), path)
    qtbot.addWidget(window)
    window.show()
    dialog = window.request_ops.open_batch_dialog()
    dialog.folder.setText(str(folder))
    dialog.issuer.setCurrentIndex(dialog.issuer.findData(3))
    dialog.profile.setCurrentIndex(dialog.profile.findData("tls-server"))
    dialog.preview_button.click()
    text = dialog.text.toPlainText()
    assert "3 certificate(s):" in text and "- wants-ca.csr: The CSR asks for CA:TRUE" in text
    dialog.checked.setChecked(True)
    dialog.secret.setText(ISSUING)
    dialog.sign_button.click()
    assert dialog.outcome is not None and len(dialog.outcome.issued) == 3, dialog.error.text()
    assert "Signed 3 certificate(s); 1 left out." in messages.texts[-1]
    assert window.overview_data is not None
    assert sum(1 for r in window.requests.model.records() if r.status == "signed") == 3
    window.close()


def test_only_issuing_cas_are_offered_for_end_entity_certificates(
    qtbot: QtBot, tmp_path: Path, root_ws_path: Path
) -> None:
    """A root and a policy CA sign CAs only: the batch and key dialogs offer the issuing CA
    alone; with none, they say so at once and cannot go on."""
    from pkiadmin.gui.errors import NO_ISSUING_CA
    from pkiadmin.gui.worker import InlineCaWorker
    from tests.core.issuance.test_end_entity import three_tiers

    path = tmp_path / "ws"
    three_tiers(path).ws.close()
    window = MainWindow(InlineCaWorker(path), path)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.overview_data is not None)
    batch = window.request_ops.open_batch_dialog()
    offered = [batch.issuer.itemData(i) for i in range(batch.issuer.count())]
    assert offered == [3]  # tiers: 1 root, 2 policy CA, 3 issuing CA
    assert batch.preview_button.isEnabled()
    batch.reject()
    key_dialog = window.request_ops.open_issue_key_dialog()
    assert [key_dialog.issuer.itemData(i) for i in range(key_dialog.issuer.count())] == [3]
    key_dialog.reject()
    window.close()

    only_root = MainWindow(InlineCaWorker(root_ws_path), root_ws_path)
    qtbot.addWidget(only_root)
    only_root.show()
    qtbot.waitUntil(lambda: only_root.overview_data is not None)
    batch = only_root.request_ops.open_batch_dialog()
    assert batch.issuer.count() == 0
    assert batch.error.text() == NO_ISSUING_CA and not batch.error.isHidden()
    assert not batch.preview_button.isEnabled()
    key_dialog = only_root.request_ops.open_issue_key_dialog()
    assert key_dialog.error.text() == NO_ISSUING_CA
    assert not key_dialog.issue_button.isEnabled()
    only_root.close()
