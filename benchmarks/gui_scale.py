"""The certificates view on a large inventory (run by inventory.py in its own process, offscreen):
time until the view shows its first rows; time until the rest of the window (dashboard,
authorities, CRL calendar) is filled in, and the worst event-loop stall until then; the worst
event-loop stall while a filter is then typed (target <= 100 ms); and the peak memory.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_scale.py WORKSPACE
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from pkiadmin.gui.main_window import SECTIONS, MainWindow
from pkiadmin.gui.worker import CaWorker

TARGET_STALL_MS = 100


def main() -> None:
    path = Path(sys.argv[1])
    app = QApplication([sys.argv[0]])
    start = time.perf_counter()
    window = MainWindow(CaWorker(path), path)
    window.resize(1280, 800)
    window.show()
    window.nav.setCurrentRow(SECTIONS.index("Certificates"))
    page = window.certificates
    shown: list[float] = []
    page.model.loaded.connect(lambda _total: shown.append(time.perf_counter() - start))
    # A 5 ms timer measures how late the event loop runs.
    stalls: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        stalls.append(now - last[0] - 5)
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(tick)
    ticker.start()
    while (not shown or window.overview_data is None) and time.perf_counter() - start < 120:
        app.processEvents()
        time.sleep(0.001)
    filled = time.perf_counter() - start
    settled = time.perf_counter() + 0.3  # the timer's next tick reports a stall just ended
    while time.perf_counter() < settled:
        app.processEvents()
        time.sleep(0.001)
    startup_stall = max(stalls, default=0.0)
    rows = page.model.rowCount()
    # Then type a filter, one key every 120 ms.
    stalls.clear()
    text = "host4242.example"
    typed_until = time.perf_counter() + 0.12 * len(text) + 3
    for i, char in enumerate(text):
        QTimer.singleShot(120 * (i + 1), lambda c=char: page.filter.insert(c))
    while time.perf_counter() < typed_until:
        app.processEvents()
        time.sleep(0.001)
    ticker.stop()
    matches = page.model.rowCount()
    window.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worst = max(stalls, default=0.0)
    print(f"GUI on {rows:,} rows (offscreen, 1280x800):")
    print(
        f"  time to show the certificates view:  {shown[0] * 1000 if shown else float('nan'):8.0f} ms"
    )
    print(
        f"  time until the dashboard is filled:  {filled * 1000:8.0f} ms"
        f" (worst event-loop stall until then: {startup_stall:.0f} ms)"
    )
    print(
        f"  worst event-loop stall while typing a filter: {worst:5.0f} ms "
        f"(target <= {TARGET_STALL_MS} ms: {'met' if worst <= TARGET_STALL_MS else 'NOT met'}); "
        f"{matches} match(es) for '{text}'"
    )
    print(f"  peak memory of the GUI process: {peak_mb:8.0f} MB")
    app.quit()


if __name__ == "__main__":
    main()
