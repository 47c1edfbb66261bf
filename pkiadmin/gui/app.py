"""`pkiadmin`: start the desktop application on a workspace."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

from pkiadmin import __version__
from pkiadmin.core.base import resources, version
from pkiadmin.core.workspace import location as workspace
from pkiadmin.gui.errors import install_excepthook
from pkiadmin.gui.main_window import MainWindow
from pkiadmin.gui.worker import CaWorker


def create_application(argv: list[str]) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv)
    app.setApplicationName("pkiadmin")
    app.setApplicationDisplayName("pkiadmin")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("pkiadmin")
    pixmap = QPixmap()
    pixmap.loadFromData(resources.read_bytes("pkiadmin.svg"), "SVG")
    app.setWindowIcon(QIcon(pixmap))
    app.setStyleSheet(resources.read_text("style.qss"))
    return app


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv
    parser = argparse.ArgumentParser(
        prog="pkiadmin", description="pkiadmin, the offline root CA workstation."
    )
    parser.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help=f"workspace folder (default: ${workspace.ENV_VAR}, else the per-user data folder)",
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="show the version and the SHA-256 of the installed files",
    )
    options, qt_args = parser.parse_known_args(args[1:])
    if options.version:
        print(version.version_text())  # noqa: T201 - the command's output
        return 0
    app = create_application([args[0], *qt_args])
    install_excepthook()
    path = (options.workspace or workspace.default_path()).expanduser().absolute()
    window = MainWindow(CaWorker(path), path)
    window.show()
    _quit_on_signals(app, window)
    return app.exec()


def _quit_on_signals(app: QApplication, window: MainWindow) -> None:
    """SIGTERM (a logout, `kill`, a service manager) and SIGINT (Ctrl+C in the terminal) close
    the window the normal way: the CA worker finishes and closes the workspace, tokens are
    logged out. Qt's event loop does not return to Python by itself, so a timer lets the
    interpreter run its signal handlers."""

    def close(_signum: int, _frame: object) -> None:
        window.close()
        app.quit()

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, close)
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)


if __name__ == "__main__":
    sys.exit(main())
