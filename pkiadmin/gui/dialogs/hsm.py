"""Tools → HSM tokens: the PKCS#11 tokens present, and (after the PIN) the keys on one of them
with the attributes that show each was made there and cannot leave."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.keys import pkcs11 as hsm
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.dialogs.tables import fill as _fill
from pkiadmin.gui.dialogs.tables import table as _table
from pkiadmin.gui.errors import error_label, show_in
from pkiadmin.gui.worker import CaWorkerApi, Progress


class HsmDialog(QDialog):
    def __init__(self, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setWindowTitle("HSM tokens")
        self.setMinimumSize(900, 520)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Tokens</b> offered by the PKCS#11 module"))
        self.tokens = _table(["Token", "Manufacturer", "Model", "Serial", "Firmware"], "hsmTokens")
        layout.addWidget(self.tokens)
        form = QFormLayout()
        self.pin = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.pin.setObjectName("hsmPin")
        form.addRow("PIN of the selected &token:", self.pin)
        layout.addLayout(form)
        self.show_keys = QPushButton("&Show its keys")
        self.show_keys.clicked.connect(self.list_keys)
        layout.addWidget(self.show_keys)
        self.keys = _table(
            [
                "Label",
                "Algorithm",
                "SPKI SHA-256",
                "LOCAL",
                "NEVER_EXTRACTABLE",
                "ALWAYS_SENSITIVE",
            ],
            "hsmKeys",
        )
        layout.addWidget(self.keys)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.token_labels: list[str] = []

    def refresh_tokens(self) -> None:
        def done(result: object) -> None:
            found = result if isinstance(result, tuple) else ()
            self.token_labels = [t.label for t in found]
            _fill(
                self.tokens,
                [[t.label, t.manufacturer, t.model, t.serial, t.firmware] for t in found],
            )
            if found:
                self.tokens.selectRow(0)

        self.worker.submit(lambda _ws, _p: hsm.list_tokens(), done, self._failed)

    def list_keys(self) -> None:
        row = self.tokens.currentRow()
        if not 0 <= row < len(self.token_labels):
            self._failed(PkiError("Select a token first."))
            return
        label, pin = self.token_labels[row], self.pin.text()
        self.pin.clear()
        self.error.hide()

        def operation(_ws: Workspace, _p: Progress) -> tuple[hsm.TokenKey, ...]:
            with hsm.session(None, label, pin) as s:
                return hsm.list_keys(s)

        def done(result: object) -> None:
            found = result if isinstance(result, tuple) else ()
            yes = {True: "yes", False: "NO"}
            _fill(
                self.keys,
                [
                    [
                        k.label,
                        k.algorithm,
                        k.spki_sha256[:32] + "…",
                        yes[k.attributes["CKA_LOCAL"]],
                        yes[k.attributes["CKA_NEVER_EXTRACTABLE"]],
                        yes[k.attributes["CKA_ALWAYS_SENSITIVE"]],
                    ]
                    for k in found
                ],
            )

        self.worker.submit(operation, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        show_in(self.error, self, error)
