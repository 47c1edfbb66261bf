"""The fingerprint verification call screen: made to be read aloud from. Very large type, one
group of two PGP words highlighted at a time (Left/Right move it), grouped hex or numeric blocks
beside, and the two directions: we read and tick what they confirm (Space), or they read and we
type (Enter checks). A mismatch is shown unmistakably and the call can no longer be verified."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.exchange import call_records as calls
from pkiadmin.core.exchange.call import (
    Comparison,
    Value,
    compare_words,
    confirmed,
    pair_code,
    word_problem,
)
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.errors import error_label, show_error
from pkiadmin.gui.worker import CaWorkerApi, Progress

CALL_POINT_SIZE = 28


class CallDialog(QDialog):
    def __init__(
        self,
        worker: CaWorkerApi,
        partner: str,
        plan: calls.CallPlan,
        our_fpr: str | None,
        their_fpr: str | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.partner = partner
        self.plan = plan  # fixed when the call started: a package opened meanwhile changes nothing
        self.values = plan.values
        self.setWindowTitle(f"Fingerprint verification call — {partner}")
        self.setMinimumSize(1100, 700)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.direction = QComboBox()
        self.direction.addItem("They read, I check (type what you hear)", "they-read")
        self.direction.addItem("I read, they check (tick each group they confirm)", "we-read")
        self.our_officer = QLineEdit()
        self.their_officer = QLineEdit()
        self.phone = QLineEdit()
        self.phone_source = QLineEdit(
            placeholderText="where the number came from (not the package or its e-mail)"
        )
        self.style_box = QComboBox()
        self.style_box.addItem("hex groups", "hex")
        self.style_box.addItem("numeric blocks", "digits")
        for label, widget in (
            ("&Direction:", self.direction),
            ("&Our officer:", self.our_officer),
            ("&Their officer:", self.their_officer),
            ("&Number called:", self.phone),
            ("Number's &source:", self.phone_source),
            ("Beside the words:", self.style_box),
        ):
            form.addRow(label, widget)
        layout.addLayout(form)
        if our_fpr and their_fpr:
            pair = QLabel(
                f"Pair code: <b>{pair_code(our_fpr, their_fpr)}</b> (both sides compute the same)"
            )
            pair.setObjectName("pairCode")
            layout.addWidget(pair)
        self.title = QLabel()
        self.title.setObjectName("callValueTitle")
        layout.addWidget(self.title)
        self.groups = QLabel()
        self.groups.setObjectName("callGroups")
        self.groups.setWordWrap(True)
        self.groups.setTextFormat(Qt.TextFormat.RichText)
        font = QFont(self.groups.font())
        font.setPointSize(CALL_POINT_SIZE)
        self.groups.setFont(font)
        layout.addWidget(self.groups, 1)
        row = QHBoxLayout()
        self.heard = QLineEdit(
            placeholderText="type the two words of the highlighted group, then Enter"
        )
        self.heard.setObjectName("heardWords")
        self.heard.setFont(font)
        self.heard.returnPressed.connect(self.check_group)
        self.confirm_button = QPushButton("They &confirmed this group (Space)")
        self.confirm_button.clicked.connect(self.confirm_group)
        row.addWidget(self.heard, 1)
        row.addWidget(self.confirm_button)
        layout.addLayout(row)
        self.verdict = QLabel()
        self.verdict.setObjectName("callVerdict")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.passphrase = QLineEdit(
            echoMode=QLineEdit.EchoMode.Password, placeholderText="officer key passphrase"
        )
        self.record_button = QPushButton("&Record the call")
        self.record_button.clicked.connect(self.record)
        buttons.addWidget(QLabel("To certify their key:"))
        buttons.addWidget(self.passphrase, 1)
        buttons.addWidget(self.record_button)
        layout.addLayout(buttons)
        self.value_index = 0
        self.group_index = 0
        self.results: list[Comparison] = []
        self.ticks: list[bool] = []
        self.heard_words: list[str] = []
        self.mismatch = False
        self.recorded: calls.CallRecord | None = None
        self.direction.currentIndexChanged.connect(lambda *_: self.restart())
        self.style_box.currentIndexChanged.connect(lambda *_: self.show_value())
        self.restart()

    # --- state -------------------------------------------------------------------------------

    @property
    def we_read(self) -> bool:
        return bool(self.direction.currentData() == "we-read")

    @property
    def value(self) -> Value | None:
        return self.values[self.value_index] if self.value_index < len(self.values) else None

    def restart(self) -> None:
        self.value_index = self.group_index = 0
        self.results, self.ticks, self.heard_words = [], [], []
        self.mismatch = False
        self.verdict.clear()
        self.show_value()

    def show_value(self) -> None:
        value = self.value
        self.heard.setVisible(not self.we_read)
        self.confirm_button.setVisible(self.we_read)
        done = value is None or self.mismatch
        self.heard.setEnabled(not done)
        self.confirm_button.setEnabled(not done)
        if value is None:
            self.title.setText(f"All {len(self.values)} values compared.")
            self.groups.setText("")
            return
        self.title.setText(
            f"<b>Value {self.value_index + 1} of {len(self.values)}:</b> {escape(value.label)}"
        )
        beside = self.style_box.currentData()
        failing = self._failing_group(value) if self.mismatch else None
        compared = failing if failing is not None else self.group_index
        cells = []
        for i in range(value.groups):
            words = "&nbsp;".join(escape(w) for w in value.group_words(i))
            extra = value.group_hex(i) if beside == "hex" else value.group_digits(i)
            style = "background:#ffe082;" if i == compared and failing is None else ""
            colour = "#c62828" if i == failing else "#2e7d32" if i < compared else "#000"
            hidden = i > compared or (i == compared and failing is None)
            if not self.we_read and hidden:
                # They read, we check: nothing to compare against is shown before it is heard
                # (a blind check); a group is revealed once what was typed has been compared.
                cells.append(
                    f"<span style='{style}color:#555'>[group {i + 1} of {value.groups}]</span>"
                )
                continue
            cells.append(
                f"<span style='{style}color:{colour}'>{words}&nbsp;<small>{extra}</small></span>"
            )
        self.groups.setText(" &nbsp; ".join(cells))

    def _failing_group(self, value: Value) -> int:
        """The group that did not match: the first whose heard words differ (they read), or the
        one the other side reported (we read)."""
        if self.we_read:
            return self.group_index
        heard = [w.lower() for w in self.heard_words]
        for i in range(value.groups):
            expected = [w.lower() for w in value.group_words(i)]
            if heard[i * 2 : i * 2 + 2] != expected:
                return i
        return max(self.group_index - 1, 0)

    # --- the call ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        value = self.value
        if value is not None and event.key() == Qt.Key.Key_Right:
            self.group_index = min(self.group_index + 1, value.groups - 1)
            self.show_value()
        elif value is not None and event.key() == Qt.Key.Key_Left:
            self.group_index = max(self.group_index - 1, 0)
            self.show_value()
        elif event.key() == Qt.Key.Key_Space and self.we_read and self.confirm_button.isEnabled():
            self.confirm_group()
        else:
            super().keyPressEvent(event)

    def check_group(self) -> None:
        """They read the highlighted group; what we typed is checked word by word at once."""
        value = self.value
        if value is None or self.mismatch:
            return
        words = self.heard.text().split()
        start = self.group_index * 2
        for offset, word in enumerate(words):
            problem = word_problem(word, start + offset)
            if problem and "not a PGP word" in problem:
                self.verdict.setText(
                    f"<span style='color:#b26a00'>{escape(problem)}: type it again.</span>"
                )
                return
        self.heard.clear()
        self.heard_words += words
        self.group_index += 1
        if self.group_index >= value.groups or len(self.heard_words) >= value.groups * 2:
            self._finish_value(compare_words(value, " ".join(self.heard_words)))
        else:
            partial = compare_words(
                Value(value.label, value.data[: len(self.heard_words)]), " ".join(self.heard_words)
            )
            if not partial.ok:  # a misheard group ends the value at once, named
                self._finish_value(
                    Comparison(
                        value.label, value.data.hex(), False, partial.problems, self.group_index
                    )
                )
                return
            self.verdict.clear()
            self.show_value()

    def confirm_group(self) -> None:
        value = self.value
        if value is None or self.mismatch:
            return
        self.ticks.append(True)
        self.group_index += 1
        if self.group_index >= value.groups:
            self._finish_value(confirmed(value, self.ticks))
        else:
            self.show_value()

    def report_mismatch(self, what: str) -> None:
        """'I read, they check': the other side says a group does not match."""
        value = self.value
        if value is not None:
            self._finish_value(
                Comparison(
                    value.label,
                    value.data.hex(),
                    False,
                    (f"group {self.group_index + 1}: {what}",),
                    self.group_index,
                )
            )

    def _finish_value(self, result: Comparison) -> None:
        self.results.append(result)
        if not result.ok:
            self.mismatch = True
            self.verdict.setText(
                "<span style='color:#c62828;font-size:20pt'><b>MISMATCH</b></span> — "
                + escape("; ".join(result.problems))
                + ". The call cannot be verified; record it, and find out why before anything is trusted."
            )
        else:
            self.verdict.setText(
                f"<span style='color:#2e7d32'>✔ {escape(result.label)} matches.</span>"
            )
            self.value_index += 1
            self.group_index = 0
            self.ticks, self.heard_words = [], []
        self.show_value()

    def record(self) -> None:
        direction = str(self.direction.currentData())
        results = list(self.results)
        secret = self.passphrase.text() or None
        self.passphrase.clear()
        args = (
            self.our_officer.text(),
            self.their_officer.text(),
            self.phone.text(),
            self.phone_source.text(),
        )
        plan = self.plan
        complete = not self.mismatch and len(results) == len(self.values)

        def operation(ws: Workspace, _p: Progress) -> calls.CallRecord:
            return calls.record(
                ws, plan, direction, *args, results, officer_passphrase=secret if complete else None,
                aborted=not complete and not self.mismatch,
            )  # fmt: skip

        def done(result: calls.CallRecord) -> None:
            self.recorded = result
            self.record_button.setEnabled(False)
            # Recorded: the result stands, and nothing invites more typing.
            self.heard.setEnabled(False)
            self.confirm_button.setEnabled(False)
            colour = {"verified": "#2e7d32", "mismatch": "#c62828", "aborted": "#b26a00"}[
                result.result
            ]
            self.verdict.setText(
                f"<b style='color:{colour}'>Call recorded: {result.result.upper()}</b>"
            )

        def failed(error: BaseException) -> None:
            from pkiadmin.core.base.errors import PkiError

            if isinstance(error, PkiError):
                self.error.setText(str(error))
                self.error.show()
            else:
                show_error(self, error)

        self.worker.submit(operation, done, failed)
