"""What the Certificates section does on the CA worker: bulk import with progress and cancel,
export of the current view (CSV/JSON), and editing a certificate's metadata."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
)

from pkiadmin.core.exchange import partners
from pkiadmin.core.inventory import compliance, export, metadata, query, view_export
from pkiadmin.core.inventory import importer as bulk_import
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.inventory.certrecord import CertRecord
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import describe as certinfo
from pkiadmin.core.x509.describe import CertDetails
from pkiadmin.gui.dialogs.metadata import MetadataDialog
from pkiadmin.gui.errors import show_message
from pkiadmin.gui.pages.cert_details import DetailsExtra
from pkiadmin.gui.pages.certificates import CertificatesPage
from pkiadmin.gui.shell import AUDIT_ONLY, Changes, Shell
from pkiadmin.gui.worker import Progress


def summary_text(summary: bulk_import.ImportSummary) -> str:
    lines = [
        f"{summary.files} file(s): {summary.imported} certificate(s) imported, "
        f"{summary.duplicates} already in the inventory, {len(summary.refused)} file(s) refused."
    ]
    if summary.cancelled:
        lines.append(
            "The import was cancelled; the file being read when you cancelled was left out whole."
        )
    lines += [f"• {Path(name).name}: {reason}" for name, reason in summary.refused[:50]]
    if len(summary.refused) > 50:
        lines.append(
            f"… and {len(summary.refused) - 50} more (see pkiadmin-cli cert import --json)."
        )
    return "\n".join(lines)


class InventoryOperations:
    def __init__(self, shell: Shell, page: CertificatesPage) -> None:
        self.shell = shell
        self.page = page
        self.progress: QProgressDialog | None = None
        self.metadata_dialog: MetadataDialog | None = None
        self.last_summary: bulk_import.ImportSummary | None = None
        page.details_requested.connect(self.load_details)
        page.import_requested.connect(self.choose_and_import)
        page.export_view_requested.connect(self.choose_and_export_view)
        page.edit_metadata_requested.connect(self.open_metadata_dialog)

    # --- one certificate -----------------------------------------------------------------

    def load_details(self, cert_id: int) -> None:
        now = self.shell.clock()

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

        def done(result: tuple[CertDetails, DetailsExtra]) -> None:
            self.page.show_details(cert_id, result[0], result[1])

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def export_selected(self, path: Path | None = None) -> None:
        record = self.page.selected_record()
        if record is None:
            QMessageBox.information(
                self.shell.widget,
                "Export certificate",
                "Select a certificate in Certificates first.",
            )
            return
        if path is None:
            chosen, _filter = QFileDialog.getSaveFileName(
                self.shell.widget,
                "Export certificate",
                str(
                    self.shell.workspace_path
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
        cert_id, target = record.id, path

        def operation(ws: Workspace, _progress: Progress) -> export.ExportResult:
            return export.export_certificate(ws, cert_id, fmt, target)

        def done(result: export.ExportResult) -> None:
            self.shell.status(f"Wrote {result.path}")
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def export_bundle_selected(self, folder: Path | None = None) -> None:
        """What a TLS service deploys (cert.pem, chain.pem, fullchain.pem, cert.p7b, trust.pem),
        into a new or empty folder."""
        record = self.page.selected_record()
        if record is None:
            QMessageBox.information(
                self.shell.widget,
                "Export for a TLS service",
                "Select a service certificate in Certificates first.",
            )
            return
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self.shell.widget,
                f"An empty folder for {record.common_name}'s files",
                str(self.shell.workspace_path / "exports"),
            )
            if not chosen:
                return
            folder = Path(chosen)
        cert_id, target = record.id, folder

        def operation(ws: Workspace, _progress: Progress) -> export.BundleExport:
            return export.export_bundle(ws, cert_id, target)

        def done(result: export.BundleExport) -> None:
            self.shell.status(f"Wrote {', '.join(result.files)} to {result.folder}")
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    # --- import ----------------------------------------------------------------------------

    def choose_and_import(self) -> None:
        box = QMessageBox(self.shell.widget)
        box.setWindowTitle("Import certificates")
        box.setText(
            "Import certificate files, or every certificate file in a folder (recursively)?"
        )
        files = box.addButton("&Files…", QMessageBox.ButtonRole.AcceptRole)
        folder = box.addButton("F&older…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        paths: list[Path] = []
        if box.clickedButton() is files:
            chosen, _ = QFileDialog.getOpenFileNames(
                self.shell.widget,
                "Import certificates",
                "",
                "Certificates (*.pem *.crt *.cer *.der *.p7b *.p7c *.p12 *.pfx);;All files (*)",
            )
            paths = [Path(c) for c in chosen]
        elif box.clickedButton() is folder:
            chosen_dir = QFileDialog.getExistingDirectory(
                self.shell.widget, "Import every certificate in"
            )
            paths = [Path(chosen_dir)] if chosen_dir else []
        if paths:
            password = None
            if _holds_pkcs12(paths):
                text, ok = QInputDialog.getText(
                    self.shell.widget,
                    "PKCS#12 password",
                    "Password of the PKCS#12 files (leave empty if there are none):",
                    QLineEdit.EchoMode.Password,
                )
                if not ok:
                    return
                password = text or None
            self.import_paths(paths, password)

    def import_paths(self, paths: list[Path], password: str | None = None) -> None:
        cancel = threading.Event()
        dialog = QProgressDialog("Reading the files…", "&Cancel", 0, 0, self.shell.widget)
        dialog.setWindowTitle("Import certificates")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(cancel.set)
        self.progress = dialog

        def operation(
            ws: Workspace, progress: Callable[[bulk_import.ImportProgress], None]
        ) -> bulk_import.ImportSummary:
            return bulk_import.import_paths(ws, paths, password, progress, cancel.is_set)

        def on_progress(p: bulk_import.ImportProgress) -> None:
            dialog.setMaximum(1000)
            dialog.setValue(round(1000 * p.fraction))
            of = f" of {p.expected:,}" if p.expected else ""
            dialog.setLabelText(
                f"File {p.file_number} of {p.file_count}: {Path(p.path).name}\n"
                f"{p.certificates:,}{of} certificate(s) stored from it"
            )

        def done(result: bulk_import.ImportSummary) -> None:
            dialog.close()
            self.last_summary = result
            self.shell.status(summary_text(result).splitlines()[0], 15_000)
            self.shell.refresh(Changes(certificates=True))
            if result.refused or result.cancelled:
                show_message(self.shell.widget, "Import certificates", summary_text(result))

        def failed(error: BaseException) -> None:
            dialog.close()
            self.shell.show_failure(error)

        dialog.show()
        self.shell.worker.submit(operation, done, failed, on_progress)

    # --- export of the view ---------------------------------------------------------------

    def choose_and_export_view(self) -> None:
        chosen, kind = QFileDialog.getSaveFileName(
            self.shell.widget,
            "Export this view",
            str(self.shell.workspace_path / "exports" / "certificates.csv"),
            "CSV (*.csv);;JSON (*.json)",
        )
        if chosen:
            path = Path(chosen)
            fmt = (
                view_export.ViewFormat.JSON
                if path.suffix.lower() == ".json" or "JSON" in kind
                else view_export.ViewFormat.CSV
            )
            self.export_view(self.page.model.current_filter, fmt, path)

    def export_view(self, f: query.Filter, fmt: view_export.ViewFormat, path: Path) -> None:
        now = self.page.model.clock()

        def operation(ws: Workspace, progress: Progress) -> view_export.ViewExport:
            progress(f"Writing {path.name}")
            return view_export.export_view(ws, f, fmt, path, now)

        def done(result: view_export.ViewExport) -> None:
            self.shell.status(f"Wrote {result.rows:,} certificate(s) to {result.path}", 15_000)
            self.shell.refresh(AUDIT_ONLY)

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    # --- metadata ---------------------------------------------------------------------------

    def open_metadata_dialog(self, cert_id: int) -> MetadataDialog | None:
        record = self.page.selected_record()
        if record is None or record.id != cert_id:
            return None
        data = self.shell.current_overview()
        partners = data.partners if data else ()
        dialog = MetadataDialog(record, [p.name for p in partners], self.shell.widget)
        current = next((p.name for p in partners if p.id == record.partner_id), "")
        dialog.select_partner(current)
        dialog.accepted.connect(lambda: self.save_metadata(cert_id, dialog.change()))
        self.metadata_dialog = dialog
        dialog.open()
        return dialog

    def save_metadata(self, cert_id: int, change: metadata.MetadataChange) -> None:
        def operation(ws: Workspace, _progress: Progress) -> CertRecord:
            return metadata.set_metadata(ws, cert_id, change)

        def done(result: CertRecord) -> None:
            self.shell.status(f"Saved the metadata of certificate {result.id}.", 10_000)
            self.shell.refresh(Changes(certificates=True))
            self.load_details(result.id)

        self.shell.worker.submit(operation, done, self.shell.show_failure)


def _holds_pkcs12(paths: list[Path]) -> bool:
    """Whether any file chosen (or in a folder chosen) is PKCS#12: only then is its password
    asked for."""
    suffixes = {".p12", ".pfx"}
    for path in paths:
        if path.is_dir():
            if any(p.suffix.lower() in suffixes for p in path.rglob("*") if p.is_file()):
                return True
        elif path.suffix.lower() in suffixes:
            return True
    return False
