"""What the Profiles section does on the CA worker: import, export and remove profiles (audited)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from pkiadmin.core.issuance import profiles
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.cert_profiles import CertProfile
from pkiadmin.gui.pages.profiles import ProfilesPage
from pkiadmin.gui.shell import AUDIT_ONLY, Changes, Shell
from pkiadmin.gui.worker import Progress


class ProfileOperations:
    def __init__(self, shell: Shell, page: ProfilesPage) -> None:
        self.shell = shell
        self.page = page
        page.import_requested.connect(self.choose_and_import)
        page.export_requested.connect(self.choose_and_export)
        page.remove_requested.connect(self.confirm_and_remove)

    def choose_and_import(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self.shell.widget, "Import a profile", "", "Profile (*.toml)"
        )
        if chosen:
            self.import_file(Path(chosen))

    def import_file(self, path: Path) -> None:
        def operation(ws: Workspace, _progress: Progress) -> CertProfile:
            return profiles.import_profile(ws, path)

        def done(found: CertProfile) -> None:
            self.shell.status(f"Imported the profile {found.name}.")
            self.shell.refresh(Changes(profiles=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def choose_and_export(self, name: str) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self.shell.widget,
            f"Export the profile {name}",
            str(self.shell.workspace_path / "exports" / f"{name}.toml"),
            "Profile (*.toml)",
        )
        if chosen:
            self.export_file(name, Path(chosen))

    def export_file(self, name: str, path: Path) -> None:
        def operation(ws: Workspace, _progress: Progress) -> Path:
            return profiles.export(ws, name, path)

        def done(written: Path) -> None:
            self.shell.status(f"Wrote {written}")
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def confirm_and_remove(self, name: str) -> None:
        answer = QMessageBox.question(
            self.shell.widget,
            "Remove profile",
            f"Remove the profile '{name}'? Certificates issued under it keep its name.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(name)

    def remove(self, name: str) -> None:
        def operation(ws: Workspace, _progress: Progress) -> None:
            profiles.remove(ws, name)

        def done(_nothing: None) -> None:
            self.shell.status(f"Removed the profile {name}.")
            self.shell.refresh(Changes(profiles=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)
