"""A4 PDF documents of wrapped text lines: the ceremony report, the call sheet, the compliance
report. DejaVu Sans when installed; otherwise the core font, which covers Latin-1 only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


class Document:
    def __init__(self, leading: float = 1.0, size: int = 10) -> None:
        from fpdf import FPDF

        self.pdf: Any = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        self.family = "Helvetica"
        if DEJAVU.is_file():
            self.pdf.add_font("DejaVu", "", str(DEJAVU))
            self.family = "DejaVu"
        self._leading = leading
        self._size = size

    def text(self, value: str, size: int | None = None) -> None:
        """A paragraph in this font size (or the document's), wrapped to the page width."""
        size = size or self._size
        self.pdf.set_font(self.family, size=size)
        if self.family != "DejaVu":
            value = value.encode("latin-1", "replace").decode("latin-1")
        self.pdf.multi_cell(
            0, size * 0.5 + self._leading, value, new_x="LMARGIN", new_y="NEXT", align="L"
        )

    def output(self) -> bytes:
        return bytes(self.pdf.output())
