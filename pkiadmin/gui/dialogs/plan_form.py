"""The 'New plan' form: the usual ceremony plan as fields; saved as reviewed TOML."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base import atomicfile
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony.root import plan as plans
from pkiadmin.core.keys import files as keys
from pkiadmin.core.x509.names import SubjectSpec
from pkiadmin.gui.errors import error_label


class PlanFormDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New ceremony plan")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.ceremony_id = QLineEdit(placeholderText="e.g. EXAMPLE-ROOT-2026")
        self.purpose = QLineEdit()
        self.cps = QLineEdit(placeholderText="CP/CPS document and section")
        self.location = QLineEdit()
        self.participants = QPlainTextEdit()
        self.participants.setPlaceholderText(
            "One per line: name, role\nroles: administrator, internal-witness, witness, custodian, auditor"
        )
        self.participants.setTabChangesFocus(True)
        self.common_name = QLineEdit()
        self.organization = QLineEdit()
        self.country = QLineEdit(maxLength=2)
        self.algorithm = QComboBox()
        for algorithm in keys.KeyAlgorithm:
            self.algorithm.addItem(algorithm.label, algorithm.value)
        self.validity_years = QSpinBox(minimum=1, maximum=50, value=20, suffix=" years")
        self.path_length = QSpinBox(minimum=-1, maximum=10, value=1)
        self.path_length.setSpecialValueText("no limit")
        self.threshold = QSpinBox(minimum=1, maximum=16, value=2)
        self.output_name = QLineEdit(placeholderText="file name stem, e.g. example-root-2026")
        for label, widget in (
            ("Ceremony &id:", self.ceremony_id),
            ("&Purpose:", self.purpose),
            ("CP/&CPS reference:", self.cps),
            ("&Location:", self.location),
            ("P&articipants:", self.participants),
            ("Root common &name:", self.common_name),
            ("&Organisation:", self.organization),
            ("Coun&try:", self.country),
            ("Key al&gorithm:", self.algorithm),
            ("&Validity:", self.validity_years),
            ("Pat&h length:", self.path_length),
            ("Custodian &quorum (M):", self.threshold),
            ("O&utput name:", self.output_name),
        ):
            form.addRow(label, widget)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        save = buttons.addButton("&Save plan…", QDialogButtonBox.ButtonRole.AcceptRole)
        save.setDefault(True)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.saved_path: Path | None = None

    def draft(self) -> plans.PlanDraft:
        people = []
        for line in self.participants.toPlainText().splitlines():
            if line.strip():
                name, _, role = line.rpartition(",")
                people.append((name.strip(), role.strip()))
        return plans.PlanDraft(
            ceremony_id=self.ceremony_id.text().strip(),
            purpose=self.purpose.text().strip(),
            cps_reference=self.cps.text().strip(),
            location=self.location.text().strip(),
            participants=tuple(people),
            subject=SubjectSpec(
                self.common_name.text(), self.organization.text(), country=self.country.text()
            ),
            algorithm=str(self.algorithm.currentData()),
            validity_days=round(self.validity_years.value() * 365.25),
            path_length=None if self.path_length.value() < 0 else self.path_length.value(),
            threshold=self.threshold.value(),
            output_name=self.output_name.text().strip(),
        )

    def validated_text(self) -> str:
        """The plan TOML, already checked by the same parser the ceremony uses."""
        text = plans.render(self.draft())
        plans.parse(text, "new plan")
        return text

    def save(self, path: Path | None = None) -> None:
        try:
            text = self.validated_text()
        except PkiError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Save ceremony plan", f"{self.ceremony_id.text()}.toml", "Plan (*.toml)"
            )
            if not chosen:
                return
            path = Path(chosen)
        try:
            atomicfile.write_new_file(path, text.encode("utf-8"), mode=0o644)
        except PkiError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.saved_path = path
        self.accept()
