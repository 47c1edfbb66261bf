"""The window shows before the sections it does not show are built (#23: start-up): their
pages, the operations behind them and the domain they need are imported when a section is first
shown or an operation first used, and a page built after the overview came shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.gui.conftest import shown_window

PROBE = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from pkiadmin.gui.main_window import MainWindow
from pkiadmin.gui.worker import CaWorker
path = Path(sys.argv[1])
window = MainWindow(CaWorker(path), path)
window.show()
print(sorted(m for m in sys.modules if m.startswith(("pkiadmin.gui.pages.", "pkiadmin.gui.operations.",
      "pkiadmin.gui.dialogs.", "pkiadmin.core.inventory", "pkiadmin.core.overview", "sqlite_utils"))))
window.worker.shutdown()
"""


def test_the_window_shows_with_only_the_dashboard_built(root_ws_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(root_ws_path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    loaded = done.stdout.strip().splitlines()[-1]
    assert loaded == "['pkiadmin.gui.pages.dashboard', 'pkiadmin.gui.pages.expiry_chart']"


def test_a_section_built_after_the_overview_shows_it(qtbot: QtBot, root_ws_path: Path) -> None:
    window = shown_window(qtbot, root_ws_path)
    assert "authorities" not in window.__dict__  # not built: the overview went to the dashboard
    assert "Test Root CA" in window.dashboard.ca_list.text()
    window.nav.setCurrentRow(1)  # Authorities
    page = window.authorities
    assert window.stack.currentWidget() is page
    items = [page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())]
    names = [item.text(0) for item in items if item is not None]
    assert any("Test Root CA" in name for name in names), names
    # Its buttons reach the operations, built now.
    window.nav.setCurrentRow(7)  # Audit log
    assert window.stack.currentWidget() is window.audit
    assert window.audit.model.rowCount() >= 1
