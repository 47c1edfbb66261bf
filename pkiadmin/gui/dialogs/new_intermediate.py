"""The "New intermediate CA" dialog: a policy or issuing CA whose key is generated here, signed by
a CA held here (root → policy → issuing), on the CA worker with a busy bar. The issuer's key is
unlocked with its passphrase, its token's PIN or a quorum of shares, asked when Create is pressed."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSpinBox,
    QVBoxLayout,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.issuance import held_ca
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.issuance.intermediate import CaProfile, IntermediateRequest
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import passphrase
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.names import SubjectSpec
from pkiadmin.gui.dialogs.create_ca import CreateCaDialog
from pkiadmin.gui.dialogs.unlock import ask_unlock
from pkiadmin.gui.errors import error_label
from pkiadmin.gui.shell import Shell
from pkiadmin.gui.worker import Progress

_PROFILES = (
    (CaProfile.POLICY, "Policy CA (path length 1): signs issuing CAs", 10),
    (CaProfile.ISSUING, "Issuing CA (path length 0): signs service certificates", 5),
)


class NewIntermediateDialog(CreateCaDialog):
    """Inputs are checked by core before the key is generated; errors are shown in the dialog."""

    busy_text = "Generating the key and signing the certificate…"

    def __init__(self, shell: Shell, issuers: tuple[Authority, ...]) -> None:
        super().__init__(shell.widget)
        self._shell = shell
        self.setWindowTitle("New intermediate CA")
        self.setObjectName("newIntermediateDialog")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        note = QLabel(
            "The new CA's key is generated on this workstation and kept here, encrypted with "
            "its own passphrase, so that it can sign the next tier. Its subject's C and O are "
            "the issuer's when left empty."
        )
        note.setWordWrap(True)
        layout.addWidget(note)

        tier = QGroupBox("Issuer and profile")
        form = QFormLayout(tier)
        self.issuer = QComboBox()
        self.issuer.setObjectName("intermediateIssuer")
        for authority in issuers:
            self.issuer.addItem(f"{authority.name} ({authority.kind})", authority.id)
        self.profile = QComboBox()
        self.profile.setObjectName("intermediateProfile")
        for profile, label, _years in _PROFILES:
            self.profile.addItem(label, profile)
        self.validity_years = QSpinBox(minimum=1, maximum=30, value=10, suffix=" years")
        self.algorithm = QComboBox()
        for algorithm in keys.KeyAlgorithm:
            self.algorithm.addItem(algorithm.label, algorithm)
        form.addRow("Signed &by:", self.issuer)
        form.addRow("&Profile:", self.profile)
        form.addRow("&Validity (clamped to the issuer's):", self.validity_years)
        form.addRow("Key &algorithm:", self.algorithm)
        layout.addWidget(tier)
        # A root signs policy CAs; a policy CA signs issuing CAs: the likely choice comes first.
        self.issuer.currentIndexChanged.connect(lambda *_: self._suggest_profile(issuers))
        self.profile.currentIndexChanged.connect(lambda *_: self._suggest_validity())
        self._suggest_profile(issuers)

        subject = QGroupBox("Subject")
        form = QFormLayout(subject)
        self.common_name = QLineEdit(placeholderText="e.g. Example Issuing CA 2026")
        self.organization = QLineEdit(placeholderText="the issuer's")
        self.organizational_unit = QLineEdit()
        self.country = QLineEdit(placeholderText="the issuer's", maxLength=2)
        form.addRow("&Common name (CN):", self.common_name)
        form.addRow("&Organisation (O):", self.organization)
        form.addRow("Organisational &unit (OU):", self.organizational_unit)
        form.addRow("Coun&try (C):", self.country)
        layout.addWidget(subject)

        secret = QGroupBox("The new CA's key passphrase (never stored)")
        form = QFormLayout(secret)
        self.passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.confirmation = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        form.addRow("Pa&ssphrase:", self.passphrase)
        form.addRow("&Repeat:", self.confirmation)
        layout.addWidget(secret)

        self.error = error_label()
        layout.addWidget(self.error)
        self.status = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        layout.addWidget(self.status)
        layout.addWidget(self.busy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton(
            "C&reate intermediate CA", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if not issuers:
            self._show_error("No CA key is held here yet: create a root CA first (Ctrl+N).")
            self.create_button.setEnabled(False)

    def _suggest_profile(self, issuers: tuple[Authority, ...]) -> None:
        chosen = next((a for a in issuers if a.id == self.issuer.currentData()), None)
        wanted = CaProfile.POLICY if chosen is not None and chosen.kind == "root" else None
        self.profile.setCurrentIndex(0 if wanted is CaProfile.POLICY else 1)
        self._suggest_validity()

    def _suggest_validity(self) -> None:
        years = next((y for p, _label, y in _PROFILES if p is self.profile.currentData()), 5)
        self.validity_years.setValue(years)

    def subject(self) -> SubjectSpec:
        return SubjectSpec(
            self.common_name.text(),
            self.organization.text(),
            self.organizational_unit.text(),
            self.country.text(),
        )

    def start(self) -> None:
        """Check the inputs, ask for what unlocks the issuer, then create on the CA worker."""
        try:
            subject = self.subject()
            subject.to_name()
            passphrase.check_new(self.passphrase.text(), self.confirmation.text())
        except PkiError as exc:
            self._show_error(str(exc))
            return
        issuer_id = self.issuer.currentData()
        if not isinstance(issuer_id, int):
            return
        unlock = ask_unlock(self._shell, issuer_id, "Unlock the issuer's key")
        if unlock is None:
            return
        secret, words = unlock
        request = IntermediateRequest(
            profile=self.profile.currentData(),
            validity_days=round(self.validity_years.value() * 365.25),
        )
        new_secret, algorithm = self.passphrase.text(), self.algorithm.currentData()

        def operation(ws: Workspace, _progress: Progress) -> held_ca.HeldIntermediate:
            return held_ca.create_intermediate(
                ws,
                issuer_id,
                subject,
                request,
                new_secret,
                algorithm,
                issuer_passphrase=secret,
                issuer_shares=words,
            )

        self._set_busy(True)
        self._shell.worker.submit(operation, self._finished, self._failed)

    def _finished(self, result: held_ca.HeldIntermediate) -> None:
        self._created(result.issued.cert_id)
