"""The part every signing dialog shares: the button that shows what will be signed, the read-only
text it is shown in, and the box the person ticks once they have read it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QCheckBox, QPlainTextEdit, QPushButton, QVBoxLayout


@dataclass(frozen=True)
class Review:
    button: QPushButton
    text: QPlainTextEdit
    checked: QCheckBox


def add_review(
    layout: QVBoxLayout, button: str, name: str, confirm: str, show: Callable[[], None]
) -> Review:
    """Adds the three to `layout`; the box stays disabled until something is shown."""
    preview = QPushButton(button)
    preview.clicked.connect(show)
    layout.addWidget(preview)
    text = QPlainTextEdit()
    text.setObjectName(name)
    text.setReadOnly(True)
    text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    layout.addWidget(text, 1)
    checked = QCheckBox(confirm)
    checked.setEnabled(False)
    layout.addWidget(checked)
    return Review(preview, text, checked)
