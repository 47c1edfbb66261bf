"""The "New root CA" dialog: collects the inputs, then creates the root on the CA worker with a busy bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base.errors import PkiError, ValidationError
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.issuance import root_on_token as token_root
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys import passphrase
from pkiadmin.core.keys import pkcs11 as hsm
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.keyid import SkiMethod
from pkiadmin.core.x509.names import SubjectSpec
from pkiadmin.gui.dialogs.create_ca import CreateCaDialog
from pkiadmin.gui.errors import error_label
from pkiadmin.gui.worker import CaWorkerApi, Progress


class NewRootDialog(CreateCaDialog):
    """Everything is validated by core before the key is generated; errors are shown in the dialog."""

    def __init__(self, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self.setWindowTitle("New root CA")
        self.setObjectName("newRootDialog")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)

        subject = QGroupBox("Subject")
        form = QFormLayout(subject)
        self.common_name = QLineEdit(placeholderText="e.g. Example Root CA 2026")
        self.organization = QLineEdit()
        self.organizational_unit = QLineEdit()
        self.country = QLineEdit(placeholderText="two letters, e.g. DE", maxLength=2)
        self.state = QLineEdit()
        self.locality = QLineEdit()
        form.addRow("&Common name (CN):", self.common_name)
        form.addRow("&Organisation (O):", self.organization)
        form.addRow("Organisational &unit (OU):", self.organizational_unit)
        form.addRow("Coun&try (C):", self.country)
        form.addRow("&State or province (ST):", self.state)
        form.addRow("&Locality (L):", self.locality)
        layout.addWidget(subject)

        key_box = QGroupBox("Key and profile")
        form = QFormLayout(key_box)
        self.algorithm = QComboBox()
        for algorithm in keys.KeyAlgorithm:
            self.algorithm.addItem(algorithm.label, algorithm)
        self.validity_years = QSpinBox(minimum=1, maximum=50, value=20, suffix=" years")
        self.limit_path = QCheckBox("&Limit path length to")
        self.path_length = QSpinBox(minimum=0, maximum=rootca.MAX_PATH_LENGTH, value=1)
        self.path_length.setEnabled(False)
        self.limit_path.toggled.connect(self.path_length.setEnabled)
        path_row = QWidget()
        path_layout = QFormLayout(path_row)
        path_layout.setContentsMargins(0, 0, 0, 0)
        path_layout.addRow(self.limit_path, self.path_length)
        self.ski_method = QComboBox()
        for method in SkiMethod:
            self.ski_method.addItem(method.label, method)
        form.addRow("Key &algorithm:", self.algorithm)
        form.addRow("&Validity:", self.validity_years)
        form.addRow("Path length:", path_row)
        form.addRow("Subject key &identifier:", self.ski_method)
        layout.addWidget(key_box)

        storage = QGroupBox("Where the key lives")
        form = QFormLayout(storage)
        self.backend = QComboBox()
        self.backend.setObjectName("keyBackend")
        self.backend.addItem("Encrypted key file (passphrase)", "file")
        self.backend.addItem("PKCS#11 token (HSM): generated there, never leaves", "pkcs11")
        form.addRow("Key &storage:", self.backend)
        self.token = QComboBox()
        self.token.setEditable(True)
        self.token.setObjectName("tokenLabel")
        self.key_label = QLineEdit(placeholderText="the key's label on the token, e.g. root-2026")
        self.pin = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.pin.setObjectName("tokenPin")
        self.token_rows = (self.token, self.key_label, self.pin)
        form.addRow("&Token:", self.token)
        form.addRow("Key la&bel:", self.key_label)
        form.addRow("Token P&IN (never stored):", self.pin)
        layout.addWidget(storage)
        self.storage_form = form
        self.backend.currentIndexChanged.connect(lambda *_: self._backend_changed())

        secret_box = QGroupBox("Key passphrase (never stored)")
        self.secret_box = secret_box
        form = QFormLayout(secret_box)
        self.passphrase = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.confirmation = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.strength = QLabel()
        self.strength.setObjectName("passphraseHint")
        self.strength.setWordWrap(True)
        self.passphrase.textChanged.connect(self._update_strength)
        form.addRow("&Passphrase:", self.passphrase)
        form.addRow("&Repeat:", self.confirmation)
        form.addRow("", self.strength)
        layout.addWidget(secret_box)

        self.error = error_label()
        layout.addWidget(self.error)
        self.status = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: key generation gives no percentage
        self.busy.hide()
        layout.addWidget(self.status)
        layout.addWidget(self.busy)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton(
            "C&reate root CA", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update_strength("")
        self._backend_changed()

    def on_token(self) -> bool:
        return bool(self.backend.currentData() == "pkcs11")

    def _backend_changed(self) -> None:
        token = self.on_token()
        for widget in self.token_rows:
            self.storage_form.setRowVisible(widget, token)
        self.secret_box.setVisible(not token)
        if token and self.token.count() == 0:
            self._worker.submit(
                lambda _ws, _p: hsm.list_tokens(), self._tokens_listed, self._failed
            )

    def _tokens_listed(self, tokens: object) -> None:
        for info in tokens if isinstance(tokens, tuple) else ():
            self.token.addItem(f"{info.label}", info.label)
            index = self.token.count() - 1
            self.token.setItemData(
                index,
                f"{info.manufacturer} {info.model}, serial {info.serial}",
                Qt.ItemDataRole.ToolTipRole,
            )

    def request(self) -> rootca.RootCaRequest:
        return rootca.RootCaRequest(
            subject=SubjectSpec(
                self.common_name.text(),
                self.organization.text(),
                self.organizational_unit.text(),
                self.country.text(),
                self.state.text(),
                self.locality.text(),
            ),
            algorithm=self.algorithm.currentData(),
            validity_days=round(self.validity_years.value() * 365.25),
            path_length=self.path_length.value() if self.limit_path.isChecked() else None,
            ski_method=self.ski_method.currentData(),
        )

    def start(self) -> None:
        """Validate, then hand the work to the CA worker; the dialog stays open until it is done."""
        try:
            request = self.request()
            request.validated_name()
            if self.on_token():
                if not (self.token.currentText().strip() and self.key_label.text().strip()):
                    raise ValidationError("Choose the token and give the new key a label.")
            else:
                passphrase.check_new(self.passphrase.text(), self.confirmation.text())
        except PkiError as exc:
            self._show_error(str(exc))
            return
        secret = self.passphrase.text()
        self._set_busy(True)
        if self.on_token():
            ref = hsm.KeyRef(self.token.currentText().strip(), self.key_label.text().strip())
            pin = self.pin.text()
            self.pin.clear()

            def on_token(ws: Workspace, progress: Progress) -> token_root.TokenRootResult:
                return token_root.create_root_on_token(ws, request, ref, pin, progress)

            self._worker.submit(on_token, self._finished, self._failed, self.status.setText)
            return

        def operation(ws: Workspace, progress: Progress) -> rootca.RootCaResult:
            return rootca.create_root_ca(ws, request, secret, progress)

        self._worker.submit(operation, self._finished, self._failed, self.status.setText)

    def _finished(self, result: rootca.RootCaResult | token_root.TokenRootResult) -> None:
        self._created(result.record.id)

    def _update_strength(self, text: str) -> None:
        try:
            passphrase.check_strength(text)
        except PkiError as exc:
            self.strength.setText(
                str(exc) if text else f"At least {passphrase.MIN_LENGTH} characters."
            )
        else:
            self.strength.setText("Long enough.")
