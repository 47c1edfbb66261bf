"""Child process for startup.py: start pkiadmin exactly as `pkiadmin` does, report when the window is shown."""

from __future__ import annotations

import sys
import time


def main() -> int:
    mode, workspace = sys.argv[1], sys.argv[2]
    if mode == "import":
        import PySide6.QtWidgets  # noqa: F401

        print(time.monotonic(), flush=True)
        return 0
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    if mode == "bare":
        app = QApplication(sys.argv[:1])
        window = QMainWindow()
        window.show()
    else:
        from pkiadmin.gui import app as pkiadmin_app

        app = pkiadmin_app.create_application(sys.argv[:1])

    def shown() -> None:
        # The first event-loop turn after show(): the window has been laid out and exposed.
        print(time.monotonic(), flush=True)
        for widget in QApplication.topLevelWidgets():
            widget.close()
        app.quit()

    QTimer.singleShot(0, shown)
    if mode == "bare":
        return app.exec()
    return pkiadmin_app.main(["pkiadmin", "--workspace", workspace])


if __name__ == "__main__":
    sys.exit(main())
