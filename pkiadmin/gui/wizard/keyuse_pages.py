"""The pages of a key-use ceremony in the wizard: signing an intermediate, or re-signing CRLs."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from pkiadmin.core.base import fingerprint
from pkiadmin.core.ceremony.keyuse.facts import Output
from pkiadmin.core.ceremony.keyuse.run import KeyUseResult, KeyUseRun, KeyUseStep, Review
from pkiadmin.core.ceremony.people import Role
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.gui.dialogs.share_inputs import ShareInputs
from pkiadmin.gui.wizard import root_pages as pages
from pkiadmin.gui.wizard.base import StepPage, read_aloud_label
from pkiadmin.gui.worker import CaWorkerApi


class KeyUsePlanPage(pages.PlanPage):
    step = KeyUseStep.PLAN_REVIEW


class KeyUsePreflightPage(pages.PreflightPage):
    step = KeyUseStep.PREFLIGHT


class KeyUseSignOffPage(pages.SignOffPage):
    step = KeyUseStep.SIGN_OFF


def _monospace_text(object_name: str) -> QPlainTextEdit:
    text = QPlainTextEdit()
    text.setObjectName(object_name)
    text.setReadOnly(True)
    text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return text


class _WitnessButtons:
    """A witness chooser and 'matches' / 'does NOT match' buttons."""

    def __init__(self, page: StepPage, run: KeyUseRun, what: str) -> None:
        form = QFormLayout()
        self.witness = QComboBox()
        self.witness.addItems(pages.names(run, Role.INTERNAL_WITNESS, Role.WITNESS))
        form.addRow("&Witness:", self.witness)
        page.body.addLayout(form)
        row = QHBoxLayout()
        self.match_button = QPushButton(f"{what} &match")
        self.mismatch_button = QPushButton("They do &NOT match")
        row.addWidget(self.match_button)
        row.addWidget(self.mismatch_button)
        page.body.addLayout(row)

    def set_open(self, open_: bool) -> None:
        self.match_button.setEnabled(open_)
        self.mismatch_button.setEnabled(open_)


class ReviewPage(StepPage):
    """Exactly what will be signed; a request's SHA-256 read aloud and compared by a witness."""

    step = KeyUseStep.REVIEW
    run: KeyUseRun

    def __init__(self, run: KeyUseRun, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(run, worker, parent)
        self.text = _monospace_text("reviewText")
        self.body.addWidget(self.text, 4)
        self.compare_label = QLabel()
        self.body.addWidget(self.compare_label)
        self.words = read_aloud_label(object_name="reviewWords")
        self.body.addWidget(self.words)
        self.buttons = _WitnessButtons(self, run, "The values")
        self.buttons.match_button.clicked.connect(lambda: self._confirm(True))
        self.buttons.mismatch_button.clicked.connect(lambda: self._confirm(False))
        self.finish_layout()

    def initializePage(self) -> None:
        self.perform(self.run.review, self._show)
        super().initializePage()

    def _show(self, review: object) -> None:
        if not isinstance(review, Review):
            return
        self.text.setPlainText("\n".join(review.lines))
        if review.confirm_digest is not None:
            self.compare_label.setText(f"Read aloud and compare {review.confirm_label}:")
            self.words.setText(
                fingerprint.grouped_hex(review.confirm_digest)
                + "\n"
                + " ".join(fingerprint.pgp_words(review.confirm_digest))
            )
        else:
            self.compare_label.setText("A witness checks this against the plan.")
            self.words.clear()

    def _confirm(self, matches: bool) -> None:
        self.perform(lambda: self.run.confirm_review(self.buttons.witness.currentText(), matches))

    def refresh(self) -> None:
        self.buttons.set_open(not self.run.is_done(self.step))
        super().refresh()


class UnlockPage(StepPage):
    """Each CA key the task needs: its passphrase, or a quorum of custodian shares (one hidden
    input per custodian the plan names, each checked word by word)."""

    step = KeyUseStep.UNLOCK
    run: KeyUseRun

    def __init__(self, run: KeyUseRun, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(run, worker, parent)
        self.form = QFormLayout()
        self.body.addLayout(self.form)
        self.fields: dict[int, list[QLineEdit]] = {}
        custodians = pages.names(run, Role.CUSTODIAN)  # the plan names who brings a share
        for authority in run.task.issuers():
            self.form.addRow(QLabel(f"<b>{authority.name}</b> — {authority.key_protection}"))
            if authority.needs_shares:
                inputs = ShareInputs(custodians or [f"Share {n}" for n in range(1, 4)])
                self.form.addRow(inputs)
                self.fields[authority.id] = inputs.fields
                continue
            field = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
            field.setObjectName(f"unlock_{authority.id}_0")
            self.form.addRow("PIN:" if authority.on_token else "Passphrase:", field)
            self.fields[authority.id] = [field]
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.clicked.connect(self._unlock)
        self.body.addWidget(self.unlock_button)
        self.state = QLabel()
        self.body.addWidget(self.state)
        self.finish_layout()

    def _unlock(self) -> None:
        locked = self.run.locked_issuers()
        if not locked:
            return
        authority: Authority = locked[0]
        values = [f.text() for f in self.fields[authority.id] if f.text().strip()]
        for field in self.fields[authority.id]:
            field.clear()

        def unlock() -> None:
            if authority.needs_shares:
                self.run.unlock(authority.id, None, values)
            else:
                self.run.unlock(authority.id, values[0] if values else "")

        self.perform(unlock)

    def refresh(self) -> None:
        locked = {a.id for a in self.run.locked_issuers()}
        for ca_id, fields in self.fields.items():
            for field in fields:
                field.setEnabled(ca_id in locked)
        names = [a.name for a in self.run.locked_issuers()]
        self.state.setText(
            f"Next: unlock {names[0]}."
            if names
            else "✔ Every key needed is unlocked (in memory only)."
        )
        self.unlock_button.setEnabled(bool(names) and not self.run.is_done(self.step))
        super().refresh()


class KeyUseSigningPage(StepPage):
    step = KeyUseStep.SIGNING
    run: KeyUseRun

    def __init__(self, run: KeyUseRun, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(run, worker, parent)
        self.sign_button = QPushButton("&Lint and sign")
        self.sign_button.clicked.connect(lambda: self.perform(run.sign, self._show))
        self.body.addWidget(self.sign_button)
        self.result = _monospace_text("signingResult")
        self.body.addWidget(self.result, 4)
        self.finish_layout()

    def _show(self, outputs: object) -> None:
        facts = self.run.result(self.step)
        lines = (
            [f"{o.name}: {o.file}" for o in outputs if isinstance(o, Output)]
            if isinstance(outputs, tuple)
            else []
        )
        for key in ("lint_before", "lint_after", "lint_chain"):
            if key in facts:
                lines.append(f"{key.replace('_', ' ')}: {'; '.join(facts[key]) or 'no findings'}")
        for entry in facts.get("crls", []):
            lines.append(
                f"CRL {entry['number']} of {entry['ca']}: {entry['entries']} entries, lint after signing: "
                f"{'; '.join(entry['lint_after']) or 'no findings'}"
            )
        self.result.setPlainText("\n".join(lines))

    def refresh(self) -> None:
        self.sign_button.setEnabled(not self.run.is_done(self.step))
        super().refresh()


class OutputsFingerprintPage(StepPage):
    """The SHA-256 of everything signed, read aloud in PGP words; a witness confirms."""

    step = KeyUseStep.FINGERPRINT
    run: KeyUseRun

    def __init__(self, run: KeyUseRun, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(run, worker, parent)
        self.body.addWidget(QLabel("Read each aloud; the witness compares it with the screen:"))
        self.words = read_aloud_label(object_name="outputWords")
        self.body.addWidget(self.words)
        self.buttons = _WitnessButtons(self, run, "The words")
        self.buttons.match_button.clicked.connect(lambda: self._confirm(True))
        self.buttons.mismatch_button.clicked.connect(lambda: self._confirm(False))
        self.finish_layout()

    def initializePage(self) -> None:
        self.words.setText(
            "\n\n".join(
                f"{o.name}:\n{' '.join(fingerprint.pgp_words(o.sha256))}" for o in self.run.outputs
            )
        )
        super().initializePage()

    def _confirm(self, matches: bool) -> None:
        self.perform(
            lambda: self.run.confirm_fingerprint(self.buttons.witness.currentText(), matches)
        )

    def refresh(self) -> None:
        self.buttons.set_open(not self.run.is_done(self.step))
        super().refresh()


KEY_USE_PAGES: tuple[type[StepPage], ...] = (
    KeyUsePlanPage,
    KeyUsePreflightPage,
    ReviewPage,
    UnlockPage,
    KeyUseSigningPage,
    OutputsFingerprintPage,
    KeyUseSignOffPage,
)


def describe_result(result: KeyUseResult) -> str:
    stored = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.stored.items())
    return f"Stored: {stored}.\nReport: {result.report_dir}"
