"""HSM in the GUI: a root created on a SoftHSM2 token from the New root dialog, the token's keys
listed in Tools → HSM tokens, and a root ceremony with the key on the token in the wizard."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pkiadmin.core.ceremony.root import report as ceremony_report
from pkiadmin.core.ceremony.root.steps import CeremonyResult
from pkiadmin.gui.main_window import MainWindow
from pkiadmin.gui.wizard import token_pages as tp
from tests.ceremony_helpers import DATA, stage
from tests.conftest import TOKEN_PIN
from tests.gui.test_ceremony_wizard import acknowledge, next_page


def test_new_root_on_a_token_and_its_keys(qtbot: QtBot, window: MainWindow, token: str) -> None:
    dialog = window.authority_ops.open_new_root_dialog()
    dialog.backend.setCurrentIndex(dialog.backend.findData("pkcs11"))
    assert not dialog.secret_box.isVisibleTo(dialog) and dialog.token.findText(token) >= 0
    qtbot.keyClicks(dialog.common_name, "GUI Token Root")
    qtbot.keyClicks(dialog.organization, "Example Ltd")
    qtbot.keyClicks(dialog.country, "SE")
    dialog.token.setCurrentIndex(dialog.token.findText(token))
    dialog.key_label.setText("gui-root")
    dialog.pin.setText("not the PIN")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "is wrong" in dialog.error.text() and dialog.isVisible()
    dialog.pin.setText(TOKEN_PIN)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), dialog.error.text()
    root = window.authorities.tree.topLevelItem(0)
    assert (
        root is not None and root.text(0) == "GUI Token Root" and root.text(2) == "held here (pin)"
    )

    tokens = window.authority_ops.open_hsm_dialog()
    row = tokens.token_labels.index(token)
    tokens.tokens.selectRow(row)
    tokens.pin.setText(TOKEN_PIN)
    tokens.show_keys.click()
    assert tokens.keys.rowCount() == 1
    cells = [tokens.keys.item(0, c) for c in (0, 1, 3, 4)]
    assert [c.text() if c else None for c in cells] == [
        "gui-root",
        "EC P-384",
        "yes",
        "yes",
    ]
    tokens.reject()


def test_root_ceremony_with_the_key_on_a_token_in_the_wizard(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, token: str
) -> None:
    text = (
        (DATA / "ceremony-plan.toml")
        .read_text()
        .replace(
            'ski_method = "rfc7093"                   # rfc7093 or sha1',
            f'ski_method = "rfc7093"\nbackend = "pkcs11"\ntoken = "{token}"\nkey_label = "ceremony-root"',
        )
    )
    plan_path, _answers = stage(tmp_path, text)
    window.ceremony_ops.start_ceremony(plan_path, rehearsal=True)
    wizard = window.ceremony_ops.ceremony_wizard
    assert wizard is not None
    page = wizard.currentPage()
    page.matches.click()  # type: ignore[attr-defined]
    acknowledge(wizard, page)  # type: ignore[arg-type]
    page = next_page(wizard)
    page.waiver.setText("test machine")  # type: ignore[attr-defined]
    for box in page.present.values():  # type: ignore[attr-defined]
        box.setChecked(True)
    page.run_button.click()  # type: ignore[attr-defined]
    acknowledge(wizard, page)
    page = next_page(wizard)
    assert isinstance(page, tp.TokenKeyPage)
    page.pin.setText("wrong")
    page.generate.click()
    assert "is wrong" in page.error.text() and page.pin.text() == ""
    page.pin.setText(TOKEN_PIN)
    page.generate.click()
    assert "CKA_NEVER_EXTRACTABLE=yes" in page.facts.text()
    acknowledge(wizard, page)
    for kind in (tp.TokenSharesPage, tp.TokenRecoveryPage):
        page = next_page(wizard)
        assert isinstance(page, kind)
        page.record.click()
        acknowledge(wizard, page)
    page = next_page(wizard)
    page.sign_button.click()  # type: ignore[attr-defined]
    acknowledge(wizard, page)
    page = next_page(wizard)
    page.match_button.click()  # type: ignore[attr-defined]
    acknowledge(wizard, page)
    page = next_page(wizard)
    assert isinstance(page, tp.TokenBackupPage)
    page.record.click()
    acknowledge(wizard, page)
    page = next_page(wizard)
    for box in page.boxes.values():  # type: ignore[attr-defined]
        box.click()
    wizard.next()
    result = wizard.finish_page.result
    assert isinstance(result, CeremonyResult), wizard.finish_page.error.text()
    assert result.key_uri == f"pkcs11:token={token};object=ceremony-root"
    assert ceremony_report.verify(result.report_dir).ok
    wizard.accept()
