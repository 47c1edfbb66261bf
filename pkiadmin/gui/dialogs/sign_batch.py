"""Signing a folder of service CSRs under one end-entity profile: every certificate's plan first,
one confirmation and one unlock, then the batch on the CA worker with progress and cancel."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.issuance import batch, profiles
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.cert_profiles import CertProfile
from pkiadmin.gui.dialogs.review import add_review
from pkiadmin.gui.dialogs.share_inputs import KeyUnlockInputs
from pkiadmin.gui.errors import NO_ISSUING_CA, error_label, show_in
from pkiadmin.gui.worker import CaWorkerApi, Progress


class SignBatchDialog(QDialog):
    def __init__(
        self,
        worker: CaWorkerApi,
        issuers: tuple[Authority, ...],
        parent: QWidget | None = None,
        custodians: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.issuers = issuers
        self.plan: batch.BatchPlan | None = None
        self.outcome: batch.BatchResult | None = None
        self.cancel = threading.Event()
        self.setWindowTitle("Sign a folder of CSRs")
        self.setMinimumSize(820, 640)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        folder_row = QHBoxLayout()
        self.folder = QLineEdit(placeholderText="a folder of .csr, .pem, .req or .der files")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.issuer = QComboBox()
        for authority in issuers:
            self.issuer.addItem(f"{authority.name} ({authority.kind})", authority.id)
        self.profile = QComboBox()
        folder_label = QLabel("F&older:")
        folder_label.setBuddy(self.folder)  # a layout cannot be a buddy: Alt+O goes to the field
        form.addRow(folder_label, folder_row)
        form.addRow("&Issuing CA:", self.issuer)
        form.addRow("&Profile:", self.profile)
        layout.addLayout(form)
        review = add_review(
            layout,
            "Show &every certificate to be signed",
            "batchPreview",
            "I have &checked every certificate above",
            self.preview,
        )
        self.preview_button, self.text, self.checked = review.button, review.text, review.checked
        self.unlock = KeyUnlockInputs(custodians or {})
        self.secret = self.unlock.secret
        layout.addWidget(self.unlock)
        self.error = error_label()
        layout.addWidget(self.error)
        if not issuers:  # what Show would refuse anyway: said at once, Show disabled
            self.error.setText(NO_ISSUING_CA)
            self.error.show()
            self.preview_button.setEnabled(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = self.buttons.addButton(
            "Si&gn all", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_button.setEnabled(False)
        self.checked.toggled.connect(self.sign_button.setEnabled)
        self.buttons.accepted.connect(self.sign)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for combo in (self.issuer, self.profile):
            combo.currentIndexChanged.connect(self._invalidate)
        self.issuer.currentIndexChanged.connect(self._unlock_prompt)
        self._unlock_prompt()
        self.folder.textChanged.connect(self._invalidate)
        self.worker.submit(
            lambda ws, _p: profiles.all_profiles(ws.db), self._add_profiles, self._failed
        )

    def _unlock_prompt(self) -> None:
        chosen = next((a for a in self.issuers if a.id == self.issuer.currentData()), None)
        if chosen is not None:
            self.unlock.set_authority(chosen)

    def _add_profiles(self, found: dict[str, CertProfile]) -> None:
        for name, p in found.items():
            self.profile.addItem(f"{name} — {p.description}", name)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "The folder of CSRs")
        if chosen:
            self.folder.setText(chosen)

    def _invalidate(self) -> None:
        self.plan = None
        self.text.clear()
        self.checked.setChecked(False)
        self.checked.setEnabled(False)

    def preview(self) -> None:
        self.error.hide()
        folder = Path(self.folder.text().strip())
        issuer_id, name = int(self.issuer.currentData()), str(self.profile.currentData())
        if not folder.is_dir():
            self._failed(PkiError(f"{folder} is not a folder."))
            return

        def operation(ws: Workspace, _progress: Progress) -> batch.BatchPlan:
            return batch.plan_folder(ws, issuer_id, folder, profiles.get(ws.db, name))

        self.worker.submit(operation, self._show_plan, self._failed)

    def _show_plan(self, plan: batch.BatchPlan) -> None:
        self.plan = plan
        self.text.setPlainText(batch.preview(plan))
        self.checked.setEnabled(bool(plan.items))

    def sign(self) -> None:
        if self.plan is None or not self.checked.isChecked():
            return
        plan, cancel = self.plan, self.cancel
        passphrase, words = self.unlock.values()
        progress = QProgressDialog("Signing…", "&Cancel", 0, len(plan.items), self)
        progress.setWindowTitle("Sign a folder of CSRs")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.canceled.connect(cancel.set)
        self.progress = progress

        def operation(
            ws: Workspace, report: Callable[[batch.BatchProgress], None]
        ) -> batch.BatchResult:
            return batch.sign(ws, plan, passphrase, words, report, cancel.is_set)

        def on_progress(p: batch.BatchProgress) -> None:
            progress.setValue(p.done)
            progress.setLabelText(f"Certificate {p.done} of {p.total}: {p.source}")

        def done(result: batch.BatchResult) -> None:
            progress.close()
            self.outcome = result
            self.unlock.clear()
            self.accept()

        def failed(error: BaseException) -> None:
            progress.close()
            self._failed(error)

        self.setEnabled(False)
        self.worker.submit(operation, done, failed, on_progress)

    def summary(self) -> str:
        result, plan = self.outcome, self.plan
        if result is None or plan is None:
            return ""
        lines = [
            f"Signed {len(result.issued)} certificate(s); "
            f"{len(result.failed) + len(plan.refused)} left out."
            + (" The batch was cancelled." if result.cancelled else "")
        ]
        lines += [f"• {name}: {why}" for name, why in [*plan.refused, *result.failed]][:50]
        return "\n".join(lines)

    def _failed(self, error: BaseException) -> None:
        self.setEnabled(True)
        show_in(self.error, self, error)
