"""Signing an imported CSR: choose issuer and profile, see the exact certificate, confirm, unlock, sign."""

from __future__ import annotations

from typing import cast

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.issuance import intermediate, requests
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.errors import error_label, show_error
from pkiadmin.gui.worker import CaWorkerApi, Progress


class SignCsrDialog(QDialog):
    def __init__(
        self,
        worker: CaWorkerApi,
        csr_id: int,
        issuers: tuple[Authority, ...],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.csr_id = csr_id
        self.issuers = issuers
        self.plan: intermediate.SigningPlan | None = None
        self.issued: intermediate.IssuedCa | None = None
        self.setWindowTitle(f"Sign CSR {csr_id}")
        self.setMinimumSize(760, 640)
        layout = QVBoxLayout(self)
        mode = QLabel(
            "<b>Quick mode, without witnesses</b>: for test hierarchies; the audit log records it as "
            "unwitnessed. For a production CA, run a sign-intermediate ceremony "
            "(<tt>pkiadmin-cli ceremony plan new --kind sign-intermediate</tt>)."
        )
        mode.setObjectName("quickModeNote")
        mode.setWordWrap(True)
        layout.addWidget(mode)
        form = QFormLayout()
        self.issuer = QComboBox()
        for authority in issuers:
            self.issuer.addItem(f"{authority.name} ({authority.kind})", authority.id)
        self.profile = QComboBox()
        self.profile.addItem("Issuing CA (path length 0)", intermediate.CaProfile.ISSUING.value)
        self.profile.addItem("Policy CA (path length 1)", intermediate.CaProfile.POLICY.value)
        self.validity_years = QSpinBox(minimum=1, maximum=30, value=10, suffix=" years")
        self.eku = QLineEdit(placeholderText="optional, e.g. serverAuth, clientAuth")
        self.permitted_dns = QLineEdit(placeholderText="optional, e.g. example.com, example.org")
        form.addRow("&Issuer:", self.issuer)
        form.addRow("&Profile:", self.profile)
        form.addRow("&Validity:", self.validity_years)
        form.addRow("&EKU constraint:", self.eku)
        form.addRow("Permitted &DNS names:", self.permitted_dns)
        layout.addLayout(form)
        self.preview_button = QPushButton("Show the certificate to be &signed")
        self.preview_button.clicked.connect(self.preview)
        layout.addWidget(self.preview_button)
        self.text = QPlainTextEdit()
        self.text.setObjectName("signPreview")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.text, 1)
        self.checked = QCheckBox("I have &checked every field of the certificate above")
        self.checked.setEnabled(False)
        layout.addWidget(self.checked)
        unlock = QFormLayout()
        self.secret = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.unlock_label = QLabel("Issuer key passphrase:")
        unlock.addRow(self.unlock_label, self.secret)
        layout.addLayout(unlock)
        self.error = error_label()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = self.buttons.addButton("Si&gn", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_button.setEnabled(False)
        self.checked.toggled.connect(self.sign_button.setEnabled)
        self.buttons.accepted.connect(self.sign)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for widget in (self.issuer, self.profile):
            widget.currentIndexChanged.connect(self._invalidate)
        for edit in (self.eku, self.permitted_dns):
            edit.textChanged.connect(self._invalidate)
        self.validity_years.valueChanged.connect(self._invalidate)
        self.issuer.currentIndexChanged.connect(self._unlock_prompt)
        self._unlock_prompt()

    def _authority(self) -> Authority:
        return next(a for a in self.issuers if a.id == self.issuer.currentData())

    def _unlock_prompt(self) -> None:
        if self._authority().needs_shares:
            self.unlock_label.setText(
                "Custodian shares (one per line is not possible here: separate shares with '|'):"
            )
        elif self._authority().on_token:
            self.unlock_label.setText("PIN of the issuer's token:")
        else:
            self.unlock_label.setText("Issuer key passphrase:")

    def _invalidate(self) -> None:
        self.plan = None
        self.text.clear()
        self.checked.setChecked(False)
        self.checked.setEnabled(False)

    def request(self) -> intermediate.IntermediateRequest:
        def split(text: str) -> tuple[str, ...]:
            return tuple(p.strip() for p in text.split(",") if p.strip())

        return intermediate.IntermediateRequest(
            profile=intermediate.CaProfile(self.profile.currentData()),
            validity_days=round(self.validity_years.value() * 365.25),
            eku=split(self.eku.text()),
            permitted_dns=split(self.permitted_dns.text()),
        )

    def preview(self) -> None:
        self.error.hide()
        issuer_id, csr_id, request = int(self.issuer.currentData()), self.csr_id, self.request()

        def operation(ws: Workspace, _progress: Progress) -> tuple[intermediate.SigningPlan, str]:
            plan = intermediate.prepare(ws, issuer_id, requests.load_request(ws, csr_id), request)
            return plan, intermediate.preview(plan)

        def done(result: object) -> None:
            plan, text = cast(tuple[intermediate.SigningPlan, str], result)
            self.plan = plan
            self.text.setPlainText(text)
            self.checked.setEnabled(True)

        self.worker.submit(operation, done, self._failed)

    def sign(self) -> None:
        if self.plan is None or not self.checked.isChecked():
            return
        plan, csr_id = self.plan, self.csr_id
        secret = self.secret.text()
        words = (
            [w for w in secret.split("|") if w.strip()] if self._authority().needs_shares else None
        )
        passphrase = None if words is not None else secret

        def operation(ws: Workspace, _progress: Progress) -> intermediate.IssuedCa:
            return intermediate.sign(ws, plan, passphrase, words, csr_id=csr_id)

        def done(result: intermediate.IssuedCa) -> None:
            self.issued = result
            self.secret.clear()
            self.accept()

        self.setEnabled(False)
        self.worker.submit(operation, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.setEnabled(True)
        if isinstance(error, PkiError):
            self.error.setText(str(error))
            self.error.show()
        else:
            show_error(self, error)
