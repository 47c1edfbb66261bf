"""The main window: navigation side bar, the sections, menus with shortcuts, and a busy indicator."""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QWidget,
)

from pkiadmin.core import (
    audit,
    audit_replay,
    authorities,
    ceremony_plan,
    ceremony_report,
    ceremony_store,
    certinfo,
    clock,
    compliance,
    csr,
    export,
    hsm,
    inventory,
    keyuse_plan,
    keyuse_report,
    keyuse_tasks,
    overview,
    partners,
    query,
    requests,
    revocation,
)
from pkiadmin.core.ceremony import CeremonyRun
from pkiadmin.core.certinfo import CertDetails
from pkiadmin.core.errors import PkiError
from pkiadmin.core.keyuse import KeyUseRun
from pkiadmin.core.step_run import StepRun
from pkiadmin.core.version import version_text
from pkiadmin.core.workspace import Workspace
from pkiadmin.gui.audit_page import AuditPage
from pkiadmin.gui.ceremonies_page import CeremoniesPage
from pkiadmin.gui.ceremony_pages import FinishPage
from pkiadmin.gui.ceremony_wizard import CeremonyWizard, SharesDialog
from pkiadmin.gui.cert_details import DetailsExtra
from pkiadmin.gui.cert_model import ReaderThread
from pkiadmin.gui.certificates_page import CertificatesPage
from pkiadmin.gui.dashboard_page import DashboardPage
from pkiadmin.gui.errors import show_error, show_message
from pkiadmin.gui.hsm_dialog import HsmDialog
from pkiadmin.gui.inventory_actions import InventoryActions
from pkiadmin.gui.keyuse_pages import KEY_USE_PAGES, describe_result
from pkiadmin.gui.new_root_dialog import NewRootDialog
from pkiadmin.gui.overview_pages import AuthoritiesPage
from pkiadmin.gui.partner_actions import PartnerActions
from pkiadmin.gui.partners_page import PartnersPage
from pkiadmin.gui.plan_form import PlanFormDialog
from pkiadmin.gui.requests_page import RequestsPage
from pkiadmin.gui.revocation_actions import RevocationActions
from pkiadmin.gui.revocation_page import RevocationPage
from pkiadmin.gui.sign_dialog import SignCsrDialog
from pkiadmin.gui.worker import CaWorkerApi, Progress

SECTIONS = (
    "Dashboard",
    "Authorities",
    "Certificates",
    "Requests",
    "Revocation",
    "Partners",
    "Ceremonies",
    "Audit log",
)


class MainWindow(QMainWindow):
    def __init__(
        self, worker: CaWorkerApi, workspace_path: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.workspace_path = workspace_path
        self.reader = ReaderThread(workspace_path)
        self.setWindowTitle(f"pkiadmin — {workspace_path}")
        self.setObjectName("mainWindow")
        self.resize(1200, 760)

        self.nav = QListWidget()
        self.nav.setObjectName("sectionNav")
        self.nav.addItems(SECTIONS)
        self.nav.setFixedWidth(180)
        self.stack = QStackedWidget()
        self.dashboard = DashboardPage(str(workspace_path))
        self.authorities = AuthoritiesPage()
        self.certificates = CertificatesPage(self.reader.reader)
        self.audit = AuditPage()
        self.ceremonies = CeremoniesPage()
        self.requests = RequestsPage()
        self.revocation = RevocationPage()
        self.partners = PartnersPage()
        self.ceremony_wizard: CeremonyWizard | None = None
        self.overview_data: overview.Overview | None = None
        self.sign_dialog: SignCsrDialog | None = None
        pages: dict[str, QWidget] = {
            "Dashboard": self.dashboard,
            "Authorities": self.authorities,
            "Certificates": self.certificates,
            "Requests": self.requests,
            "Revocation": self.revocation,
            "Partners": self.partners,
            "Ceremonies": self.ceremonies,
            "Audit log": self.audit,
        }
        for name in SECTIONS:
            self.stack.addWidget(pages[name])
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        central = QWidget()
        row = QHBoxLayout(central)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(160)
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)
        self.worker.busy_changed.connect(self.busy.setVisible)

        self._build_actions()
        self.dashboard.new_root_requested.connect(self.open_new_root_dialog)
        self.authorities.new_root_requested.connect(self.open_new_root_dialog)
        self.authorities.verify_key_requested.connect(self.ask_and_verify_key)
        self.certificates.details_requested.connect(self.load_details)
        self.audit.verify_requested.connect(self.verify_audit)
        self.requests.import_requested.connect(self.import_csr)
        self.requests.details_requested.connect(self.load_csr_details)
        self.requests.sign_requested.connect(self.open_sign_dialog)
        self.revocation_actions = RevocationActions(self)
        self.partner_actions = PartnerActions(self)
        self.inventory_actions = InventoryActions(self)
        self.dashboard.filter_requested.connect(self.show_certificates)
        self.ceremonies.run_requested.connect(self.choose_and_start_ceremony)
        self.ceremonies.new_plan_requested.connect(self.open_plan_form)
        self.ceremonies.verify_requested.connect(self.verify_report)
        self.nav.setCurrentRow(0)
        # The certificates view reads on its own thread: it starts as soon as the worker has
        # opened (and upgraded) the workspace, not after the overview, whose dashboard figures
        # take longest on a large inventory. An error opening it is reported by the overview.
        self._certificates_fresh = False
        self.worker.submit(lambda ws, _p: ws.notices, self._workspace_open, lambda _error: None)
        self.refresh()

    def _workspace_open(self, notices: object) -> None:
        if self.overview_data is None:
            self.certificates.reload()
            self._certificates_fresh = True
        if isinstance(notices, tuple) and notices:  # leftovers of a killed operation, dealt with
            show_message(
                self, "Leftovers of an interrupted operation", "\n\n".join(map(str, notices))
            )

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_root_action = self._action(
            "&New root CA…", QKeySequence.StandardKey.New, self.open_new_root_dialog
        )
        self.export_action = self._action("&Export certificate…", "Ctrl+E", self.export_selected)
        file_menu.addAction(self.new_root_action)
        file_menu.addAction(
            self._action(
                "&Import certificates…",
                "Ctrl+I",
                lambda *_: self.inventory_actions.choose_and_import(),
            )
        )
        file_menu.addAction(self.export_action)
        file_menu.addAction(
            self._action(
                "Export certificate &view…",
                "Ctrl+Shift+E",
                lambda *_: self.inventory_actions.choose_and_export_view(),
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", QKeySequence.StandardKey.Quit, self.close))
        view_menu = self.menuBar().addMenu("&View")
        for number, name in enumerate(SECTIONS, start=1):
            # triggered(bool) passes 'checked' first: *_ absorbs it so row keeps its value.
            go_to = partial(lambda row, *_: self.nav.setCurrentRow(row), number - 1)
            view_menu.addAction(self._action(name, f"Ctrl+{number}", go_to))
        view_menu.addSeparator()
        view_menu.addAction(
            self._action("&Find certificate", QKeySequence.StandardKey.Find, self.focus_filter)
        )
        view_menu.addAction(
            self._action("&Refresh", QKeySequence.StandardKey.Refresh, self.refresh)
        )
        tools_menu = self.menuBar().addMenu("&Tools")
        tools_menu.addAction(self._action("&Verify audit log", "Ctrl+Shift+V", self.verify_audit))
        tools_menu.addAction(self._action("&HSM tokens…", "Ctrl+Shift+H", self.open_hsm_dialog))
        tools_menu.addAction(self._action("&Confirm the clock…", None, self.confirm_clock))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About pkiadmin", None, self.show_about))

    def _action(
        self, text: str, shortcut: QKeySequence.StandardKey | str | None, slot: object
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    # --- operations, each run on the CA worker -------------------------------------------

    def refresh(self) -> None:
        def operation(ws: Workspace, _progress: Progress) -> overview.Overview:
            # A ceremony whose process died shows as interrupted from the next refresh on.
            ceremony_store.mark_interrupted(ws.db)
            return overview.load(ws.db, now)

        now = self.certificates.model.clock()

        self.worker.submit(operation, self._apply_overview, self.show_failure)

    def _apply_overview(self, result: object) -> None:
        assert isinstance(result, overview.Overview)  # noqa: S101 - the job above returns one
        self.dashboard.set_overview(result)
        self.authorities.set_authorities(
            result.authorities, result.ca_certificates, result.crl_calendar, result.revoked_ids
        )
        self.requests.set_requests(result.csrs)
        self.certificates.set_choices(result.choices, result.partners)
        if self._certificates_fresh:  # loaded at start, and nothing has changed since
            self._certificates_fresh = False
        else:
            self.certificates.reload()
        self.revocation.set_data(result.crl_calendar, result.revocations, result.crls)
        self.partners.set_data(result.partners, result.packages, result.officer_fingerprint)
        self.overview_data = result
        self.audit.set_entries(result.audit_entries)
        self.audit.set_verdict(result.audit_verdict)
        self.ceremonies.set_ceremonies(result.ceremonies)

    def load_details(self, cert_id: int) -> None:
        now = self.certificates.model.clock()

        def operation(ws: Workspace, _progress: Progress) -> tuple[CertDetails, DetailsExtra]:
            record = inventory.get_record(ws.db, cert_id)
            partner = next(
                (p.name for p in partners.list_partners(ws.db) if p.id == record.partner_id), ""
            )
            revoked = revocation.for_certificate(ws.db, cert_id)
            extra = DetailsExtra(
                record,
                compliance.findings_of(ws.db, cert_id, now),
                partner,
                revoked.describe() if revoked else "",
            )
            return certinfo.describe(inventory.load_certificate(ws.db, cert_id)), extra

        def done(result: object) -> None:
            assert isinstance(result, tuple)  # noqa: S101 - the job above returns a pair
            self.certificates.show_details(cert_id, result[0], result[1])

        self.worker.submit(operation, done, self.show_failure)

    def open_new_root_dialog(self) -> NewRootDialog:
        dialog = NewRootDialog(self.worker, self)
        dialog.created.connect(self._root_created)
        dialog.open()
        return dialog

    def _root_created(self, result: object) -> None:
        cert_id = getattr(getattr(result, "record", None), "id", None)
        self.statusBar().showMessage("Root CA created.", 10_000)
        self.nav.setCurrentRow(SECTIONS.index("Certificates"))

        def select_new(overview_result: object) -> None:
            self._apply_overview(overview_result)
            if isinstance(cert_id, int):
                self.certificates.select_cert(cert_id)

        self.worker.submit(lambda ws, _p: overview.load(ws.db), select_new, self.show_failure)

    def export_selected(self, path: Path | None = None) -> None:
        record = self.certificates.selected_record()
        if record is None:
            QMessageBox.information(
                self, "Export certificate", "Select a certificate in Certificates first."
            )
            return
        if path is None:
            chosen, _filter = QFileDialog.getSaveFileName(
                self,
                "Export certificate",
                str(
                    self.workspace_path
                    / "exports"
                    / export.default_file_name(record, export.CertFormat.PEM)
                ),
                "PEM certificate (*.pem *.crt);;DER certificate (*.der *.cer)",
            )
            if not chosen:
                return
            path = Path(chosen)
        fmt = (
            export.CertFormat.DER
            if path.suffix.lower() in {".der", ".cer"}
            else export.CertFormat.PEM
        )
        cert_id = record.id

        def operation(ws: Workspace, _progress: Progress) -> export.ExportResult:
            return export.export_certificate(ws, cert_id, fmt, path)

        def done(result: object) -> None:
            assert isinstance(result, export.ExportResult)  # noqa: S101
            self.statusBar().showMessage(f"Wrote {result.path}", 10_000)
            self.refresh()

        self.worker.submit(operation, done, self.show_failure)

    def verify_audit(self) -> None:
        def operation(ws: Workspace, _progress: Progress) -> audit.AuditVerdict:
            return audit_replay.verify(ws.db, ws.exports_dir)

        def done(result: object) -> None:
            assert isinstance(result, audit.AuditVerdict)  # noqa: S101
            self.audit.set_verdict(result)
            self.nav.setCurrentRow(SECTIONS.index("Audit log"))

        self.worker.submit(operation, done, self.show_failure)

    def ask_unlock(self, ca_id: int, title: str) -> tuple[str | None, list[str] | None] | None:
        """The CA key's passphrase, or a quorum of custodian shares; None when cancelled."""
        authority = next((a for a in self.authorities.model.records() if a.id == ca_id), None)
        if authority is not None and authority.needs_shares:
            dialog = SharesDialog(authority.name, self)
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return None, dialog.shares()
            return None
        label = (
            "PIN of the CA's token:"
            if authority is not None and authority.on_token
            else "Key passphrase:"
        )
        secret, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Password)
        return (secret, None) if ok else None

    def ask_and_verify_key(self, ca_id: int) -> None:
        unlock = self.ask_unlock(ca_id, "Check key passphrase")
        if unlock is not None:
            self.verify_ca_key(ca_id, *unlock)

    def verify_ca_key(
        self, ca_id: int, secret: str | None, share_words: list[str] | None = None
    ) -> None:
        def operation(ws: Workspace, _progress: Progress) -> authorities.KeyCheck:
            return authorities.verify_key(ws, ca_id, secret, share_words)

        def done(result: object) -> None:
            assert isinstance(result, authorities.KeyCheck)  # noqa: S101
            QMessageBox.information(
                self,
                "Check key passphrase",
                f"The {'PIN opens the token holding' if result.key_path.name.startswith('pkcs11:') else 'passphrase opens'} "
                f"{result.key_path.name}, and the key matches the certificate "
                f"of {result.name}.",
            )
            self.refresh()

        self.worker.submit(operation, done, self.show_failure)

    def choose_and_start_ceremony(self, rehearsal: bool) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Ceremony plan", "", "Plan (*.toml)")
        if chosen:
            self.start_ceremony(Path(chosen), rehearsal)

    def start_ceremony(self, plan_path: Path, rehearsal: bool) -> None:
        """Start the run on the CA worker, then open the wizard on it. A key-use plan (signing an
        intermediate, re-signing CRLs) gets its own pages; it is checked against the workspace
        before anything is recorded."""
        try:
            text = plan_path.read_text(encoding="utf-8")
            key_use = keyuse_plan.kind_of(text) in {k.value for k in keyuse_plan.KeyUseKind}
            plan = (
                keyuse_plan.parse(text, plan_path.name)
                if key_use
                else ceremony_plan.parse(text, plan_path.name)
            )
        except (OSError, UnicodeDecodeError) as exc:
            show_error(self, PkiError(f"Cannot read the plan {plan_path}: {exc}."))
            return
        except PkiError as exc:
            show_error(self, exc)
            return
        if key_use and rehearsal:
            show_error(
                self,
                PkiError(
                    "Rehearsal is for root key ceremonies; rehearse a key-use ceremony with a test hierarchy."
                ),
            )
            return

        def operation(ws: Workspace, _progress: Progress) -> StepRun[Any, Any]:
            if isinstance(plan, keyuse_plan.KeyUsePlan):
                return KeyUseRun.start(ws, plan, keyuse_tasks.for_plan(ws, plan))
            return CeremonyRun.start(ws, plan, rehearsal)

        def started(run: object) -> None:
            if isinstance(run, KeyUseRun):
                wizard = CeremonyWizard(
                    run,
                    self.worker,
                    self,
                    KEY_USE_PAGES,
                    lambda: FinishPage(
                        run, self.worker, None, describe_result, "Stored; report written"
                    ),
                )
            else:
                assert isinstance(run, CeremonyRun)  # noqa: S101
                wizard = CeremonyWizard(run, self.worker, self)
            wizard.finished.connect(lambda _code: self.refresh())
            self.ceremony_wizard = wizard
            wizard.open()

        self.nav.setCurrentRow(SECTIONS.index("Ceremonies"))
        self.worker.submit(operation, started, self.show_failure)

    def open_plan_form(self) -> PlanFormDialog:
        form = PlanFormDialog(self)
        form.open()
        return form

    def verify_report(self, folder: str) -> None:
        def operation(ws: Workspace, _progress: Progress) -> ceremony_report.ReportVerdict:
            if (Path(folder) / keyuse_report.SIGNER_FILE).exists():
                verdict = keyuse_report.verify(Path(folder))
            else:
                verdict = ceremony_report.verify(Path(folder))
            problem = ceremony_store.report_problem(ws.db, Path(folder))
            if problem is None:
                return verdict
            return dataclasses.replace(verdict, ok=False, problems=(*verdict.problems, problem))

        def done(result: object) -> None:
            assert isinstance(result, ceremony_report.ReportVerdict)  # noqa: S101
            if result.ok:
                text = f"✔ The report verifies ({len(result.checks)} checks). Signing certificate SHA-256 {result.root_sha256}"
            else:
                text = "✘ The report does NOT verify: " + "; ".join(result.problems)
            self.ceremonies.verdict.setText(text)

        self.worker.submit(operation, done, self.show_failure)

    def import_csr(self, path: Path) -> None:
        def operation(ws: Workspace, _progress: Progress) -> requests.CsrRecord:
            return requests.import_csr(ws, path.read_bytes(), path.name)[0]

        def done(result: object) -> None:
            assert isinstance(result, requests.CsrRecord)  # noqa: S101
            self.statusBar().showMessage(f"Imported CSR {result.id}: {result.subject}", 10_000)
            self.nav.setCurrentRow(SECTIONS.index("Requests"))
            self.refresh()

        self.worker.submit(operation, done, self.show_failure)

    def load_csr_details(self, csr_id: int) -> None:
        def operation(ws: Workspace, _progress: Progress) -> csr.CsrInfo:
            return csr.check(requests.load_request(ws, csr_id))

        self.worker.submit(
            operation, lambda info: self.requests.show_info(csr_id, info), self.show_failure
        )

    def open_sign_dialog(self, csr_id: int) -> SignCsrDialog | None:
        issuers = self.authorities.model.records()
        if not issuers:
            QMessageBox.information(
                self,
                "Sign CSR",
                "Create or import a CA first: no CA key is held in this workspace.",
            )
            return None
        dialog = SignCsrDialog(self.worker, csr_id, issuers, self)
        dialog.accepted.connect(lambda: self._signed(dialog))
        self.sign_dialog = dialog
        dialog.open()
        return dialog

    def _signed(self, dialog: SignCsrDialog) -> None:
        if dialog.issued is not None:
            self.statusBar().showMessage(f"Signed certificate {dialog.issued.cert_id}", 10_000)
        self.refresh()

    def confirm_clock(self) -> None:
        """Record (audited) that a person checked the clock: needed before a key is used when the
        clock is earlier than the last audit entry or more than 30 days after it."""
        from datetime import UTC, datetime

        who, ok = QInputDialog.getText(
            self,
            "Confirm the clock",
            f"The clock says {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC.\n"
            "Check it against a reliable source (a radio clock, a second device).\n\n"
            "Your name (recorded in the audit log):",
        )
        if not ok or not who.strip():
            return

        def operation(ws: Workspace, _p: Progress) -> datetime:
            return clock.confirm(ws.db, who.strip())

        def done(confirmed: object) -> None:
            self.statusBar().showMessage(
                f"Clock confirmed at {confirmed} by {who.strip()}.", 15_000
            )
            self.refresh()

        self.worker.submit(operation, done, self.show_failure)

    def open_hsm_dialog(self) -> HsmDialog:
        dialog = HsmDialog(self.worker, self)
        dialog.refresh_tokens()
        dialog.open()
        return dialog

    def focus_filter(self) -> None:
        self.nav.setCurrentRow(SECTIONS.index("Certificates"))
        self.certificates.filter.setFocus()
        self.certificates.filter.selectAll()

    def show_failure(self, error: BaseException) -> None:
        show_error(self, error)

    def show_about(self) -> None:
        QMessageBox.about(self, "About pkiadmin", version_text().replace("\n", "<br>"))

    def show_certificates(self, f: object) -> None:
        """A dashboard figure was chosen: the certificates it counts."""
        self.nav.setCurrentRow(SECTIONS.index("Certificates"))
        if isinstance(f, query.Filter):
            self.certificates.show_filter(f)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.certificates.model.stop()
        self.reader.stop()
        self.worker.shutdown()
        hsm.logout_all()  # an unlocked token key is locked again when pkiadmin closes
        super().closeEvent(event)
