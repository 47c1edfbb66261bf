"""A4 PDF documents of wrapped text lines: the ceremony report, the call sheet, the compliance
report, in DejaVu Sans shipped in resources/ (so any script prints the same on every machine)."""

from __future__ import annotations

from importlib import resources as importlib_resources
from typing import Any

from pkiadmin.core.base.resources import resource_root

FONT_FILE = "DejaVuSans.ttf"


class Document:
    def __init__(self, leading: float = 1.0, size: int = 10) -> None:
        from fpdf import FPDF

        self.pdf: Any = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        with importlib_resources.as_file(resource_root().joinpath(FONT_FILE)) as font:
            self.pdf.add_font("DejaVu", "", str(font))
        self.family = "DejaVu"
        self._leading = leading
        self._size = size

    def text(self, value: str, size: int | None = None) -> None:
        """A paragraph in this font size (or the document's), wrapped to the page width."""
        size = size or self._size
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(
            0, size * 0.5 + self._leading, value, new_x="LMARGIN", new_y="NEXT", align="L"
        )

    def output(self) -> bytes:
        return bytes(self.pdf.output())
