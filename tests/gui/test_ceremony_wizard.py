"""A whole key ceremony in the GUI wizard, clicked through as the people in the room would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWizard
from pytestqt.qtbot import QtBot

from pkiadmin.core.base.errors import PassphraseError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.root import plan as ceremony_plan
from pkiadmin.core.ceremony.root import report as ceremony_report
from pkiadmin.core.ceremony.root.run import CeremonyRun
from pkiadmin.core.ceremony.root.steps import CeremonyResult
from pkiadmin.core.issuance import authorities
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.x509 import lint
from pkiadmin.gui.main_window import MainWindow
from pkiadmin.gui.wizard import root_pages as pages
from pkiadmin.gui.wizard.base import StepPage
from pkiadmin.gui.wizard.wizard import CeremonyWizard
from tests.ceremony_helpers import stage


def acknowledge(wizard: CeremonyWizard, page: StepPage) -> None:
    boxes = list(page.ack_boxes.values())
    boxes[0].click()
    assert not wizard.button(
        QWizard.WizardButton.NextButton
    ).isEnabled()  # one acknowledgement is not enough
    boxes[1].click()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def next_page(wizard: CeremonyWizard) -> StepPage:
    wizard.next()
    return wizard.currentPage()  # type: ignore[return-value]


def run_wizard_to_the_end(wizard: CeremonyWizard, tmp_path: Path) -> dict[str, str]:
    nxt = wizard.button(QWizard.WizardButton.NextButton)
    page = wizard.currentPage()
    assert isinstance(page, pages.PlanPage)
    assert not nxt.isEnabled()
    page.matches.click()
    assert not nxt.isEnabled()  # performed, not yet acknowledged
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, pages.PreflightPage)
    page.waiver.setText("the test machine has a network")
    page.present["Carol Custodian"].setChecked(True)
    page.present["Erin Custodian"].setChecked(True)
    assert page.backup is not None
    page.run_button.click()
    assert "Choose the folder on the backup medium" in page.error.text()
    page.backup.setText(str(tmp_path / "usb"))  # not mounted yet: found now, not at step 8
    page.run_button.click()
    assert "backup medium:" in page.error.text() and "does not exist" in page.error.text()
    (tmp_path / "usb").mkdir()
    page.present["Erin Custodian"].setChecked(False)
    page.run_button.click()
    assert "Not enough custodians are present" in page.error.text()
    page.present["Erin Custodian"].setChecked(True)
    page.run_button.click()
    assert page.results.count() == 6
    assert "OK       backup medium:" in page.results.item(4).text()
    assert "printer:" in page.results.item(5).text()  # whether shares can be printed
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, pages.KeyPage)
    page.generate.click()
    assert "Public key SHA-256" in page.facts.text()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, pages.SharesPage)
    page.split_button.click()
    written: dict[str, str] = {}
    for custodian in ("Carol Custodian", "Dave Custodian", "Erin Custodian"):
        assert f"for {custodian} only" in page.who.text()
        assert page.words.text() == ""  # nothing shown until the custodian is ready
        page.show_button.click()
        written[custodian] = page.current_words()
        assert len(written[custodian].split()) == 20
        page.written_button.click()
        assert page.words.text() == ""  # cleared before the next custodian steps up
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, pages.RecoveryPage)
    page.fields[0].setText(written["Carol Custodian"])
    page.test_button.click()
    assert "Not enough shares: 2 are needed" in page.error.text()
    page.fields[0].setText(written["Carol Custodian"])
    page.fields[1].setText(written["Erin Custodian"])
    page.test_button.click()
    assert page.result.text() == "✔ The shares unlock the key."
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, pages.SigningPage)
    page.sign_button.click()
    assert "TBS equals the linted TBS" in page.findings.item(0).text()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, pages.FingerprintPage)
    assert len(page.words.text().split()) == 32
    page.match_button.click()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, pages.BackupPage)
    assert page.folder.text() == str(tmp_path / "usb")  # the medium pre-flight checked
    page.write_button.click()
    assert "Written and read back" in page.result.text()
    acknowledge(wizard, page)

    page = next_page(wizard)
    assert isinstance(page, pages.SignOffPage)
    for box in page.boxes.values():
        assert not nxt.isEnabled()
        box.click()
    assert nxt.isEnabled()
    # A recorded sign-off stays readable (not greyed out) and cannot be taken back.
    assert all(b.isChecked() and b.isEnabled() for b in page.boxes.values())
    box = next(iter(page.boxes.values()))
    box.click()
    assert box.isChecked()
    wizard.next()
    assert wizard.currentPage() is wizard.finish_page
    return written


def test_full_ceremony_in_the_gui(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    plan_path, _answers = stage(tmp_path)
    window.ceremony_ops.start_ceremony(plan_path, rehearsal=False)
    wizard = window.ceremony_ops.ceremony_wizard
    assert wizard is not None and wizard.isVisible()
    written = run_wizard_to_the_end(wizard, tmp_path)
    result = wizard.finish_page.result
    assert isinstance(result, CeremonyResult), wizard.finish_page.error.text()
    assert [p.title() for p in wizard.step_pages][:2] == [
        "Step 1 of 9: Plan review",
        "Step 2 of 9: Pre-flight checks",
    ]
    # Once the CA is stored there is nothing to abort: Finish, and the report to read.
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert finish.isVisible() and finish.isEnabled() and finish.text() == "&Finish"
    assert not wizard.button(QWizard.WizardButton.CancelButton).isVisible()
    assert wizard.finish_page.open_report.isVisible()
    report = wizard.finish_page.show_report()
    assert report is not None and report.isVisible()
    assert wizard.run.plan.ceremony_id in report.text.toPlainText()
    report.reject()
    wizard.accept()
    assert ceremony_report.verify(result.report_dir).ok
    root = result.report_dir / "root.pem"
    openssl = shutil.which("openssl")
    assert openssl is not None
    verified = subprocess.run(
        [openssl, "verify", "-x509_strict", "-check_ss_sig", "-CAfile", str(root), str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.stdout.strip().endswith(": OK")
    with workspace.open_workspace(window.workspace_path) as ws:
        cert_findings = lint.lint_certificate(
            __import__("pkiadmin.core.inventory.records", fromlist=["x"]).load_certificate(
                ws.db, result.cert_id
            )
        )
        assert all(f.severity > lint.Severity.NOTICE for f in cert_findings.findings)
        authorities.verify_key(
            ws, result.ca_id, share_words=[written["Dave Custodian"], written["Carol Custodian"]]
        )
        with pytest.raises(PassphraseError, match="Not enough shares"):
            authorities.verify_key(ws, result.ca_id, share_words=[written["Dave Custodian"]])
    (result.report_dir / "report.pdf").write_bytes(b"%PDF-1.4 forged")
    window.nav.setCurrentRow(6)
    window.ceremonies.table.selectRow(0)
    window.ceremonies.verify_button.click()
    assert "does NOT verify: report.pdf was changed" in window.ceremonies.verdict.text()
    assert window.ceremonies.model.records()[0].status.value == "completed"
    assert window.authorities.model.rowCount() == 1


def test_cancel_aborts_with_a_recorded_reason(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_path, _answers = stage(tmp_path)
    window.ceremony_ops.start_ceremony(plan_path, rehearsal=True)
    wizard = window.ceremony_ops.ceremony_wizard
    assert wizard is not None
    wizard.currentPage().matches.click()  # type: ignore[attr-defined]
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("fire alarm", True))
    wizard.reject()
    assert not wizard.isVisible()
    record = window.ceremonies.model.records()[0]
    assert record.status.value == "aborted" and record.rehearsal and record.ca_id is None
    assert window.authorities.model.rowCount() == 0


def test_exception_sheet(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pkiadmin.gui.wizard.wizard import ExceptionDialog

    plan_path, _answers = stage(tmp_path)
    window.ceremony_ops.start_ceremony(plan_path, rehearsal=True)
    wizard = window.ceremony_ops.ceremony_wizard
    assert wizard is not None

    def fill(dialog: ExceptionDialog) -> int:
        dialog.expected.setText("three custodians")
        dialog.happened.setText("Erin was late")
        dialog.decision.setText("wait ten minutes")
        return 1

    monkeypatch.setattr(ExceptionDialog, "exec", fill)
    monkeypatch.setattr(QMessageBox, "information", lambda *_a: None)
    wizard.button(QWizard.WizardButton.CustomButton1).click()
    with workspace.open_workspace(window.workspace_path) as ws:
        kinds = [
            (e.kind, e.detail.get("happened")) for e in ceremony_store.events(ws.db, wizard.run.id)
        ]
    assert ("exception", "Erin was late") in kinds
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("done", True))
    wizard.reject()


def test_killed_ceremony_shows_as_interrupted(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    plan_path, _answers = stage(tmp_path)
    with workspace.open_workspace(window.workspace_path) as ws:
        from pkiadmin.core.ceremony.root.run import CeremonyRun

        run = CeremonyRun.start(ws, ceremony_plan.load(plan_path), rehearsal=True)
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        ws.db.execute("UPDATE ceremonies SET pid = ? WHERE id = ?", (int(dead.stdout), run.id))
    window.refresh()
    assert window.ceremonies.model.records()[0].status.value == "interrupted"


def test_new_plan_form_writes_a_valid_plan(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    form = window.ceremony_ops.open_plan_form()
    form.ceremony_id.setText("ACME-ROOT-1")
    form.purpose.setText("Acme root")
    form.cps.setText("Acme CPS 2, 6.1.1")
    form.participants.setPlainText(
        "Ann, administrator\nIan, internal-witness\nWes, witness\nCat, custodian\nDan, custodian"
    )
    form.common_name.setText("Acme Root CA")
    form.country.setText("UK")
    form.output_name.setText("acme-root")
    target = tmp_path / "acme.toml"
    form.save(target)
    assert "the United Kingdom's code is 'GB'" in form.error.text()
    assert not target.exists()
    form.country.setText("GB")
    form.save(target)
    plan = ceremony_plan.load(target)
    assert plan.ceremony_id == "ACME-ROOT-1" and plan.custodians.describe() == "2 of 2 custodians"
    assert plan.root.path_length == 1


def test_printing_a_share_goes_to_a_printer_never_to_a_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    from pkiadmin.core.ceremony.root.steps import Step

    plan_path, _answers = stage(tmp_path)
    window.ceremony_ops.start_ceremony(plan_path, rehearsal=True)
    wizard = window.ceremony_ops.ceremony_wizard
    assert wizard is not None
    run = wizard.run
    assert isinstance(run, CeremonyRun)
    run.review_plan()
    for step in (Step.PLAN_REVIEW,):
        run.acknowledge(step, "Alice Administrator")
        run.acknowledge(step, "Ivan Internal")
    run.run_preflight("Ivan Internal", ["Carol Custodian", "Dave Custodian"], "test machine")
    run.acknowledge(Step.PREFLIGHT, "Alice Administrator")
    run.acknowledge(Step.PREFLIGHT, "Ivan Internal")
    run.generate_key()
    run.acknowledge(Step.KEY_GENERATION, "Alice Administrator")
    run.acknowledge(Step.KEY_GENERATION, "Ivan Internal")
    for _ in range(3):
        wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, pages.SharesPage)
    page.split_button.click()
    assert not page.print_button.isEnabled()
    page.show_button.click()
    assert page.print_button.isEnabled()
    sheet = page.share_sheet_html()
    assert "Custodian share: Carol Custodian" in sheet and page.current_words().split()[0] in sheet

    pdf = tmp_path / "sheet.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(pdf))
    page.render_share(printer)  # what a printer receives
    assert pdf.read_bytes().startswith(b"%PDF")

    def choose_file(dialog: QPrintDialog) -> int:
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(tmp_path / "leak.pdf"))
        return 1

    monkeypatch.setattr(QPrintDialog, "exec", choose_file)
    page.print_button.click()
    assert "never to a file" in page.error.text()
    assert not (tmp_path / "leak.pdf").exists()

    # This machine has no printer; pretend the operator chose one.
    monkeypatch.setattr(QPrintDialog, "exec", lambda _dialog: 1)
    monkeypatch.setattr(
        QPrinter, "outputFormat", lambda _printer: QPrinter.OutputFormat.NativeFormat
    )
    monkeypatch.setattr(
        pages.SharesPage, "render_share", lambda _self, _printer: None
    )  # no real printer here
    page.print_button.click()
    with workspace.open_workspace(window.workspace_path) as ws:
        printed = [e for e in ceremony_store.events(ws.db, run.id) if e.kind == "share-printed"]
    assert [(e.person, "share_id" in e.detail) for e in printed] == [("Carol Custodian", True)]
    assert page.current_words().split()[0] not in str(printed[0].detail)
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("test over", True))
    wizard.reject()
