"""What the Ceremonies section does: start a ceremony from its plan, write a plan, verify a report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.ceremony import store as ceremony_store
from pkiadmin.core.ceremony.keyuse import plan as keyuse_plan
from pkiadmin.core.ceremony.keyuse import report as keyuse_report
from pkiadmin.core.ceremony.keyuse import tasks as keyuse_tasks
from pkiadmin.core.ceremony.keyuse.run import KeyUseRun
from pkiadmin.core.ceremony.report_parts import ReportVerdict
from pkiadmin.core.ceremony.root import plan as ceremony_plan
from pkiadmin.core.ceremony.root import report as ceremony_report
from pkiadmin.core.ceremony.root.run import CeremonyRun
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.dialogs.plan_form import PlanFormDialog
from pkiadmin.gui.errors import show_error
from pkiadmin.gui.pages.ceremonies import CeremoniesPage
from pkiadmin.gui.shell import EVERYTHING, Shell
from pkiadmin.gui.wizard.keyuse_pages import KEY_USE_PAGES, describe_result
from pkiadmin.gui.wizard.root_pages import FinishPage, describe_root
from pkiadmin.gui.wizard.wizard import CeremonyWizard
from pkiadmin.gui.worker import Progress


class CeremonyOperations:
    def __init__(self, shell: Shell, page: CeremoniesPage) -> None:
        self.shell = shell
        self.page = page
        self.ceremony_wizard: CeremonyWizard | None = None
        page.run_requested.connect(self.choose_and_start_ceremony)
        page.new_plan_requested.connect(self.open_plan_form)
        page.verify_requested.connect(self.verify_report)

    def choose_and_start_ceremony(self, rehearsal: bool) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self.shell.widget, "Ceremony plan", "", "Plan (*.toml)"
        )
        if chosen:
            self.start_ceremony(Path(chosen), rehearsal)

    def start_ceremony(self, plan_path: Path, rehearsal: bool) -> None:
        """Start the run on the CA worker, then open the wizard on it. A key-use plan (signing an
        intermediate, re-signing CRLs) gets its own pages; it is checked against the workspace
        before anything is recorded."""
        try:
            text = plan_path.read_text(encoding="utf-8")
            key_use = keyuse_plan.kind_of(text) in {k.value for k in keyuse_plan.KeyUseKind}
            if key_use:
                self._start_key_use(keyuse_plan.parse(text, plan_path.name), rehearsal)
            else:
                self._start_root(ceremony_plan.parse(text, plan_path.name), rehearsal)
        except (OSError, UnicodeDecodeError) as exc:
            show_error(self.shell.widget, PkiError(f"Cannot read the plan {plan_path}: {exc}."))
        except PkiError as exc:
            show_error(self.shell.widget, exc)

    def _start_root(self, plan: ceremony_plan.CeremonyPlan, rehearsal: bool) -> None:
        def operation(ws: Workspace, _progress: Progress) -> CeremonyRun:
            return CeremonyRun.start(ws, plan, rehearsal)

        def started(run: CeremonyRun) -> None:
            self._open_wizard(
                CeremonyWizard(
                    run,
                    self.shell.worker,
                    self.shell.widget,
                    lambda: FinishPage(run, self.shell.worker, run.finish, describe_root),
                )
            )

        self.shell.go_to("Ceremonies")
        self.shell.worker.submit(operation, started, self.shell.show_failure)

    def _start_key_use(self, plan: keyuse_plan.KeyUsePlan, rehearsal: bool) -> None:
        if rehearsal:
            raise PkiError(
                "Rehearsal is for root key ceremonies; rehearse a key-use ceremony with a test hierarchy."
            )

        def operation(ws: Workspace, _progress: Progress) -> KeyUseRun:
            return KeyUseRun.start(ws, plan, keyuse_tasks.for_plan(ws, plan))

        def started(run: KeyUseRun) -> None:
            self._open_wizard(
                CeremonyWizard(
                    run,
                    self.shell.worker,
                    self.shell.widget,
                    lambda: FinishPage(
                        run,
                        self.shell.worker,
                        run.finish,
                        describe_result,
                        "Stored; report written",
                    ),
                    KEY_USE_PAGES,
                )
            )

        self.shell.go_to("Ceremonies")
        self.shell.worker.submit(operation, started, self.shell.show_failure)

    def _open_wizard(self, wizard: CeremonyWizard) -> None:
        # A ceremony can create a CA, sign certificates and CRLs: everything may have changed.
        wizard.finished.connect(lambda _code: self.shell.refresh(EVERYTHING))
        self.ceremony_wizard = wizard
        wizard.open()

    def open_plan_form(self) -> PlanFormDialog:
        form = PlanFormDialog(self.shell.widget)
        form.open()
        return form

    def verify_report(self, folder: str) -> None:
        def operation(ws: Workspace, _progress: Progress) -> ReportVerdict:
            if (Path(folder) / keyuse_report.SIGNER_FILE).exists():
                verdict = keyuse_report.verify(Path(folder))
            else:
                verdict = ceremony_report.verify(Path(folder))
            problem = ceremony_store.report_problem(ws.db, Path(folder))
            if problem is None:
                return verdict
            return dataclasses.replace(verdict, ok=False, problems=(*verdict.problems, problem))

        def done(result: ReportVerdict) -> None:
            if result.ok:
                text = f"✔ The report verifies ({len(result.checks)} checks). Signing certificate SHA-256 {result.root_sha256}"
            else:
                text = "✘ The report does NOT verify: " + "; ".join(result.problems)
            self.page.verdict.setText(text)

        self.shell.worker.submit(operation, done, self.shell.show_failure)
