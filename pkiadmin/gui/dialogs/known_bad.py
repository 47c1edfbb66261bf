"""Tools → Known-bad keys: the blocklists of published private keys installed in this workspace
(install from a medium, remove; both audited), and a check of any certificate, CSR or public-key
file against every known-bad-key check (ROCA, Fermat, shared and small factors, blocklists)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import keycheck
from pkiadmin.gui.dialogs.tables import fill, table
from pkiadmin.gui.errors import error_label, show_in
from pkiadmin.gui.worker import CaWorkerApi, Progress


class KnownBadKeysDialog(QDialog):
    def __init__(self, worker: CaWorkerApi, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setWindowTitle("Known-bad keys")
        self.setMinimumSize(900, 560)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Every CSR and every signing is checked for keys whose private key can be computed "
            "(ROCA, Fermat-close primes, small or shared factors) or is published. Published "
            "keys are looked up in the <b>blocklists</b> below (badkeys' <tt>blocklist.dat</tt>, "
            "carried onto this machine on a medium)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.lists = table(["Blocklist", "Keys", "Lists", "SHA-256", "Installed"], "blocklists")
        layout.addWidget(self.lists)
        row = QHBoxLayout()
        self.install_button = QPushButton("&Install a blocklist…")
        self.install_button.clicked.connect(self.choose_and_install)
        self.remove_button = QPushButton("&Remove the selected blocklist")
        self.remove_button.clicked.connect(self.confirm_and_remove)
        self.check_button = QPushButton("&Check a file…")
        self.check_button.clicked.connect(self.choose_and_check)
        for button in (self.install_button, self.remove_button, self.check_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.results = QPlainTextEdit(readOnly=True)
        self.results.setObjectName("keyCheckResults")
        self.results.setPlaceholderText("What Check a file… found is shown here.")
        layout.addWidget(self.results)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.installed: list[blocklists.Installed] = []

    def refresh(self) -> None:
        def operation(ws: Workspace, _p: Progress) -> list[blocklists.Installed]:
            return blocklists.recorded(ws)

        self.worker.submit(operation, self._show, self._failed)

    def _show(self, items: list[blocklists.Installed]) -> None:
        self.installed = items
        fill(
            self.lists,
            [
                [
                    i.name,
                    f"{i.entries:,}",
                    ", ".join(sorted(set(i.lists.values()))) or "—",
                    i.sha256[:16] + "…",
                    i.installed_at,
                ]
                for i in items
            ],
        )
        self.remove_button.setEnabled(bool(items))

    def choose_and_install(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Install a blocklist", "", "badkeys blocklist (*.dat *.xz);;All files (*)"
        )
        if not chosen:
            return
        metadata, _ = QFileDialog.getOpenFileName(
            self,
            "Its badkeysdata.json (Cancel if you have none: the hash is then not checked)",
            str(Path(chosen).parent),
            "badkeys metadata (*.json)",
        )
        self.install(Path(chosen), Path(metadata) if metadata else None)

    def install(self, path: Path, metadata: Path | None) -> None:
        self.error.hide()

        def operation(ws: Workspace, _p: Progress) -> list[blocklists.Installed]:
            blocklists.install(ws, path, metadata)
            return blocklists.recorded(ws)

        self.worker.submit(operation, self._show, self._failed)

    def confirm_and_remove(self) -> None:
        row = self.lists.currentRow()
        if not 0 <= row < len(self.installed):
            self._failed(PkiError("Select a blocklist first."))
            return
        item = self.installed[row]
        answer = QMessageBox.question(
            self,
            "Remove the blocklist",
            f"Remove {item.name}? Keys are then no longer looked up in its "
            f"{item.entries:,} published keys.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(item.sha256)

    def remove(self, sha256: str) -> None:
        self.error.hide()

        def operation(ws: Workspace, _p: Progress) -> list[blocklists.Installed]:
            blocklists.remove(ws, sha256)
            return blocklists.recorded(ws)

        self.worker.submit(operation, self._show, self._failed)

    def choose_and_check(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            "Check a certificate, CSR or public key",
            "",
            "Certificates, CSRs and keys (*.pem *.crt *.cer *.der *.csr *.req *.pub);;All files (*)",
        )
        if chosen:
            self.check(Path(chosen))

    def check(self, path: Path) -> None:
        self.error.hide()

        def operation(ws: Workspace, _p: Progress) -> str:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise PkiError(f"{path.name} cannot be read ({exc.strerror}).") from exc
            lists = blocklists.installed(ws)
            lines = []
            for verdict in keycheck.check_file(data, path.name, lists):
                said = "; ".join(str(f) for f in verdict.found)
                lines.append(
                    f"{verdict.label}: KNOWN BAD — {said}. It must never be certified."
                    if verdict.found
                    else f"{verdict.label}: no known weakness."
                )
            if not lists:
                lines.append(
                    "No blocklist is installed: published private keys were not looked up."
                )
            return f"{path.name}\n" + "\n".join(f"  {line}" for line in lines)

        self.worker.submit(operation, self.results.setPlainText, self._failed)

    def _failed(self, error: BaseException) -> None:
        show_in(self.error, self, error)
