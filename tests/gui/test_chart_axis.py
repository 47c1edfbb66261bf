"""The dashboard chart's count axis has round ticks (0, 20, 40 … rather than 0, 66, 132 …) with
room above the tallest bar for its label."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCharts import QValueAxis
from pytestqt.qtbot import QtBot

from pkiadmin.core.inventory.dashboard import Month
from pkiadmin.gui.pages.expiry_chart import ExpiryChart, axis_scale


@pytest.mark.parametrize("largest", [0, 1, 3, 7, 10, 32, 37, 66, 99, 132, 500, 1234, 99_999])
def test_the_axis_steps_are_round_and_leave_room(largest: int) -> None:
    top, step = axis_scale(largest)
    mantissa = step
    while mantissa % 10 == 0:
        mantissa //= 10
    assert mantissa in (1, 2, 5), step
    assert top % step == 0 and top > largest
    assert 4 <= top // step <= 8


def test_the_chart_shows_those_ticks(qtbot: QtBot) -> None:
    chart = ExpiryChart()
    qtbot.addWidget(chart)
    months = tuple(
        Month(datetime(2027, n, 1, tzinfo=UTC), datetime(2027, n + 1, 1, tzinfo=UTC), count)
        for n, count in enumerate((66, 132, 7), 1)
    )
    chart.set_months(months)
    axis = next(a for a in chart.chart().axes() if isinstance(a, QValueAxis))
    assert (axis.min(), axis.max(), axis.tickCount()) == (0, 160, 9)  # 0, 20, … 160
