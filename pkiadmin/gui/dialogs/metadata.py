"""The operator's metadata of one certificate: service, environment, owner team, partner, tags, note."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from pkiadmin.core.inventory import metadata
from pkiadmin.core.inventory.certrecord import CertRecord


class MetadataDialog(QDialog):
    """Service, environment, owner team, partner, tags and note of one certificate."""

    def __init__(
        self, record: CertRecord, partners: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Metadata of certificate {record.id}")
        self.setObjectName("metadataDialog")
        form = QFormLayout(self)
        self.service = QLineEdit(record.service)
        self.environment = QLineEdit(record.environment)
        self.environment.setPlaceholderText("production, staging, …")
        self.owner_team = QLineEdit(record.owner_team)
        self.partner = QComboBox()
        self.partner.addItem("(none)", "")
        for name in partners:
            self.partner.addItem(name, name)
        self.tags = QLineEdit(record.tags)
        self.tags.setPlaceholderText("space- or comma-separated")
        self.note = QPlainTextEdit(record.note)
        self.note.setTabChangesFocus(True)
        form.addRow(QLabel(f"<b>{escape(record.common_name)}</b>"))
        form.addRow("&Service:", self.service)
        form.addRow("&Environment:", self.environment)
        form.addRow("&Owner team:", self.owner_team)
        form.addRow("&Partner:", self.partner)
        form.addRow("&Tags:", self.tags)
        form.addRow("&Note:", self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def select_partner(self, name: str) -> None:
        self.partner.setCurrentIndex(max(0, self.partner.findData(name)))

    def change(self) -> metadata.MetadataChange:
        return metadata.MetadataChange(
            service=self.service.text(),
            environment=self.environment.text(),
            owner_team=self.owner_team.text(),
            partner=str(self.partner.currentData() or ""),
            tags=self.tags.text(),
            note=self.note.toPlainText(),
        )
