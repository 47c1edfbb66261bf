"""Help → Guides: the operator's procedures (the guides in docs/, which travel with pkiadmin),
read inside the application on a machine with no network. Links between guides and their
pictures open here; a link that leaves the guides is shown as text, never fetched."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QPixmap, QResizeEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base import resources


class GuidesDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, first: str = "tour") -> None:
        super().__init__(parent)
        self.setWindowTitle("Guides — pkiadmin")
        self.resize(1100, 720)
        self.guides = resources.guides()
        self.list = QListWidget()
        self.list.setObjectName("guideList")
        for guide in self.guides:
            item = QListWidgetItem(guide.title)
            item.setData(Qt.ItemDataRole.UserRole, guide.name)
            self.list.addItem(item)
        self.list.setMinimumWidth(360)
        self.browser = FittingBrowser()
        self.browser.setObjectName("guideText")
        self.browser.setOpenLinks(False)  # every link is checked in follow()
        self.browser.anchorClicked.connect(self.follow)
        self.outside = QLabel()
        self.outside.setObjectName("guideOutsideLink")
        self.outside.setWordWrap(True)
        self.outside.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outside.hide()
        text = QWidget()
        column = QVBoxLayout(text)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.browser, 1)
        column.addWidget(self.outside)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(text)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 740])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._show_row)
        names = [g.name for g in self.guides]
        self.list.setCurrentRow(names.index(first) if first in names else 0)
        self.list.setFocus()

    def current(self) -> str:
        row = self.list.currentRow()
        return self.guides[row].name if 0 <= row < len(self.guides) else ""

    def show_guide(self, name: str, fragment: str = "") -> None:
        names = [g.name for g in self.guides]
        if name in names:
            self.list.setCurrentRow(names.index(name))  # shows it
            if fragment:
                self.browser.scrollToAnchor(fragment)

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self.guides):
            return
        self.outside.hide()
        url = QUrl.fromLocalFile(str(self.guides[row].path))
        self.browser.setSource(url, QTextDocument.ResourceType.MarkdownResource)
        self.browser.fit_images()

    def follow(self, url: QUrl) -> None:
        """Another guide (or a place in this one) opens here; anything else is only shown."""
        if url.isRelative() or url.isLocalFile():
            target = self.browser.source().resolved(url) if url.isRelative() else url
            path = target.toLocalFile()
            for guide in self.guides:
                if path == str(guide.path):
                    self.show_guide(guide.name, target.fragment())
                    return
            if not target.path() or path == self.browser.source().toLocalFile():
                self.browser.scrollToAnchor(target.fragment())
                return
        self.outside.setText(
            f"That link leads outside the guides and is not opened here: {url.toString()}"
        )
        self.outside.show()


class FittingBrowser(QTextBrowser):
    """A text browser whose pictures (the guides' screenshots, 1280 px wide) are scaled down to
    the width of the text, so that a page reads without scrolling sideways."""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_images()

    def fit_images(self) -> None:
        document = self.document()
        room = max(200, self.viewport().width() - 2 * int(document.documentMargin()) - 8)
        block = document.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                shape = fragment.charFormat()
                if shape.isImageFormat():
                    image_format = shape.toImageFormat()
                    image = document.resource(
                        QTextDocument.ResourceType.ImageResource, QUrl(image_format.name())
                    )
                    if isinstance(image, QImage | QPixmap) and not image.isNull():
                        natural = image.width() / max(1.0, image.devicePixelRatio())
                        width = min(float(room), natural)
                        if abs(image_format.width() - width) > 1:
                            image_format.setWidth(width)
                            image_format.setHeight(width * image.height() / image.width())
                            cursor = QTextCursor(document)
                            cursor.setPosition(fragment.position())
                            cursor.setPosition(
                                fragment.position() + fragment.length(),
                                QTextCursor.MoveMode.KeepAnchor,
                            )
                            cursor.setCharFormat(image_format)
                it += 1
            block = block.next()
