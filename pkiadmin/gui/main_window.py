"""The main window: navigation side bar, the sections, menus with shortcuts, and a busy indicator.

It implements the Shell protocol (gui/shell.py) that the operations in gui/operations/ use, and
reloads only the views an operation's Changes name."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

from pkiadmin.core.base.version import version_text
from pkiadmin.gui.errors import show_error, show_message
from pkiadmin.gui.pages.dashboard import DashboardPage
from pkiadmin.gui.shell import EVERYTHING, Changes
from pkiadmin.gui.worker import CaWorkerApi, Progress

if TYPE_CHECKING:
    from pkiadmin.core import overview
    from pkiadmin.core.inventory import query
    from pkiadmin.core.workspace.folder import Workspace
    from pkiadmin.gui.dialogs.compliance_policy import CompliancePolicyDialog
    from pkiadmin.gui.dialogs.guides import GuidesDialog
    from pkiadmin.gui.dialogs.known_bad import KnownBadKeysDialog
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
    from pkiadmin.gui.pages.partners import PartnersPage
    from pkiadmin.gui.pages.profiles import ProfilesPage
    from pkiadmin.gui.pages.requests import RequestsPage
    from pkiadmin.gui.pages.revocation import RevocationPage

_PAGES = {  # section: the attribute its page is built by
    "Dashboard": "dashboard",
    "Authorities": "authorities",
    "Certificates": "certificates",
    "Requests": "requests",
    "Revocation": "revocation",
    "Partners": "partners",
    "Ceremonies": "ceremonies",
    "Audit log": "audit",
    "Profiles": "profiles",
}
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
        self.setWindowTitle(f"pkiadmin — {workspace_path}")
        self.setObjectName("mainWindow")
        self.resize(1200, 760)

        self.nav = QListWidget()
        self.nav.setObjectName("sectionNav")
        self.nav.addItems(SECTIONS)
        self.nav.setFixedWidth(180)
        self.stack = QStackedWidget()
        self.dashboard = DashboardPage(str(workspace_path))
        self.overview_data: overview.Overview | None = None
        # The other sections' pages are built when first shown or used: until then the stack
        # holds a blank widget in their place.
        self._blanks = {name: QWidget() for name in SECTIONS if name != "Dashboard"}
        for name in SECTIONS:
            self.stack.addWidget(self._blanks.get(name, self.dashboard))
        self.nav.currentRowChanged.connect(self._show_section)
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
        self.dashboard.start_requested.connect(self.first_step)
        self.dashboard.filter_requested.connect(self.show_certificates)
        self.nav.setCurrentRow(0)
        # The other pages and the operations (and the dialogs, wizards and domain modules they
        # bring) are built when first needed: a section when it is first shown, an operation
        # when it is first asked for. Built in the background they would hold the interpreter
        # lock while the user types (up to 450 ms measured).
        # The certificates view reads on its own thread: it starts as soon as the worker has
        # opened (and upgraded) the workspace, not after the overview, whose dashboard figures
        # take longest on a large inventory. An error opening it is reported by the overview.
        self._certificates_fresh = False
        self.worker.submit(_on_open, self._workspace_open, lambda _error: None)
        self.refresh()

    # --- pages and operations: built when first needed -----------------------------------

    def _show_section(self, row: int) -> None:
        if not 0 <= row < len(SECTIONS):
            return
        getattr(self, _PAGES[SECTIONS[row]])
        self.stack.setCurrentIndex(row)

    def _placed(self, section: str, page: QWidget) -> None:
        """Put a page built late in the place its blank stood in."""
        index = SECTIONS.index(section)
        blank = self._blanks.pop(section)
        shown = self.stack.currentWidget() is blank
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(blank)
        blank.deleteLater()
        if shown:
            self.stack.setCurrentWidget(page)
        if self.overview_data is not None:
            _FILLS[_PAGES[section]][1](page, self.overview_data)

    @cached_property
    def authorities(self) -> AuthoritiesPage:
        from pkiadmin.gui.pages.authorities import AuthoritiesPage

        page = AuthoritiesPage()
        # Slots of the operations are looked up when the signal comes (lambdas), so that
        # connecting them does not build the operations.
        page.new_root_requested.connect(
            lambda: self.authority_ops.open_new_root_dialog()  # noqa: PLW0108 - built when called
        )
        page.new_intermediate_requested.connect(
            lambda: self.authority_ops.open_new_intermediate_dialog()  # noqa: PLW0108 - built when called
        )
        page.verify_key_requested.connect(
            lambda ca_id: self.authority_ops.ask_and_verify_key(ca_id)  # noqa: PLW0108 - built when called
        )
        page.settings_requested.connect(
            lambda ca_id: self.authority_ops.open_settings_dialog(ca_id)  # noqa: PLW0108 - built when called
        )
        page.lifecycle_requested.connect(self._lifecycle)
        page.verify_destruction_requested.connect(
            lambda: self.lifecycle_ops.choose_and_verify_destruction()  # noqa: PLW0108 - built when called
        )
        self._placed("Authorities", page)
        return page

    @cached_property
    def reader(self) -> ReaderThread:
        from pkiadmin.gui.models.certificates import ReaderThread

        return ReaderThread(self.workspace_path)

    @cached_property
    def certificates(self) -> CertificatesPage:
        from pkiadmin.gui.pages.certificates import CertificatesPage

        page = CertificatesPage(self.reader.reader)
        page.renew_requested.connect(
            lambda cert_id: self.lifecycle_ops.choose_and_renew_certificate(cert_id)  # noqa: PLW0108 - built when called
        )
        self._placed("Certificates", page)
        from pkiadmin.gui.operations.inventory import InventoryOperations

        self._inventory_ops = InventoryOperations(self, page)
        return page

    @cached_property
    def requests(self) -> RequestsPage:
        from pkiadmin.gui.pages.requests import RequestsPage

        page = RequestsPage()
        self._placed("Requests", page)
        from pkiadmin.gui.operations.requests import RequestOperations

        self._request_ops = RequestOperations(self, page)
        return page

    @cached_property
    def revocation(self) -> RevocationPage:
        from pkiadmin.gui.pages.revocation import RevocationPage

        page = RevocationPage()
        self._placed("Revocation", page)
        from pkiadmin.gui.operations.revocation import RevocationOperations

        self._revocation_ops = RevocationOperations(self, page)
        return page

    @cached_property
    def partners(self) -> PartnersPage:
        from pkiadmin.gui.pages.partners import PartnersPage

        page = PartnersPage()
        self._placed("Partners", page)
        from pkiadmin.gui.operations.partners import PartnerOperations

        self._partner_ops = PartnerOperations(self, page)
        return page

    @cached_property
    def ceremonies(self) -> CeremoniesPage:
        from pkiadmin.gui.pages.ceremonies import CeremoniesPage

        page = CeremoniesPage()
        self._placed("Ceremonies", page)
        from pkiadmin.gui.operations.ceremonies import CeremonyOperations

        self._ceremony_ops = CeremonyOperations(self, page)
        return page

    @cached_property
    def audit(self) -> AuditPage:
        from pkiadmin.gui.pages.audit import AuditPage

        page = AuditPage()
        self._placed("Audit log", page)
        from pkiadmin.gui.operations.workspace import WorkspaceOperations

        self._workspace_ops = WorkspaceOperations(self, page)
        return page

    @cached_property
    def profiles(self) -> ProfilesPage:
        from pkiadmin.gui.pages.profiles import ProfilesPage

        page = ProfilesPage()
        self._placed("Profiles", page)
        from pkiadmin.gui.operations.profiles import ProfileOperations

        self._profile_ops = ProfileOperations(self, page)
        return page

    @cached_property
    def authority_ops(self) -> AuthorityOperations:
        from pkiadmin.gui.operations.authorities import AuthorityOperations

        return AuthorityOperations(self, self.certificates)

    @property
    def request_ops(self) -> RequestOperations:
        self.requests  # noqa: B018 - building the page builds the operations its signals go to
        return self._request_ops

    @property
    def revocation_ops(self) -> RevocationOperations:
        self.revocation  # noqa: B018 - building the page builds the operations its signals go to
        return self._revocation_ops

    @property
    def partner_ops(self) -> PartnerOperations:
        self.partners  # noqa: B018 - building the page builds the operations its signals go to
        return self._partner_ops

    @property
    def inventory_ops(self) -> InventoryOperations:
        self.certificates  # noqa: B018 - building the page builds the operations its signals go to
        return self._inventory_ops

    @property
    def ceremony_ops(self) -> CeremonyOperations:
        self.ceremonies  # noqa: B018 - building the page builds the operations its signals go to
        return self._ceremony_ops

    @property
    def workspace_ops(self) -> WorkspaceOperations:
        self.audit  # noqa: B018 - building the page builds the operations its signals go to
        return self._workspace_ops

    @property
    def profile_ops(self) -> ProfileOperations:
        self.profiles  # noqa: B018 - building the page builds the operations its signals go to
        return self._profile_ops

    @cached_property
    def export_ops(self) -> ExportOperations:
        from pkiadmin.gui.operations.exports import ExportOperations

        return ExportOperations(self)

    @cached_property
    def lifecycle_ops(self) -> LifecycleOperations:
        from pkiadmin.gui.operations.lifecycle import LifecycleOperations

        return LifecycleOperations(self)

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
        """The certificates view's clock (tests inject one there); now until it is built."""
        if "certificates" in self.__dict__:
            return self.certificates.model.clock()
        return datetime.now(UTC)

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
            from pkiadmin.core import overview  # in the worker: not before the window shows

            if previous is None or changes == EVERYTHING:
                return overview.load(ws.db, now)
            return overview.update(ws.db, previous, changes.areas(), now)

        def done(result: overview.Overview) -> None:
            self._apply_overview(result, changes)
            if then is not None:
                then()

        self.worker.submit(operation, done, self.show_failure)

    def _apply_overview(self, result: overview.Overview, changes: Changes) -> None:
        """Show an overview in the dashboard and in each page built so far that shows what
        changed (a page built later is filled when it is built)."""
        first = self.overview_data is None
        self.overview_data = result
        self.dashboard.set_overview(result)
        changed = set(changes.areas())
        for name, (shows, fill) in _FILLS.items():
            if name in self.__dict__ and (first or not shows or changed & shows):
                fill(getattr(self, name), result)
        if self._certificates_fresh:  # loaded at start, and nothing has changed since
            self._certificates_fresh = False
        elif "certificates" in self.__dict__ and (
            first or changes.certificates or changes.revocation
        ):
            self.certificates.reload()

    def focus_filter(self) -> None:
        self.nav.setCurrentRow(SECTIONS.index("Certificates"))
        self.certificates.filter.setFocus()
        self.certificates.filter.selectAll()

    def show_failure(self, error: BaseException) -> None:
        show_error(self, error)

    def open_compliance_policy(self) -> CompliancePolicyDialog:
        from pkiadmin.gui.dialogs.compliance_policy import CompliancePolicyDialog

        dialog = CompliancePolicyDialog(self.worker, self)

        def saved() -> None:
            if dialog.saved:
                self.status("Saved the compliance policy; every finding was recomputed.")
                self.refresh(Changes(certificates=True))

        dialog.accepted.connect(saved)
        dialog.open()
        return dialog

    def open_known_bad_keys(self) -> KnownBadKeysDialog:
        from pkiadmin.gui.dialogs.known_bad import KnownBadKeysDialog

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
        from pkiadmin.gui.dialogs.guides import GuidesDialog

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
        if "certificates" in self.__dict__:  # built
            self.certificates.model.stop()
            self.reader.stop()
        self.worker.shutdown()
        # An unlocked token key is locked again when pkiadmin closes (no token was opened if
        # the PKCS#11 module was never imported).
        hsm = sys.modules.get("pkiadmin.core.keys.pkcs11")
        if hsm is not None:
            hsm.logout_all()
        super().closeEvent(event)


def _on_open(ws: Workspace, _progress: Progress) -> tuple[str, ...]:
    """Once, when the worker has opened the workspace: a ceremony whose process died is marked
    interrupted (the one write at start-up; refreshing never writes), and the leftovers of a
    killed operation that opening tidied are reported."""
    from pkiadmin.core.ceremony import store as ceremony_store

    ceremony_store.mark_interrupted(ws.db)
    return tuple(str(n) for n in ws.notices)


def _fill_audit(page: AuditPage, result: overview.Overview) -> None:
    page.set_entries(result.audit_entries)
    page.set_verdict(result.audit_verdict)


def _fill_authorities(page: AuthoritiesPage, result: overview.Overview) -> None:
    page.set_authorities(
        result.authorities,
        result.ca_certificates,
        result.crl_calendar,
        result.revoked_ids,
        {c.cert_id: c.partner for c in result.partner_certs},
    )


def _fill_requests(page: RequestsPage, result: overview.Overview) -> None:
    page.set_requests(result.csrs)


def _fill_certificates(page: CertificatesPage, result: overview.Overview) -> None:
    page.set_choices(result.choices, result.partners)


def _fill_revocation(page: RevocationPage, result: overview.Overview) -> None:
    page.set_data(result.crl_calendar, result.revocations, result.crls)


def _fill_partners(page: PartnersPage, result: overview.Overview) -> None:
    page.set_data(result.partners, result.packages, result.officer_fingerprint)


def _fill_ceremonies(page: CeremoniesPage, result: overview.Overview) -> None:
    page.set_ceremonies(result.ceremonies)


def _fill_profiles(page: ProfilesPage, result: overview.Overview) -> None:
    page.set_profiles(result.profiles)


# Each page's part of an overview: the areas whose change it shows (none: every change), and
# how it is filled.
_FILLS: dict[str, tuple[frozenset[str], Callable[[Any, overview.Overview], None]]] = {
    "audit": (frozenset(), _fill_audit),
    "authorities": (
        frozenset({"authorities", "certificates", "revocation", "partners"}),
        _fill_authorities,
    ),
    "requests": (frozenset({"requests"}), _fill_requests),
    "certificates": (frozenset({"certificates", "partners"}), _fill_certificates),
    "revocation": (frozenset({"revocation", "authorities"}), _fill_revocation),
    "partners": (frozenset({"partners"}), _fill_partners),
    "ceremonies": (frozenset({"ceremonies"}), _fill_ceremonies),
    "profiles": (frozenset({"profiles"}), _fill_profiles),
}
