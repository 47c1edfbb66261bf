"""Requests → Issue with a key made here…: for rehearsals and small installations, the key is
generated here, its certificate issued under an end-entity profile (the same checks as for a
CSR), and both leave only encrypted, as PKCS#12 or an encrypted PKCS#8 key with fullchain.pem;
the key is not kept (`ca issue` in the CLI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.issuance import key_and_cert, profiles
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import san_text
from pkiadmin.core.x509.cert_profiles import CertProfile
from pkiadmin.gui.dialogs.share_inputs import KeyUnlockInputs
from pkiadmin.gui.errors import NO_ISSUING_CA, error_label, show_in
from pkiadmin.gui.worker import CaWorkerApi, Progress


class IssueKeyDialog(QDialog):
    def __init__(
        self,
        worker: CaWorkerApi,
        issuers: Sequence[Authority],
        default_folder: Path,
        parent: QWidget | None = None,
        custodians: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.issuers = list(issuers)
        self.made: key_and_cert.KeyBundle | None = None
        self.setWindowTitle("Issue a certificate with a key made here")
        self.setMinimumWidth(760)
        layout = QVBoxLayout(self)
        note = QLabel(
            "For rehearsals and small installations: the key is generated on this machine and "
            "leaves only encrypted under the export password; pkiadmin does not keep it."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        self.issuer = QComboBox()
        for authority in self.issuers:
            self.issuer.addItem(f"{authority.name} ({authority.kind})", authority.id)
        self.profile = QComboBox()
        self.common_name = QLineEdit(placeholderText="svc.example.com")
        self.sans = QLineEdit(placeholderText="DNS:svc.example.com IP:10.0.0.5")
        self.algorithm = QComboBox()
        for algorithm in (keys.KeyAlgorithm.EC_P256, keys.KeyAlgorithm.EC_P384,
                          keys.KeyAlgorithm.RSA_3072):  # fmt: skip
            self.algorithm.addItem(algorithm.value, algorithm.value)
        self.format = QComboBox()
        self.format.addItem("PKCS#12 (.p12, PBES2 AES-256)", "pkcs12")
        self.format.addItem("Encrypted PKCS#8 key and fullchain.pem", "pkcs8")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.confirmation = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.folder = QLineEdit(str(default_folder))
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        folder_label = QLabel("&Folder:")
        folder_label.setBuddy(self.folder)
        form.addRow("&Issuing CA:", self.issuer)
        form.addRow("&Profile:", self.profile)
        form.addRow("&Common name:", self.common_name)
        form.addRow("&SANs:", self.sans)
        form.addRow("&Key:", self.algorithm)
        form.addRow("F&ormat:", self.format)
        form.addRow("Export pass&word:", self.password)
        form.addRow("&Repeat it:", self.confirmation)
        form.addRow(folder_label, folder_row)
        layout.addLayout(form)
        self.unlock = KeyUnlockInputs(custodians or {})
        layout.addWidget(self.unlock)
        self.error = error_label()
        layout.addWidget(self.error)
        if not self.issuers:  # what Issue would refuse anyway: said at once, Issue disabled
            self.error.setText(NO_ISSUING_CA)
            self.error.show()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.issue_button = buttons.addButton("&Issue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.issue_button.setEnabled(bool(self.issuers))
        buttons.accepted.connect(self.issue)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.issuer.currentIndexChanged.connect(self._unlock_prompt)
        self._unlock_prompt()
        self.worker.submit(
            lambda ws, _p: profiles.all_profiles(ws.db), self._add_profiles, self._failed
        )

    def _add_profiles(self, found: dict[str, CertProfile]) -> None:
        self.found_profiles = found
        for name, p in found.items():
            self.profile.addItem(f"{name} — {p.description}", name)

    def _unlock_prompt(self) -> None:
        chosen = next((a for a in self.issuers if a.id == self.issuer.currentData()), None)
        if chosen is not None:
            self.unlock.set_authority(chosen)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for the key and certificate")
        if chosen:
            self.folder.setText(chosen)

    def issue(self) -> None:
        self.error.hide()
        name = str(self.profile.currentData() or "")
        problem = (
            "The two export passwords differ; type them again."
            if self.password.text() != self.confirmation.text()
            else "Choose an end-entity profile."
            if not name
            else ""
        )
        try:
            if problem:
                raise ValidationError(problem)  # noqa: TRY301 - shown as every refusal is
            sans = san_text.parse(self.sans.text().split())
        except ValidationError as exc:
            show_in(self.error, self, exc)
            return
        issuer_id, cn = int(self.issuer.currentData()), self.common_name.text().strip()
        algorithm = keys.KeyAlgorithm(self.algorithm.currentData())
        password, folder = self.password.text(), Path(self.folder.text())
        pkcs12 = self.format.currentData() == "pkcs12"
        secret, words = self.unlock.values()

        def operation(ws: Workspace, _progress: Progress) -> key_and_cert.KeyBundle:
            return key_and_cert.issue(
                ws, issuer_id, profiles.get(ws.db, name), cn, sans, algorithm, password, folder,
                pkcs12_format=pkcs12, issuer_passphrase=secret, issuer_shares=words,
            )  # fmt: skip

        def done(made: key_and_cert.KeyBundle) -> None:
            self.made = made
            self.password.clear()
            self.confirmation.clear()
            self.unlock.clear()
            self.accept()

        self.worker.submit(operation, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        show_in(self.error, self, error)
