"""Root ceremony pages when the plan puts the key on a PKCS#11 token: the PIN is entered to
generate the key there, and the share and backup steps are recorded as done by the HSM."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from pkiadmin.core.base import fingerprint
from pkiadmin.core.ceremony.root.run import TOKEN_NOT_APPLICABLE, CeremonyRun
from pkiadmin.core.ceremony.root.steps import KeyFacts, Step
from pkiadmin.gui.wizard import root_pages as pages
from pkiadmin.gui.wizard.base import StepPage
from pkiadmin.gui.worker import CaWorkerApi


class TokenKeyPage(pages.KeyPage):
    """The key page with a PIN field: the key is generated on the token named in the plan."""

    def __init__(
        self, run: CeremonyRun, worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        spec = run.plan.token
        assert spec is not None  # noqa: S101 - only used for token plans
        self.pin = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.pin.setObjectName("tokenPin")
        form = QFormLayout()
        form.addRow("Token &PIN:", self.pin)
        self.body.insertWidget(
            0,
            QLabel(
                f"The key is generated on token '{spec.token}' as '{spec.key_label}' and never leaves it."
            ),
        )
        self.body.insertLayout(1, form)
        self.setSubTitle(
            "Generate the root key on the token, where it stays; the token's PIN protects it."
        )
        self.generate.setText(f"&Generate the {run.plan.root.algorithm.label} key on the token")
        self.generate.clicked.disconnect()
        self.generate.clicked.connect(self._generate)

    def _generate(self) -> None:
        pin = self.pin.text()
        self.pin.clear()
        self.perform(lambda: self.run.generate_key(pin), self._show)

    def _show(self, facts: object) -> None:
        token = self.run.token_facts
        if isinstance(facts, KeyFacts) and token is not None:
            t = token["token"]
            read_back = ", ".join(
                f"{k}={'yes' if v else 'no'}" for k, v in token["key_attributes"].items()
            )
            self.facts.setText(
                f"{facts.algorithm} key generated on {t['manufacturer']} {t['model']} (serial {t['serial']}).\n"
                f"Read back: {read_back}\n"
                f"Public key SHA-256: {fingerprint.grouped_hex(bytes.fromhex(facts.spki_sha256))}"
            )


class _NotApplicablePage(StepPage):
    """A step the HSM's own controls cover: the witnesses confirm that, and it is recorded."""

    run: CeremonyRun
    step: Step

    def __init__(
        self, run: CeremonyRun, worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        self.setSubTitle(
            "Covered by the HSM's own controls: the witnesses confirm that, and it is recorded."
        )
        reason = QLabel(f"Not applicable: {TOKEN_NOT_APPLICABLE[self.step]}.")
        reason.setWordWrap(True)
        self.body.addWidget(reason)
        self.record = QPushButton("&Record this step as covered by the HSM")
        self.record.clicked.connect(
            lambda: self.perform(lambda: run.record_not_applicable(self.step))
        )
        self.body.addWidget(self.record)
        self.finish_layout()

    def refresh(self) -> None:
        self.record.setEnabled(not self.run.is_done(self.step))
        super().refresh()


class TokenSharesPage(_NotApplicablePage):
    step = Step.SHARE_DISTRIBUTION


class TokenRecoveryPage(_NotApplicablePage):
    step = Step.RECOVERY_TEST


class TokenBackupPage(_NotApplicablePage):
    step = Step.BACKUP


TOKEN_PAGE_CLASSES: tuple[type[StepPage], ...] = (
    pages.PlanPage,
    pages.PreflightPage,
    TokenKeyPage,
    TokenSharesPage,
    TokenRecoveryPage,
    pages.SigningPage,
    pages.FingerprintPage,
    TokenBackupPage,
    pages.SignOffPage,
)
