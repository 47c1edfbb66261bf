"""Authorities → CA settings…: the URLs a CA writes into what it signs, when its renewal is due,
and its CRL period and overlap (`ca settings` and `crl settings` in the CLI), saved together."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.lifecycle.ca_settings import CaSettings, read, save
from pkiadmin.core.revocation import crl
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.errors import error_label, show_in
from pkiadmin.gui.worker import CaWorkerApi, Progress


def _urls(text: str) -> tuple[str, ...]:
    return tuple(u for u in text.replace(",", " ").split() if u)


class CaSettingsDialog(QDialog):
    def __init__(
        self, worker: CaWorkerApi, ca_id: int, ca_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.ca_id = ca_id
        self.saved = False
        self.setWindowTitle(f"Settings of {ca_name}")
        self.setMinimumWidth(720)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"What <b>{ca_name}</b> writes into the certificates it signs from now on, when its "
            "renewal is due, and how long its CRLs are valid. URLs are http:// or ldap:// "
            "(fetched without TLS), separated by spaces or commas."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.crl_urls = QLineEdit(placeholderText="http://pki.example.com/issuing.crl")
        self.ca_issuers_urls = QLineEdit(placeholderText="http://pki.example.com/issuing.crt")
        self.ocsp_urls = QLineEdit(placeholderText="http://ocsp.example.com")
        self.renew_at = QDoubleSpinBox(minimum=0.01, maximum=0.99, singleStep=0.01, decimals=2)
        self.renew_at.setSuffix(" of the validity left")
        self.period = QSpinBox(minimum=1, maximum=crl.MAX_PERIOD_DAYS, suffix=" days")
        self.overlap = QSpinBox(minimum=0, maximum=crl.MAX_PERIOD_DAYS - 1, suffix=" days")
        form.addRow("&CRL distribution points:", self.crl_urls)
        form.addRow("AIA ca&Issuers:", self.ca_issuers_urls)
        form.addRow("AIA &OCSP:", self.ocsp_urls)
        form.addRow("&Renewal due at:", self.renew_at)
        form.addRow("CRL &period:", self.period)
        form.addRow("CRL o&verlap (next ceremony due before nextUpdate):", self.overlap)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)  # until the current settings are shown
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.worker.submit(lambda ws, _p: read(ws, ca_id), self._show, self._failed)

    def _show(self, current: CaSettings) -> None:
        self.crl_urls.setText(" ".join(current.crl_urls))
        self.ca_issuers_urls.setText(" ".join(current.ca_issuers_urls))
        self.ocsp_urls.setText(" ".join(current.ocsp_urls))
        self.renew_at.setValue(current.renew_at)
        self.period.setValue(current.crl_period_days)
        self.overlap.setValue(current.crl_overlap_days)
        self.save_button.setEnabled(True)

    def settings(self) -> CaSettings:
        return CaSettings(
            _urls(self.crl_urls.text()),
            _urls(self.ca_issuers_urls.text()),
            _urls(self.ocsp_urls.text()),
            round(self.renew_at.value(), 2),
            self.period.value(),
            self.overlap.value(),
        )

    def save(self) -> None:
        chosen, ca_id = self.settings(), self.ca_id
        self.error.hide()

        def operation(ws: Workspace, _progress: Progress) -> None:
            save(ws, ca_id, chosen)

        def done(_result: None) -> None:
            self.saved = True
            self.accept()

        self.worker.submit(operation, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        show_in(self.error, self, error)
