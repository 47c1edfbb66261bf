"""The window reloads only what an operation changed: adding a partner leaves the certificates
view (a query over the whole inventory) alone; importing a CSR leaves it alone too; creating a
root CA reloads it."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from pkiadmin.gui.main_window import MainWindow
from tests.gui.test_main_window import fill_and_create


@pytest.fixture
def reloads(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    page = window.certificates
    original = page.reload

    def counted() -> None:
        seen.append("certificates")
        original()

    monkeypatch.setattr(page, "reload", counted)
    return seen


def test_adding_a_partner_does_not_reload_the_certificates_view(
    qtbot: QtBot, window: MainWindow, reloads: list[str]
) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    qtbot.waitUntil(lambda: window.certificates.model.rowCount() == 1)
    reloads.clear()
    window.partner_ops.add_partner("acme", "Acme Ltd")
    # The partner is shown: the partners view was reloaded ...
    qtbot.waitUntil(lambda: window.partners.model.rowCount() == 1)
    assert window.overview_data is not None
    assert [p.name for p in window.overview_data.partners] == ["acme"]
    # ... and the audit log has the entry, but the certificates view was not queried again.
    assert window.overview_data.audit_entries[-1].operation == "partner.add"
    assert window.audit.model.rowCount() == len(window.overview_data.audit_entries)
    assert reloads == []


def test_creating_a_root_reloads_the_certificates_view(
    qtbot: QtBot, window: MainWindow, reloads: list[str]
) -> None:
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    qtbot.waitUntil(lambda: window.certificates.model.rowCount() == 1)
    assert reloads == ["certificates"]
