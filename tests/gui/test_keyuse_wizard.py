"""A sign-intermediate key-use ceremony in the GUI wizard, and a CRL ceremony, clicked through."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from pkiadmin.core.ceremony.keyuse import report as keyuse_report
from pkiadmin.core.ceremony.keyuse.run import KeyUseResult
from pkiadmin.gui.main_window import MainWindow
from pkiadmin.gui.wizard import keyuse_pages as kp
from pkiadmin.gui.wizard.wizard import CeremonyWizard
from tests.conftest import PASSPHRASE
from tests.gui.test_ceremony_wizard import acknowledge, next_page
from tests.gui.test_main_window import fill_and_create
from tests.gui.test_requests import csr_file
from tests.keyuse_helpers import PARTICIPANTS, rollover_plan, signing_plan


def _prepared(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> Path:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    window.request_ops.import_csr(csr_file(tmp_path, "online.csr", "Online Issuing CA"))
    digest = window.requests.model.records()[0].sha256
    plan = tmp_path / "sign.toml"
    plan.write_text(signing_plan("GUI Root CA", digest))
    return plan


def test_signing_ceremony_in_the_wizard(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.ceremony_ops.start_ceremony(_prepared(qtbot, window, tmp_path), rehearsal=False)
    wizard = window.ceremony_ops.ceremony_wizard
    assert wizard is not None and wizard.isVisible()
    nxt = wizard.button(QWizard.WizardButton.NextButton)
    page = wizard.currentPage()
    assert isinstance(page, kp.KeyUsePlanPage)
    page.matches.click()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, kp.KeyUsePreflightPage) and page.present == {}
    page.waiver.setText("the test machine has a network")
    page.run_button.click()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, kp.ReviewPage)
    assert "Subject:      CN=Online Issuing CA,O=Example Ltd,C=SE" in page.text.toPlainText()
    assert "the CSR's SHA-256" in page.compare_label.text()
    page.buttons.mismatch_button.click()
    assert "does not match" in page.error.text()
    assert not nxt.isEnabled()
    page.buttons.match_button.click()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, kp.UnlockPage)
    field = page.fields[1][0]
    field.setText("certainly not the passphrase")
    page.unlock_button.click()
    assert "The passphrase is wrong" in page.error.text() and field.text() == ""
    field.setText(PASSPHRASE)
    page.unlock_button.click()
    assert "Every key needed is unlocked" in page.state.text()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, kp.KeyUseSigningPage)
    page.sign_button.click()
    assert "intermediate CA certificate: certificate.pem" in page.result.toPlainText()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, kp.OutputsFingerprintPage)
    assert "intermediate CA certificate:" in page.words.text()
    page.buttons.match_button.click()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, kp.KeyUseSignOffPage)
    for box in page.boxes.values():
        box.click()
    wizard.next()
    result = wizard.finish_page.result
    assert isinstance(result, KeyUseResult), wizard.finish_page.error.text()
    assert keyuse_report.verify(result.report_dir).ok
    report = json.loads((result.report_dir / "report.json").read_text())
    assert [f["step"] for f in report["failures"]] == ["review", "unlock"]
    wizard.accept()
    assert window.requests.model.records()[0].status == "signed"
    record = window.ceremonies.model.records()[0]
    assert record.kind == "sign-intermediate" and record.status.value == "completed"


def test_crl_ceremony_in_the_wizard(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    plan = tmp_path / "crl.toml"
    plan.write_text(
        '[ceremony]\nkind = "crl"\nid = "CRL-1"\npurpose = "re-sign"\ncps_reference = "CPS"\n'
        + PARTICIPANTS
    )
    wizard, review, signed = _walk(window, plan)
    assert "CRL of 'GUI Root CA' (CA certificates only)" in review
    assert "CRL 1 of GUI Root CA: 0 entries" in signed
    assert isinstance(wizard.finish_page.result, KeyUseResult)
    wizard.accept()
    assert window.revocation.crls.rowCount() == 1
    assert window.revocation.crls.records()[0].ceremony_id == 1


def test_root_rollover_ceremony_in_the_wizard(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """The same wizard runs a root rollover: the review names both roots and the links, the
    three certificates are read aloud, and the report is signed by both keys."""
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    plan = tmp_path / "rollover.toml"
    plan.write_text(rollover_plan("GUI Root CA", "GUI Root CA 2026"))
    wizard, shown, signed = _walk(window, plan)
    assert "New root:       CN=GUI Root CA 2026,O=Example Ltd,C=SE" in shown
    assert "Link 1:         the new root's name and key, signed by the old root's key" in shown
    assert "new-root-by-old-root.pem" in signed
    result = wizard.finish_page.result
    assert isinstance(result, KeyUseResult), wizard.finish_page.error.text()
    verdict = keyuse_report.verify(result.report_dir)
    assert verdict.ok and any("co-signer.pem" in c for c in verdict.checks)
    wizard.accept()
    window.refresh()
    assert window.overview_data is not None
    names = [a.name for a in window.overview_data.authorities]
    assert names == ["GUI Root CA", "GUI Root CA 2026"]


def _walk(window: MainWindow, plan: Path) -> tuple[CeremonyWizard, str, str]:
    """A key-use ceremony through the wizard with the root's passphrase, every step
    acknowledged, to the finished report: (wizard, what the review showed, what signing
    showed)."""
    window.ceremony_ops.start_ceremony(plan, rehearsal=False)
    wizard = window.ceremony_ops.ceremony_wizard
    assert wizard is not None
    page = wizard.currentPage()
    page.matches.click()  # type: ignore[attr-defined]
    acknowledge(wizard, page)  # type: ignore[arg-type]
    page = next_page(wizard)
    page.waiver.setText("test")  # type: ignore[attr-defined]
    page.run_button.click()  # type: ignore[attr-defined]
    acknowledge(wizard, page)
    page = next_page(wizard)
    assert isinstance(page, kp.ReviewPage)
    review = page.text.toPlainText()
    page.buttons.match_button.click()
    acknowledge(wizard, page)
    page = next_page(wizard)
    assert isinstance(page, kp.UnlockPage)
    page.fields[1][0].setText(PASSPHRASE)
    page.unlock_button.click()
    acknowledge(wizard, page)
    page = next_page(wizard)
    assert isinstance(page, kp.KeyUseSigningPage)
    page.sign_button.click()
    signed = page.result.toPlainText()
    acknowledge(wizard, page)
    page = next_page(wizard)
    assert isinstance(page, kp.OutputsFingerprintPage)
    page.buttons.match_button.click()
    acknowledge(wizard, page)
    page = next_page(wizard)
    assert isinstance(page, kp.KeyUseSignOffPage)
    for box in page.boxes.values():
        box.click()
    wizard.next()
    return wizard, review, signed
