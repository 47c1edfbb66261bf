"""Tools → Compliance policy…: the limits every certificate is checked against (key sizes,
validity per tier), shown as they are and changed together; every finding is then recomputed,
and the change audited (`compliance policy` in the CLI)."""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.inventory import compliance, compliance_report
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.errors import error_label, show_in
from pkiadmin.gui.worker import CaWorkerApi, Progress

_LABELS = {
    "min_rsa_bits": ("Smallest &RSA key", " bits"),
    "min_ec_bits": ("Smallest &EC key", " bits"),
    "max_end_entity_days": ("Longest &service certificate", " days"),
    "max_intermediate_days": ("Longest &intermediate CA", " days"),
    "max_root_days": ("Longest r&oot CA", " days"),
}


class CompliancePolicyDialog(QDialog):
    def __init__(self, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.saved = False
        self.setWindowTitle("Compliance policy")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Every certificate in the inventory is checked against these limits; the dashboard "
            "counts those that break them. Changing one recomputes every finding."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.fields: dict[str, QSpinBox] = {}
        for f in fields(compliance.Policy):
            label, suffix = _LABELS.get(f.name, (f.name.replace("_", " "), ""))
            box = QSpinBox(minimum=1, maximum=100_000, suffix=suffix)
            box.setObjectName(f"policy_{f.name}")
            form.addRow(f"{label}:", box)
            self.fields[f.name] = box
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.worker.submit(lambda ws, _p: compliance.load_policy(ws.db), self._show, self._failed)

    def _show(self, policy: compliance.Policy) -> None:
        for name, box in self.fields.items():
            box.setValue(int(getattr(policy, name)))
        self.save_button.setEnabled(True)

    def policy(self) -> compliance.Policy:
        return compliance.Policy(**{name: box.value() for name, box in self.fields.items()})

    def save(self) -> None:
        chosen = self.policy()
        self.error.hide()

        def operation(ws: Workspace, _progress: Progress) -> None:
            compliance_report.set_policy(ws, chosen)

        def done(_result: None) -> None:
            self.saved = True
            self.accept()

        self.worker.submit(operation, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        show_in(self.error, self, error)
