"""pkiadmin ends on SIGTERM (a logout, `kill`, a service manager) and on Ctrl+C as it ends when
its window is closed: promptly, with exit status 0, leaving no write lock held and no worker
behind (it used to ignore SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_the_application_closes_on_a_signal(tmp_path: Path, number: int) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    ws = tmp_path / "ws"
    app = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pkiadmin.gui.app import main; sys.exit(main())",
         "--workspace", str(ws)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (ws / "pkiadmin.db").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker has created and opened the workspace
    time.sleep(1.0)
    assert app.poll() is None, app.communicate()
    app.send_signal(number)
    try:
        _out, err = app.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        app.kill()
        pytest.fail("pkiadmin did not end on the signal")
    assert app.returncode == 0, err
    assert "Traceback" not in err
