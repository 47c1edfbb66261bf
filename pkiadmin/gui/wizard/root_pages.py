"""The ceremony wizard's pages, one per step, in the order the engine enforces."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from cryptography.hazmat.primitives import hashes
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from pkiadmin.core.base import fingerprint
from pkiadmin.core.ceremony import preflight
from pkiadmin.core.ceremony.people import Role
from pkiadmin.core.ceremony.root.run import CeremonyRun
from pkiadmin.core.ceremony.root.steps import CeremonyResult, KeyFacts, Step
from pkiadmin.core.ceremony.step_run import StepLike, StepRun
from pkiadmin.core.issuance.lint_then_sign import SignedCertificate
from pkiadmin.core.keys.shares import CustodianShare
from pkiadmin.gui.dialogs.share_inputs import ShareInputs
from pkiadmin.gui.errors import error_label
from pkiadmin.gui.wizard.base import StepPage, read_aloud_label, set_ticked
from pkiadmin.gui.worker import CaWorkerApi


def names(run: StepRun[Any, Any], *roles: Role) -> list[str]:
    return [p.name for p in run.plan.participants if p.role in roles]


class PlanPage(StepPage):
    step: StepLike = Step.PLAN_REVIEW

    def __init__(
        self, run: StepRun[Any, Any], worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        summary = QLabel("\n".join(run.plan.summary_lines()[:-2]))
        summary.setWordWrap(True)
        self.body.addWidget(summary)
        digest = run.plan.sha256
        self.body.addWidget(QLabel("Plan SHA-256 — read aloud and compare with the printout:"))
        self.body.addWidget(read_aloud_label(fingerprint.grouped_hex(digest), "planHex"))
        self.body.addWidget(read_aloud_label(" ".join(fingerprint.pgp_words(digest)), "planWords"))
        self.matches = QPushButton("The hash &matches the reviewed printout")
        self.matches.clicked.connect(lambda: self.perform(run.review_plan))
        self.body.addWidget(self.matches)
        self.finish_layout()

    def refresh(self) -> None:
        self.matches.setEnabled(not self.run.is_done(self.step))
        super().refresh()


class PreflightPage(StepPage):
    step: StepLike = Step.PREFLIGHT

    def __init__(
        self, run: StepRun[Any, Any], worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        form = QFormLayout()
        up = preflight.network_interfaces_up()
        self.network = QLabel(
            f"⚠ Network interfaces up: {', '.join(up)}. Disconnect them, or record a waiver."
            if up
            else "No network interface is up other than loopback."
        )
        self.network.setWordWrap(True)
        form.addRow("Network:", self.network)
        self.waiver = QLineEdit(
            placeholderText="reason for continuing with a network (only if it cannot be disconnected)"
        )
        self.waiver.setEnabled(bool(up))
        form.addRow("Network &waiver:", self.waiver)
        self.clock_by = QComboBox()
        self.clock_by.addItems(names(run, Role.INTERNAL_WITNESS, Role.WITNESS))
        form.addRow("&Clock confirmed by:", self.clock_by)
        # A root key made here is backed up: its medium is checked now, not at the backup step.
        self.backup: QLineEdit | None = None
        if isinstance(run, CeremonyRun) and run.plan.token is None:
            self.backup = QLineEdit(placeholderText="folder on the mounted backup medium")
            self.backup.setObjectName("preflightBackupFolder")
            browse = QPushButton("&Browse…")
            browse.clicked.connect(self._browse)
            row = QHBoxLayout()
            row.addWidget(self.backup, 1)
            row.addWidget(browse)
            label = QLabel("&Backup medium:")
            label.setBuddy(self.backup)  # a layout cannot be a buddy: Alt+B goes to the field
            form.addRow(label, row)
        self.body.addLayout(form)
        self.body.addWidget(QLabel("Custodians present:"))
        self.present: dict[str, QCheckBox] = {}
        row = QHBoxLayout()
        for name in names(run, Role.CUSTODIAN):
            box = QCheckBox(name)
            row.addWidget(box)
            self.present[name] = box
        self.body.addLayout(row)
        self.run_button = QPushButton("&Run the pre-flight checks")
        self.run_button.clicked.connect(self._run)
        self.body.addWidget(self.run_button)
        self.results = QListWidget()
        self.results.setObjectName("preflightResults")
        self.body.addWidget(self.results)
        self.finish_layout()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Backup medium")
        if chosen and self.backup is not None:
            self.backup.setText(chosen)

    def _run(self) -> None:
        present = [name for name, box in self.present.items() if box.isChecked()]
        waiver = self.waiver.text().strip() or None
        backup: Path | None = None
        if self.backup is not None:
            if not self.backup.text().strip():
                self.show_error("Choose the folder on the backup medium: it is checked now.")
                return
            backup = Path(self.backup.text().strip())
        self.perform(
            lambda: self.run.run_preflight(self.clock_by.currentText(), present, waiver, backup),
            self._show,
        )

    def _show(self, checks: object) -> None:
        self.results.clear()
        for check in checks if isinstance(checks, tuple) else ():
            self.results.addItem(f"{check.status.value.upper():8} {check.name}: {check.detail}")
        if isinstance(self.run, CeremonyRun) and self.run.plan.token is None:
            # The shares page can print each custodian's sheet: say now whether it can.
            printers = [p.printerName() for p in QPrinterInfo.availablePrinters()]
            self.results.addItem(
                f"{'OK':8} printer: {', '.join(printers)}"
                if printers
                else f"{'WARNING':8} printer: none available; each custodian writes their share "
                "down by hand"
            )

    def refresh(self) -> None:
        self.run_button.setEnabled(not self.run.is_done(self.step))
        super().refresh()


class KeyPage(StepPage):
    run: CeremonyRun
    step = Step.KEY_GENERATION

    def __init__(
        self, run: CeremonyRun, worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        self.generate = QPushButton(f"&Generate the {run.plan.root.algorithm.label} key")
        self.generate.clicked.connect(lambda: self.perform(run.generate_key, self._show))
        self.body.addWidget(self.generate)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.body.addWidget(self.facts)
        self.finish_layout()

    def _show(self, facts: object) -> None:
        if isinstance(facts, KeyFacts):
            digest = bytes.fromhex(facts.spki_sha256)
            self.facts.setText(
                f"{facts.algorithm} key generated and encrypted under a random passphrase.\n"
                f"Public key SHA-256: {fingerprint.grouped_hex(digest)}"
            )

    def refresh(self) -> None:
        self.generate.setEnabled(not self.run.is_done(self.step))
        super().refresh()


class SharesPage(StepPage):
    run: CeremonyRun
    """One custodian at a time: announce, show the words, confirm written down, clear."""

    step = Step.SHARE_DISTRIBUTION

    def __init__(
        self, run: CeremonyRun, worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        self.shares: tuple[CustodianShare, ...] = ()
        self.position = 0
        self.split_button = QPushButton("&Split the passphrase into custodian shares")
        self.split_button.clicked.connect(lambda: self.perform(run.split_shares, self._split))
        self.body.addWidget(self.split_button)
        self.who = read_aloud_label(object_name="shareCustodian")
        self.body.addWidget(self.who)
        self.words = read_aloud_label(object_name="shareWords")
        self.body.addWidget(self.words)
        row = QHBoxLayout()
        self.show_button = QPushButton("Sho&w the share")
        self.show_button.clicked.connect(self._reveal)
        self.written_button = QPushButton("Written &down and checked")
        self.written_button.clicked.connect(self._written)
        self.print_button = QPushButton("&Print this share…")
        self.print_button.clicked.connect(self._print)
        row.addWidget(self.show_button)
        row.addWidget(self.print_button)
        row.addWidget(self.written_button)
        self.body.addLayout(row)
        self.finish_layout()

    def _split(self, result: object) -> None:
        self.shares = result if isinstance(result, tuple) else ()
        self.position = 0
        self._announce()

    def _announce(self) -> None:
        self.words.clear()
        if self.position < len(self.shares):
            share = self.shares[self.position]
            self.who.setText(
                f"Share {self.position + 1} of {len(self.shares)}: for {share.custodian} only. Everyone else looks away."
            )
        else:
            self.who.setText("Every custodian has received their share.")

    def _reveal(self) -> None:
        share = self.shares[self.position]
        words = share.words()
        self.words.setText(
            "\n".join(
                "   ".join(f"{i + j + 1}. {w}" for j, w in enumerate(words[i : i + 5]))
                for i in range(0, len(words), 5)
            )
        )
        self.refresh()

    def _written(self) -> None:
        share = self.shares[self.position]
        self.words.clear()  # clear the words before anything else happens

        def advance(_result: object) -> None:
            self.position += 1
            self._announce()

        self.perform(lambda: self.run.confirm_share_received(share.custodian), advance)

    def share_sheet_html(self) -> str:
        """The printed sheet: who it is for, which share, the numbered words, and how to keep it."""
        share = self.shares[self.position]
        words = share.words()
        cells = "".join(
            f"<tr>{''.join(f'<td>{i + j + 1}. <b>{w}</b></td>' for j, w in enumerate(words[i : i + 4]))}</tr>"
            for i in range(0, len(words), 4)
        )
        return (
            f"<h2>Custodian share: {escape(share.custodian)}</h2>"
            f"<p>Ceremony {escape(self.run.plan.ceremony_id)} — {escape(self.run.plan.custodians.describe())}<br>"
            f"Share {escape(share.share_id)}</p>"
            f"<table cellpadding='6' style='font-size:14pt'>{cells}</table>"
            "<p>Keep this sheet sealed and in your custody. Anyone with enough shares can unlock the CA key.</p>"
        )

    def render_share(self, printer: QPrinter) -> None:
        document = QTextDocument()
        document.setHtml(self.share_sheet_html())
        document.print_(printer)

    def _print(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        # A share must never land in a file: only a real printer may be chosen.
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile, on=False)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        if printer.outputFormat() != QPrinter.OutputFormat.NativeFormat:
            self.show_error("Shares are printed on a printer only, never to a file.")
            return
        self.render_share(printer)
        custodian = self.shares[self.position].custodian
        self.perform(lambda: self.run.record_share_printed(custodian))

    def current_words(self) -> str:
        """The words on screen, as a custodian would copy them (used by tests acting as custodians)."""
        return " ".join(
            token for token in self.words.text().split() if not token.rstrip(".").isdigit()
        )

    def refresh(self) -> None:
        distributing = bool(self.shares) and self.position < len(self.shares)
        self.split_button.setEnabled(not self.shares and not self.run.is_done(self.step))
        self.show_button.setEnabled(distributing and not self.words.text())
        self.print_button.setEnabled(distributing and bool(self.words.text()))
        self.written_button.setEnabled(distributing and bool(self.words.text()))
        super().refresh()

    def isComplete(self) -> bool:
        return super().isComplete()


class RecoveryPage(StepPage):
    run: CeremonyRun
    step = Step.RECOVERY_TEST

    def __init__(
        self, run: CeremonyRun, worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        self.body.addWidget(
            QLabel(
                f"Custodians present type their shares ({run.plan.custodians.describe()}), each "
                "in their own row; input is hidden, and each row checks the words as typed."
            )
        )
        self.inputs = ShareInputs(names(run, Role.CUSTODIAN))
        self.fields: list[QLineEdit] = self.inputs.fields
        self.body.addWidget(self.inputs)
        self.test_button = QPushButton("&Test that these shares unlock the key")
        self.test_button.clicked.connect(self._test)
        self.body.addWidget(self.test_button)
        self.result = QLabel()
        self.body.addWidget(self.result)
        self.finish_layout()

    def _test(self) -> None:
        words = [f.text() for f in self.fields if f.text().strip()]

        def done(_result: object) -> None:
            self.inputs.clear()
            self.result.setText("✔ The shares unlock the key.")

        self.perform(lambda: self.run.recovery_test(words), done)

    def refresh(self) -> None:
        self.test_button.setEnabled(not self.run.is_done(self.step))
        super().refresh()


class SigningPage(StepPage):
    run: CeremonyRun
    step = Step.ROOT_SIGNING

    def __init__(
        self, run: CeremonyRun, worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        self.sign_button = QPushButton("&Lint, sign and check the root certificate")
        self.sign_button.clicked.connect(lambda: self.perform(run.sign_root, self._show))
        self.body.addWidget(self.sign_button)
        self.findings = QListWidget()
        self.findings.setObjectName("lintFindings")
        self.body.addWidget(self.findings)
        self.finish_layout()

    def _show(self, signed: object) -> None:
        if not isinstance(signed, SignedCertificate):
            return
        self.findings.addItem(
            f"Signed: {signed.certificate.subject.rfc4514_string()}; TBS equals the linted TBS."
        )
        for label, report in (
            ("before signing", signed.lint_before),
            ("after signing", signed.lint_after),
        ):
            self.findings.addItem(
                f"Lint {label}: " + ("; ".join(str(f) for f in report.findings) or "no findings")
            )

    def refresh(self) -> None:
        self.sign_button.setEnabled(not self.run.is_done(self.step))
        super().refresh()


class FingerprintPage(StepPage):
    run: CeremonyRun
    step = Step.FINGERPRINT

    def __init__(
        self, run: CeremonyRun, worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        self.hex = read_aloud_label(object_name="rootHex")
        self.words = read_aloud_label(object_name="rootWords")
        self.body.addWidget(
            QLabel(
                "Root certificate SHA-256 — read aloud; the witness compares it with the screen:"
            )
        )
        self.body.addWidget(self.hex)
        self.body.addWidget(self.words)
        form = QFormLayout()
        self.witness = QComboBox()
        self.witness.addItems(names(run, Role.INTERNAL_WITNESS, Role.WITNESS))
        form.addRow("&Witness:", self.witness)
        self.body.addLayout(form)
        row = QHBoxLayout()
        self.match_button = QPushButton("The words &match")
        self.match_button.clicked.connect(lambda: self._confirm(True))
        self.mismatch_button = QPushButton("They do &NOT match")
        self.mismatch_button.clicked.connect(lambda: self._confirm(False))
        row.addWidget(self.match_button)
        row.addWidget(self.mismatch_button)
        self.body.addLayout(row)
        self.finish_layout()

    def initializePage(self) -> None:
        cert = self.run.certificate
        if cert is not None:
            digest = cert.fingerprint(hashes.SHA256())
            self.hex.setText(fingerprint.grouped_hex(digest))
            self.words.setText(" ".join(fingerprint.pgp_words(digest)))
        super().initializePage()

    def _confirm(self, matches: bool) -> None:
        self.perform(lambda: self.run.confirm_fingerprint(self.witness.currentText(), matches))

    def refresh(self) -> None:
        open_ = not self.run.is_done(self.step)
        self.match_button.setEnabled(open_)
        self.mismatch_button.setEnabled(open_)
        super().refresh()


class BackupPage(StepPage):
    run: CeremonyRun
    step = Step.BACKUP

    def __init__(
        self, run: CeremonyRun, worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        row = QHBoxLayout()
        self.folder = QLineEdit(placeholderText="folder on the backup medium")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.body.addLayout(row)
        self.write_button = QPushButton("&Write and verify the key backup")
        self.write_button.clicked.connect(
            lambda: self.perform(lambda: run.backup_key(Path(self.folder.text())), self._show)
        )
        self.body.addWidget(self.write_button)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.body.addWidget(self.result)
        self.finish_layout()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Backup medium")
        if chosen:
            self.folder.setText(chosen)

    def initializePage(self) -> None:
        if not self.folder.text() and self.run.backup_medium is not None:
            self.folder.setText(str(self.run.backup_medium))  # checked at pre-flight
        super().initializePage()

    def _show(self, result: object) -> None:
        path = getattr(result, "path", "")
        digest = getattr(result, "sha256", "")
        self.result.setText(f"✔ Written and read back: {path}\nSHA-256 {digest}")

    def refresh(self) -> None:
        self.write_button.setEnabled(not self.run.is_done(self.step))
        super().refresh()


class SignOffPage(StepPage):
    step: StepLike = Step.SIGN_OFF

    def __init__(
        self, run: StepRun[Any, Any], worker: CaWorkerApi, parent: QWidget | None = None
    ) -> None:
        super().__init__(run, worker, parent)
        self.boxes: dict[str, QCheckBox] = {}
        for person in run.plan.participants:
            box = QCheckBox(f"{person.name} ({person.role.value}) signs off the ceremony")
            box.toggled.connect(lambda checked, name=person.name: self._sign(name, checked))
            self.body.addWidget(box)
            self.boxes[person.name] = box
        self.finish_layout()

    def _sign(self, name: str, checked: bool) -> None:
        if name in self.run.signed_off:
            self.refresh()  # recorded: it cannot be taken back
        elif checked:
            self.perform(lambda: self.run.sign_off(name))

    def refresh(self) -> None:
        for name, box in self.boxes.items():
            set_ticked(box, name in self.run.signed_off, True)
        super().refresh()


class Reported(Protocol):
    """What a ceremony's finish returns: at least where its signed report was written."""

    @property
    def report_dir(self) -> Path: ...


R = TypeVar("R", bound=Reported)  # what the ceremony's finish returns


class FinishPage(QWizardPage, Generic[R]):
    """Stores what the ceremony made and writes the signed report; shows where it is, opens the
    report, and offers only Finish once the result is stored (there is nothing left to abort)."""

    def __init__(
        self,
        run: StepRun[Any, Any],
        worker: CaWorkerApi,
        finish: Callable[[], R],
        describe: Callable[[R], str],
        title: str = "Root CA stored; report written",
    ) -> None:
        super().__init__(None)
        self.run = run
        self.worker = worker
        self.finish = finish
        self.result: R | None = None
        self.describe = describe
        self.setTitle(title)
        self.setFinalPage(True)
        layout = QFormLayout(self)
        self.summary = QLabel("Storing the result and writing the signed report…")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addRow(self.summary)
        self.error = error_label()
        layout.addRow(self.error)
        self.retry = QPushButton("&Retry")
        self.retry.hide()
        self.retry.clicked.connect(self.initializePage)
        layout.addRow(self.retry)
        self.open_report = QPushButton("&Open report")
        self.open_report.hide()
        self.open_report.clicked.connect(self.show_report)
        layout.addRow(self.open_report)
        self.report_view: ReportDialog | None = None

    def initializePage(self) -> None:
        self.retry.hide()
        self.error.hide()
        self._offer_abort(False)

        def done(result: R) -> None:
            self.result = result
            self.summary.setText(
                f"Ceremony {self.run.plan.ceremony_id} completed.\n{self.describe(result)}"
            )
            self.open_report.show()
            self.open_report.setFocus()
            self.completeChanged.emit()

        def failed(error: BaseException) -> None:
            self.error.setText(
                f"{error}\nThe ceremony stays open: free space or fix the problem, then press "
                "Retry (or abort it)."
            )
            self.error.show()
            self.retry.show()
            self._offer_abort(True)
            self.completeChanged.emit()

        finish = self.finish
        self.worker.submit(lambda _ws, _p: finish(), done, failed)

    def _offer_abort(self, offered: bool) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, not offered)

    def show_report(self) -> ReportDialog | None:
        if self.result is None:
            return None
        self.report_view = ReportDialog(self.result.report_dir, self)
        self.report_view.open()
        return self.report_view

    def isComplete(self) -> bool:
        return self.result is not None


class ReportDialog(QDialog):
    """The signed ceremony report (report.html) read here, and where its files are."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Ceremony report — {folder.name}")
        self.resize(900, 700)
        layout = QVBoxLayout(self)
        where = QLabel(
            f"Folder: <tt>{escape(str(folder))}</tt> (report.json is what the signature covers; "
            "check it with Ceremonies → Verify report)."
        )
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(where)
        self.text = QTextBrowser()
        self.text.setObjectName("ceremonyReport")
        self.text.setOpenLinks(False)
        try:
            self.text.setHtml((folder / "report.html").read_text(encoding="utf-8"))
        except OSError as exc:
            self.text.setPlainText(f"The report cannot be read: {exc.strerror}.")
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def describe_root(result: CeremonyResult) -> str:
    return f"Root CA {result.ca_id}; key {result.key_location}\nReport: {result.report_dir}"
