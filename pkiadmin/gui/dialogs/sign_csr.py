"""Signing an imported CSR: choose the issuer and a CA or end-entity profile, see the exact
certificate with every decision, confirm, unlock, sign."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.issuance import end_entity, intermediate, profiles, requests
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.cert_profiles import CertProfile
from pkiadmin.gui.dialogs.review import add_review
from pkiadmin.gui.dialogs.share_inputs import KeyUnlockInputs
from pkiadmin.gui.errors import error_label, show_in
from pkiadmin.gui.worker import CaWorkerApi, Progress


class SignCsrDialog(QDialog):
    def __init__(
        self,
        worker: CaWorkerApi,
        csr_id: int,
        issuers: tuple[Authority, ...],
        parent: QWidget | None = None,
        custodians: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(parent)
        custodians = custodians or {}
        self.worker = worker
        self.csr_id = csr_id
        self.issuers = issuers
        self.plan: intermediate.SigningPlan | end_entity.EndEntityPlan | None = None
        self.issued: intermediate.IssuedCa | end_entity.IssuedCertificate | None = None
        self.end_entity_profiles: dict[str, CertProfile] = {}
        self.setWindowTitle(f"Sign CSR {csr_id}")
        self.setMinimumSize(760, 640)
        layout = QVBoxLayout(self)
        mode = QLabel(
            "<b>Quick mode, without witnesses</b>: the audit log records it as unwitnessed. A "
            "production CA certificate is signed in a sign-intermediate ceremony "
            "(<tt>pkiadmin-cli ceremony plan new --kind sign-intermediate</tt>); service "
            "certificates are signed here by an issuing CA, high-value ones (an OCSP responder, "
            "a partner gateway) in a <tt>sign-end-entity</tt> ceremony."
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
        self.validity_days = QSpinBox(minimum=1, maximum=1, value=1, suffix=" days")
        self.eku = QLineEdit(placeholderText="optional, e.g. serverAuth, clientAuth")
        self.permitted_dns = QLineEdit(placeholderText="optional, e.g. example.com, example.org")
        form.addRow("&Issuer:", self.issuer)
        form.addRow("&Profile:", self.profile)
        form.addRow("&Validity:", self.validity_years)
        form.addRow("Validity (&days):", self.validity_days)
        form.addRow("&EKU constraint:", self.eku)
        form.addRow("Permitted &DNS names:", self.permitted_dns)
        self.form = form
        layout.addLayout(form)
        review = add_review(
            layout,
            "Show the certificate to be &signed",
            "signPreview",
            "I have &checked every field of the certificate above",
            self.preview,
        )
        self.preview_button, self.text, self.checked = review.button, review.text, review.checked
        self.unlock = KeyUnlockInputs(custodians)
        self.secret = self.unlock.secret
        layout.addWidget(self.unlock)
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
        self.validity_days.valueChanged.connect(self._invalidate)
        self.issuer.currentIndexChanged.connect(self._unlock_prompt)
        self.profile.currentIndexChanged.connect(self._profile_fields)
        self._unlock_prompt()
        self._profile_fields()
        self.worker.submit(
            lambda ws, _p: profiles.all_profiles(ws.db), self._add_profiles, self._failed
        )

    def _add_profiles(self, found: dict[str, CertProfile]) -> None:
        """The end-entity profiles, after the CA ones (signed by an issuing CA)."""
        self.end_entity_profiles = found
        for name, p in found.items():
            self.profile.addItem(f"End entity: {name} — {p.description}", name)

    def _selected_profile(self) -> CertProfile | None:
        return self.end_entity_profiles.get(str(self.profile.currentData()))

    def _profile_fields(self) -> None:
        """A CA profile takes years, an EKU constraint and name constraints; an end-entity
        profile takes days up to its cap and sets the rest itself."""
        chosen = self._selected_profile()
        for widget in (self.validity_years, self.eku, self.permitted_dns):
            self.form.setRowVisible(widget, chosen is None)
        self.form.setRowVisible(self.validity_days, chosen is not None)
        if chosen is not None:
            self.validity_days.setMaximum(chosen.max_validity_days)
            self.validity_days.setValue(chosen.validity_days)

    def _authority(self) -> Authority:
        return next(a for a in self.issuers if a.id == self.issuer.currentData())

    def _unlock_prompt(self) -> None:
        self.unlock.set_authority(self._authority())

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
        issuer_id, csr_id = int(self.issuer.currentData()), self.csr_id
        chosen = self._selected_profile()
        if chosen is not None:
            days = self.validity_days.value()

            def end_entity_plan(
                ws: Workspace, _progress: Progress
            ) -> tuple[end_entity.EndEntityPlan, str]:
                plan = end_entity.prepare(
                    ws, issuer_id, requests.load_request(ws, csr_id), chosen, days
                )
                return plan, end_entity.preview(plan)

            self.worker.submit(end_entity_plan, self._show_plan, self._failed)
            return
        request = self.request()

        def operation(ws: Workspace, _progress: Progress) -> tuple[intermediate.SigningPlan, str]:
            plan = intermediate.prepare(ws, issuer_id, requests.load_request(ws, csr_id), request)
            return plan, intermediate.preview(plan)

        self.worker.submit(operation, self._show_plan, self._failed)

    def _show_plan(
        self, result: tuple[intermediate.SigningPlan | end_entity.EndEntityPlan, str]
    ) -> None:
        self.plan, text = result
        self.text.setPlainText(text)
        self.checked.setEnabled(True)

    def sign(self) -> None:
        if self.plan is None or not self.checked.isChecked():
            return
        plan, csr_id = self.plan, self.csr_id
        passphrase, words = self.unlock.values()

        def operation(
            ws: Workspace, _progress: Progress
        ) -> intermediate.IssuedCa | end_entity.IssuedCertificate:
            if isinstance(plan, end_entity.EndEntityPlan):
                return end_entity.sign(ws, plan, passphrase, words, csr_id=csr_id)
            return intermediate.sign(ws, plan, passphrase, words, csr_id=csr_id)

        def done(result: intermediate.IssuedCa | end_entity.IssuedCertificate) -> None:
            self.issued = result
            self.unlock.clear()
            self.accept()

        self.setEnabled(False)
        self.worker.submit(operation, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.setEnabled(True)
        show_in(self.error, self, error)
