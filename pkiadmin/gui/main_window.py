"""The main window: navigation side bar, the sections, menus with shortcuts, and a busy indicator.

It implements the Shell protocol (gui/shell.py) that the operations in gui/operations/ use, and
reloads only the views an operation's Changes name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QWidget,
)

from pkiadmin.core import overview
from pkiadmin.core.base.version import version_text
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.inventory import query
from pkiadmin.core.keys import pkcs11 as hsm
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.dialogs.compliance_policy import CompliancePolicyDialog
from pkiadmin.gui.dialogs.guides import GuidesDialog
from pkiadmin.gui.dialogs.known_bad import KnownBadKeysDialog
from pkiadmin.gui.errors import show_error, show_message
from pkiadmin.gui.models.certificates import ReaderThread
from pkiadmin.gui.operations.authorities import AuthorityOperations
from pkiadmin.gui.operations.ceremonies import CeremonyOperations
from pkiadmin.gui.operations.exports import ExportOperations
from pkiadmin.gui.operations.inventory import InventoryOperations
from pkiadmin.gui.operations.lifecycle import LifecycleOperations
from pkiadmin.gui.operations.partners import PartnerOperations
from pkiadmin.gui.operations.profiles import ProfileOperations
from pkiadmin.gui.operations.requests import RequestOperations
from pkiadmin.gui.operations.revocation import RevocationOperations
from pkiadmin.gui.operations.workspace import WorkspaceOperations
from pkiadmin.gui.pages.audit import AuditPage
from pkiadmin.gui.pages.authorities import AuthoritiesPage
from pkiadmin.gui.pages.ceremonies import CeremoniesPage
from pkiadmin.gui.pages.certificates import CertificatesPage
from pkiadmin.gui.pages.dashboard import DashboardPage
from pkiadmin.gui.pages.partners import PartnersPage
from pkiadmin.gui.pages.profiles import ProfilesPage
from pkiadmin.gui.pages.requests import RequestsPage
from pkiadmin.gui.pages.revocation import RevocationPage
from pkiadmin.gui.shell import EVERYTHING, Changes
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
    "Profiles",
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
        self.profiles = ProfilesPage()
        self.overview_data: overview.Overview | None = None
        pages: dict[str, QWidget] = {
            "Dashboard": self.dashboard,
            "Authorities": self.authorities,
            "Certificates": self.certificates,
            "Requests": self.requests,
            "Revocation": self.revocation,
            "Partners": self.partners,
            "Ceremonies": self.ceremonies,
            "Audit log": self.audit,
            "Profiles": self.profiles,
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

        self.authority_ops = AuthorityOperations(self, self.certificates)
        self.request_ops = RequestOperations(self, self.requests)
        self.revocation_ops = RevocationOperations(self, self.revocation)
        self.partner_ops = PartnerOperations(self, self.partners)
        self.inventory_ops = InventoryOperations(self, self.certificates)
        self.ceremony_ops = CeremonyOperations(self, self.ceremonies)
        self.workspace_ops = WorkspaceOperations(self, self.audit)
        self.profile_ops = ProfileOperations(self, self.profiles)
        self.export_ops = ExportOperations(self)
        self.lifecycle_ops = LifecycleOperations(self)
        self._build_actions()
        self.dashboard.start_requested.connect(self.first_step)
        self.authorities.new_root_requested.connect(self.authority_ops.open_new_root_dialog)
        self.authorities.new_intermediate_requested.connect(
            self.authority_ops.open_new_intermediate_dialog
        )
        self.authorities.verify_key_requested.connect(self.authority_ops.ask_and_verify_key)
        self.authorities.settings_requested.connect(self.authority_ops.open_settings_dialog)
        self.authorities.lifecycle_requested.connect(self._lifecycle)
        self.certificates.renew_requested.connect(self.lifecycle_ops.choose_and_renew_certificate)
        self.authorities.verify_destruction_requested.connect(
            self.lifecycle_ops.choose_and_verify_destruction
        )
        self.dashboard.filter_requested.connect(self.show_certificates)
        self.nav.setCurrentRow(0)
        # The certificates view reads on its own thread: it starts as soon as the worker has
        # opened (and upgraded) the workspace, not after the overview, whose dashboard figures
        # take longest on a large inventory. An error opening it is reported by the overview.
        self._certificates_fresh = False
        self.worker.submit(_on_open, self._workspace_open, lambda _error: None)
        self.refresh()

    def _workspace_open(self, notices: tuple[str, ...]) -> None:
        if self.overview_data is None:
            self.certificates.reload()
            self._certificates_fresh = True
        if notices:  # leftovers of a killed operation, dealt with
            show_message(self, "Leftovers of an interrupted operation", "\n\n".join(notices))

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_root_action = self._action(
            "&New root CA…",
            QKeySequence.StandardKey.New,
            lambda *_: self.authority_ops.open_new_root_dialog(),
        )
        self.export_action = self._action(
            "&Export certificate…", "Ctrl+E", lambda *_: self.inventory_ops.export_selected()
        )
        file_menu.addAction(self.new_root_action)
        file_menu.addAction(
            self._action(
                "New &intermediate CA…",
                "Ctrl+Shift+N",
                lambda *_: self.authority_ops.open_new_intermediate_dialog(),
            )
        )
        file_menu.addAction(
            self._action(
                "&Import certificates…",
                "Ctrl+I",
                lambda *_: self.inventory_ops.choose_and_import(),
            )
        )
        file_menu.addAction(self.export_action)
        file_menu.addAction(
            self._action(
                "Export for a &TLS service…",
                "Ctrl+Shift+B",
                lambda *_: self.inventory_ops.export_bundle_selected(),
            )
        )
        file_menu.addAction(
            self._action(
                "Export certificate &view…",
                "Ctrl+Shift+E",
                lambda *_: self.inventory_ops.choose_and_export_view(),
            )
        )
        file_menu.addAction(
            self._action(
                "&Adopt a CA made elsewhere…",
                None,
                lambda *_: self.authority_ops.open_adopt_dialog(),
            )
        )
        export_menu = file_menu.addMenu("E&xport")
        export_menu.addAction(
            self._action(
                "&index.txt of the selected CA…",
                None,
                lambda *_: self.export_ops.choose_and_write_index_txt(
                    selected.id if (selected := self.authorities.selected()) else None
                ),
            )
        )
        export_menu.addAction(
            self._action(
                "&Compliance report…",
                None,
                lambda *_: self.export_ops.choose_and_write_compliance_report(),
            )
        )
        export_menu.addAction(
            self._action(
                "&Verification sheet for a call…",
                None,
                lambda *_: self.export_ops.choose_and_write_call_sheet(),
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
            self._action("&Refresh", QKeySequence.StandardKey.Refresh, lambda *_: self.refresh())
        )
        tools_menu = self.menuBar().addMenu("&Tools")
        tools_menu.addAction(
            self._action(
                "&Verify audit log", "Ctrl+Shift+V", lambda *_: self.workspace_ops.verify_audit()
            )
        )
        tools_menu.addAction(
            self._action(
                "&HSM tokens…", "Ctrl+Shift+H", lambda *_: self.authority_ops.open_hsm_dialog()
            )
        )
        tools_menu.addAction(
            self._action("&Confirm the clock…", None, lambda *_: self.workspace_ops.confirm_clock())
        )
        tools_menu.addAction(
            self._action("&Known-bad keys…", None, lambda *_: self.open_known_bad_keys())
        )
        tools_menu.addAction(
            self._action("Compliance &policy…", None, lambda *_: self.open_compliance_policy())
        )
        help_menu = self.menuBar().addMenu("&Help")
        self.guides_action = self._action(
            "&Guides…", QKeySequence.StandardKey.HelpContents, lambda *_: self.open_guides()
        )
        help_menu.addAction(self.guides_action)
        help_menu.addAction(self._action("&About pkiadmin", None, self.show_about))

    def _action(
        self, text: str, shortcut: QKeySequence.StandardKey | str | None, slot: object
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    # --- the Shell protocol (gui/shell.py) -------------------------------------------------

    @property
    def widget(self) -> QWidget:
        return self

    def status(self, text: str, timeout_ms: int = 10_000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def clock(self) -> datetime:
        return self.certificates.model.clock()

    def current_overview(self) -> overview.Overview | None:
        return self.overview_data

    def go_to(self, section: str) -> None:
        self.nav.setCurrentRow(SECTIONS.index(section))

    def refresh(
        self, changes: Changes = EVERYTHING, then: Callable[[], None] | None = None
    ) -> None:
        """Read what `changes` can have altered (only reads) and show it in those views."""
        now = self.clock()
        previous = self.overview_data

        def operation(ws: Workspace, _progress: Progress) -> overview.Overview:
            if previous is None or changes == EVERYTHING:
                return overview.load(ws.db, now)
            return overview.update(ws.db, previous, changes.areas(), now)

        def done(result: overview.Overview) -> None:
            self._apply_overview(result, changes)
            if then is not None:
                then()

        self.worker.submit(operation, done, self.show_failure)

    def _apply_overview(self, result: overview.Overview, changes: Changes) -> None:
        first = self.overview_data is None
        self.overview_data = result
        self.dashboard.set_overview(result)
        self.audit.set_entries(result.audit_entries)
        self.audit.set_verdict(result.audit_verdict)
        if (
            first
            or changes.authorities
            or changes.certificates
            or changes.revocation
            or changes.partners
        ):
            self.authorities.set_authorities(
                result.authorities,
                result.ca_certificates,
                result.crl_calendar,
                result.revoked_ids,
                {c.cert_id: c.partner for c in result.partner_certs},
            )
        if first or changes.requests:
            self.requests.set_requests(result.csrs)
        if first or changes.certificates or changes.partners:
            self.certificates.set_choices(result.choices, result.partners)
        if self._certificates_fresh:  # loaded at start, and nothing has changed since
            self._certificates_fresh = False
        elif first or changes.certificates or changes.revocation:
            self.certificates.reload()
        if first or changes.revocation or changes.authorities:
            self.revocation.set_data(result.crl_calendar, result.revocations, result.crls)
        if first or changes.partners:
            self.partners.set_data(result.partners, result.packages, result.officer_fingerprint)
        if first or changes.ceremonies:
            self.ceremonies.set_ceremonies(result.ceremonies)
        if first or changes.profiles:
            self.profiles.set_profiles(result.profiles)

    def focus_filter(self) -> None:
        self.nav.setCurrentRow(SECTIONS.index("Certificates"))
        self.certificates.filter.setFocus()
        self.certificates.filter.selectAll()

    def show_failure(self, error: BaseException) -> None:
        show_error(self, error)

    def open_compliance_policy(self) -> CompliancePolicyDialog:
        dialog = CompliancePolicyDialog(self.worker, self)

        def saved() -> None:
            if dialog.saved:
                self.status("Saved the compliance policy; every finding was recomputed.")
                self.refresh(Changes(certificates=True))

        dialog.accepted.connect(saved)
        dialog.open()
        return dialog

    def open_known_bad_keys(self) -> KnownBadKeysDialog:
        dialog = KnownBadKeysDialog(self.worker, self)
        dialog.refresh()
        dialog.open()
        return dialog

    def _lifecycle(self, what: str, ca_id: int) -> None:
        {
            "renew": self.lifecycle_ops.ask_and_renew,
            "retire": self.lifecycle_ops.ask_and_retire,
            "destroy-key": self.lifecycle_ops.ask_and_destroy_key,
            "make-csr": self.lifecycle_ops.choose_and_make_csr,
            "cross-sign": self.lifecycle_ops.ask_and_cross_sign,
        }[what](ca_id)

    def first_step(self, what: str) -> None:
        """The first-start panel's buttons: a ceremony plan, its rehearsal or its run, a quick
        test root, or the ceremony guide."""
        if what == "plan":
            self.go_to("Ceremonies")
            self.ceremony_ops.open_plan_form()
        elif what in ("rehearse", "run"):
            self.go_to("Ceremonies")
            self.ceremony_ops.choose_and_start_ceremony(rehearsal=what == "rehearse")
        elif what == "quick":
            self.authority_ops.open_new_root_dialog()
        else:
            self.open_guides("ceremonies")

    def open_guides(self, first: str = "tour") -> GuidesDialog:
        dialog = GuidesDialog(self, first)
        dialog.open()
        return dialog

    def show_about(self) -> None:
        QMessageBox.about(self, "About pkiadmin", version_text().replace("\n", "<br>"))

    def show_certificates(self, f: query.Filter) -> None:
        """A dashboard figure was chosen: the certificates it counts."""
        self.nav.setCurrentRow(SECTIONS.index("Certificates"))
        self.certificates.show_filter(f)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.certificates.model.stop()
        self.reader.stop()
        self.worker.shutdown()
        hsm.logout_all()  # an unlocked token key is locked again when pkiadmin closes
        super().closeEvent(event)


def _on_open(ws: Workspace, _progress: Progress) -> tuple[str, ...]:
    """Once, when the worker has opened the workspace: a ceremony whose process died is marked
    interrupted (the one write at start-up; refreshing never writes), and the leftovers of a
    killed operation that opening tidied are reported."""
    ceremony_store.mark_interrupted(ws.db)
    return tuple(str(n) for n in ws.notices)
