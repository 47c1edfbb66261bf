"""Revoking a certificate: which one, the reason code, when the key was compromised, a note."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QTimeZone
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.inventory.certrecord import CertRecord
from pkiadmin.core.revocation import records as revocation


class RevokeDialog(QDialog):
    """Choose the certificate and reason; the consequence for a CA certificate is spelled out."""

    def __init__(self, candidates: tuple[CertRecord, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Revoke certificate")
        self.setMinimumWidth(640)
        self.candidates = candidates
        outer = QVBoxLayout(self)
        form = QFormLayout()
        outer.addLayout(form)
        self.certificate = QComboBox()
        for record in candidates:
            self.certificate.addItem(
                f"{record.id}: {record.common_name} (serial {record.serial_hex[:16]}…)", record.id
            )
        self.reason = QComboBox()
        self.reason.setObjectName("revokeReason")
        self.use_invalidity = QCheckBox("&Key compromised earlier, at:")
        self.invalidity = QDateTimeEdit(QDateTime.currentDateTimeUtc())
        self.invalidity.setTimeZone(QTimeZone.utc())
        self.invalidity.setDisplayFormat("yyyy-MM-dd HH:mm 'UTC'")
        self.invalidity.setEnabled(False)
        self.use_invalidity.toggled.connect(self.invalidity.setEnabled)
        self.note = QLineEdit(placeholderText="what happened, ticket number…")
        self.consequence = QLabel()
        self.consequence.setObjectName("revokeConsequence")
        self.consequence.setWordWrap(True)
        form.addRow("&Certificate:", self.certificate)
        form.addRow("&Reason:", self.reason)
        form.addRow(self.use_invalidity, self.invalidity)
        form.addRow("&Note:", self.note)
        outer.addWidget(self.consequence)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.revoke_button = self.buttons.addButton(
            "Re&voke", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.revoke_button.setEnabled(bool(candidates))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.certificate.currentIndexChanged.connect(lambda *_: self._explain())
        self._explain()

    def selected(self) -> CertRecord | None:
        cert_id = self.certificate.currentData()
        return next((c for c in self.candidates if c.id == cert_id), None)

    def _offer_reasons(self, record: CertRecord | None) -> None:
        """Only the reasons the Baseline Requirements allow for this kind of certificate (7.2.2):
        a CA certificate is never revoked as unspecified."""
        previous = self.reason.currentData()
        self.reason.clear()
        for name in revocation.reasons_for(record is not None and record.is_ca):
            self.reason.addItem(name, name)
        index = self.reason.findData(previous)
        self.reason.setCurrentIndex(max(index, 0))

    def _explain(self) -> None:
        record = self.selected()
        self._offer_reasons(record)
        if record is None:
            self.consequence.setText("No certificate issued by a CA held here can be revoked.")
        elif record.is_ca:
            self.consequence.setText(
                f"<b>{record.common_name} is a CA.</b> Once the CRL is published, relying parties reject it "
                "and every certificate it issued, and partners' mTLS through it stops. This cannot be undone. "
                "The revocation must be signed into a CRL within 24 hours."
            )
        else:
            self.consequence.setText("The revocation must be signed into a CRL within 24 hours.")

    def values(self) -> tuple[int, str, datetime | None, str]:
        record = self.selected()
        assert record is not None  # noqa: S101 - the Revoke button needs a selection
        invalidity = (
            datetime.fromtimestamp(self.invalidity.dateTime().toSecsSinceEpoch(), UTC)
            if self.use_invalidity.isChecked()
            else None
        )
        return record.id, str(self.reason.currentData()), invalidity, self.note.text()
