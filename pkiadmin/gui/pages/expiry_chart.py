"""The dashboard's timeline: certificates expiring per month over the next 12 months (QtCharts).
Clicking a month's bar asks for the certificates it counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from pkiadmin.core.inventory.dashboard import Month


def axis_scale(largest: int) -> tuple[int, int]:
    """(top, step) of the count axis: a round step (1, 2 or 5 times a power of ten), four to eight
    ticks, and room above the largest bar for its label."""
    wanted = max(4, largest + max(1, largest // 8))
    step = 1
    while wanted / step > 8:
        for factor in (2, 2.5, 2):  # 1 → 2 → 5 → 10 → 20 …
            step = int(step * factor)
            if wanted / step <= 8:
                break
    top = -(-wanted // step) * step
    return top, step


class ExpiryChart(QChartView):
    month_clicked = Signal(object)  # the Month

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("expiryChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self._months: tuple[Month, ...] = ()
        chart = QChart()
        chart.setTitle("Certificates expiring per month, next 12 months")
        chart.legend().hide()
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        self.setChart(chart)
        self.setToolTip("Click a month to list its certificates")

    def set_months(self, months: tuple[Month, ...]) -> None:
        self._months = months
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        bars = QBarSet("Expiring")
        bars.setColor(QColor("#1565c0"))
        bars.setLabelColor(QColor("#202020"))
        for month in months:
            bars.append(month.count)
        series = QBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.clicked.connect(self._clicked)
        chart.addSeries(series)
        months_axis = QBarCategoryAxis()
        months_axis.append([m.start.strftime("%b %y") for m in months])
        chart.addAxis(months_axis, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(months_axis)
        counts = QValueAxis()
        top, step = axis_scale(max((m.count for m in months), default=0))
        counts.setRange(0, top)
        counts.setTickCount(top // step + 1)
        counts.setLabelFormat("%d")
        chart.addAxis(counts, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(counts)

    def counts(self) -> list[int]:
        return [m.count for m in self._months]

    def click_month(self, index: int) -> None:
        """As if the bar were clicked (keyboard users use the month buttons, tests this)."""
        self._clicked(index, None)

    def _clicked(self, index: int, _set: object) -> None:
        if 0 <= index < len(self._months):
            self.month_clicked.emit(self._months[index])
