"""Authorities → CA settings…: the URLs, the renewal point and the CRL period of a CA, shown as
they are, refused with a sentence when wrong (nothing saved), saved together with their audit
entries; the next certificate the CA signs carries the URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pkiadmin.core.issuance import intermediate
from pkiadmin.core.revocation import crl
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.gui.main_window import MainWindow
from tests.gui.test_main_window import fill_and_create


def test_settings_are_shown_checked_and_saved_together(qtbot: QtBot, window: MainWindow) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    window.go_to("Authorities")
    page = window.authorities
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=10_000)
    first = page.tree.topLevelItem(0)
    assert first is not None
    page.tree.setCurrentItem(first)
    assert page.settings_button.isEnabled()
    with qtbot.waitSignal(page.settings_requested, timeout=5_000):
        qtbot.mouseClick(page.settings_button, Qt.MouseButton.LeftButton)
    dialog = window.authority_ops.open_settings_dialog(1)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=10_000)
    assert (dialog.period.value(), dialog.overlap.value()) == (365, 30)
    assert dialog.renew_at.value() == pytest.approx(0.33)
    before = _entries(window)
    dialog.crl_urls.setText("https://pki.example.com/root.crl")  # TLS: refused
    dialog.period.setValue(90)
    dialog.save()
    assert "is not an http:// or ldap:// URL" in dialog.error.text()
    assert dialog.isVisible()
    assert _entries(window) == before  # nothing saved, neither part
    dialog.crl_urls.setText("http://pki.example.com/root.crl, ldap://ldap.example.com/cn=root")
    dialog.ocsp_urls.setText("http://ocsp.example.com")
    dialog.save()
    assert dialog.saved and not dialog.isVisible()
    with workspace.open_workspace(window.workspace_path) as ws:
        urls = intermediate.ca_settings(ws.db, 1)
        assert urls["crl_urls"] == [
            "http://pki.example.com/root.crl",
            "ldap://ldap.example.com/cn=root",
        ]
        assert urls["ocsp_urls"] == ["http://ocsp.example.com"]
        assert crl.settings(ws.db, 1).period_days == 90
        ops = [e.operation for e in audit.entries(ws.db)][-2:]
        assert ops == ["ca.settings", "crl.settings"] and audit.verify(ws.db).ok


def _entries(window: MainWindow) -> int:
    with workspace.open_workspace(window.workspace_path) as ws:
        return len(audit.entries(ws.db))


def test_file_export_writes_index_txt_and_the_compliance_report(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    from pkiadmin.core.inventory import compliance_report

    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    qtbot.waitUntil(
        lambda: window.overview_data is not None and bool(window.overview_data.authorities),
        timeout=10_000,
    )
    window.export_ops.choose_and_write_index_txt(None)  # nothing selected: says what to do
    assert "Select a CA held here in Authorities first." in window.statusBar().currentMessage()
    window.export_ops.write_index_txt(1, tmp_path / "index.txt")  # the root signed nothing yet
    assert (tmp_path / "index.txt").read_text() == ""
    assert window.statusBar().currentMessage() == f"Wrote {tmp_path / 'index.txt'} with 0 entries."
    window.export_ops.write_compliance_report(
        compliance_report.ReportFormat.PDF, tmp_path / "c.pdf"
    )
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
    assert "certificate(s) have findings" in window.statusBar().currentMessage()
    with workspace.open_workspace(window.workspace_path) as ws:
        ops = [e.operation for e in audit.entries(ws.db)]
    assert "ca.export-index" in ops and "compliance.report" in ops


def test_the_compliance_policy_is_shown_and_changed(qtbot: QtBot, window: MainWindow) -> None:
    from pkiadmin.core.inventory import compliance

    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    dialog = window.open_compliance_policy()
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=10_000)
    assert dialog.fields["max_end_entity_days"].value() == 398
    assert dialog.fields["min_rsa_bits"].suffix() == " bits"
    dialog.fields["max_root_days"].setValue(3650)  # the new root is valid for longer than this
    dialog.save()
    assert dialog.saved
    assert window.statusBar().currentMessage().startswith("Saved the compliance policy")
    with workspace.open_workspace(window.workspace_path) as ws:
        assert compliance.load_policy(ws.db).max_root_days == 3650
        assert [e.operation for e in audit.entries(ws.db)][-1] == "compliance.policy"
