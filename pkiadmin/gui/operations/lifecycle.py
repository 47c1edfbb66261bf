"""Authorities → Lifecycle: a CA's life after day one, as in the CLI (`ca renew`, `ca retire`,
`ca destroy-key`, `ca verify-destruction`): what will be signed or done is shown first, the
operator confirms, the key is unlocked (passphrase or the custodians' shares), and the result or
the reason it was refused is shown. Each runs on the CA worker and is audited by the core."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.base import fingerprint
from pkiadmin.core.issuance import ca_csr, end_entity
from pkiadmin.core.lifecycle import cross
from pkiadmin.core.lifecycle import renew as renewal
from pkiadmin.core.lifecycle import retire as retirement
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.gui.dialogs.unlock import ask_unlock
from pkiadmin.gui.errors import show_message
from pkiadmin.gui.shell import Changes, Shell
from pkiadmin.gui.worker import Progress


class ConfirmDialog(QDialog):
    """What is about to be signed or done, in full, and one explicit confirmation."""

    def __init__(self, title: str, text: str, action: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(820, 560)
        layout = QVBoxLayout(self)
        shown = QPlainTextEdit(text)
        shown.setObjectName("confirmText")
        shown.setReadOnly(True)
        layout.addWidget(shown)
        self.checked = QCheckBox("I have &read all of it")
        layout.addWidget(self.checked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.setEnabled(False)
        self.checked.toggled.connect(self.go.setEnabled)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.text = text


def confirm(shell: Shell, title: str, text: str, action: str) -> bool:
    return ConfirmDialog(title, text, action, shell.widget).exec() == QDialog.DialogCode.Accepted


class LifecycleOperations:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    def _name(self, ca_id: int) -> str:
        data = self.shell.current_overview()
        found = next((a.name for a in data.authorities if a.id == ca_id), None) if data else None
        return found or f"CA {ca_id}"

    def _confirmed_key(
        self, title: str, text: str, action: str, ca_id: int, purpose: str
    ) -> tuple[str | None, list[str] | None] | None:
        """What will be signed, confirmed as read, then what unlocks the signing CA's key; None
        (and the status says nothing was signed) when the operator stops at either."""
        unlock = (
            ask_unlock(self.shell, ca_id, purpose)
            if confirm(self.shell, title, text, action)
            else None
        )
        if unlock is None:
            self.shell.status("Nothing was signed.")
        return unlock

    # --- renewal ----------------------------------------------------------------------------

    def ask_and_renew(self, ca_id: int) -> None:
        days, ok = QInputDialog.getInt(
            self.shell.widget,
            f"Renew {self._name(ca_id)}",
            "Validity of the renewed certificate (days; same key, same subject):",
            5 * 365,
            1,
            30 * 365,
        )
        if ok:
            self.renew(ca_id, days)

    def renew(self, ca_id: int, days: int) -> None:
        def planned(ws: Workspace, _p: Progress) -> tuple[renewal.RenewalPlan, str]:
            found = renewal.plan(ws, ca_id, days)
            return found, renewal.describe(ws, found)

        self.shell.worker.submit(planned, self._renew_planned, self.shell.show_failure)

    def _renew_planned(self, result: tuple[renewal.RenewalPlan, str]) -> None:
        found, text = result
        name = self._name(found.ca_id)
        unlock = self._confirmed_key(
            f"Renew {name}", text, "Si&gn the renewed certificate", found.issuer_ca_id,
            f"Renew {name}: its issuer's key",
        )  # fmt: skip
        if unlock is None:
            return
        secret, words = unlock

        def operation(ws: Workspace, _p: Progress) -> renewal.Renewed:
            return renewal.sign(ws, found, secret, words)

        def done(result: renewal.Renewed) -> None:
            self.shell.status(
                f"Renewed {name}: certificate {result.cert_id} replaces {result.old_cert_id}, "
                f"valid until {result.certificate.not_valid_after_utc:%Y-%m-%d}."
            )
            self.shell.refresh(Changes(certificates=True, authorities=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    # --- a CSR of our CA, for a partner's cross-signature -------------------------------------

    def choose_and_make_csr(self, ca_id: int) -> None:
        name = self._name(ca_id)
        chosen, _ = QFileDialog.getSaveFileName(
            self.shell.widget,
            f"A CSR of {name}, for a partner's cross-signature",
            str(self.shell.workspace_path / "exports" / "cross-sign.csr"),
            "Certificate request (*.csr)",
        )
        if not chosen:
            return
        unlock = ask_unlock(self.shell, ca_id, f"A CSR of {name}: its key signs it")
        if unlock is not None:
            self.make_csr(ca_id, Path(chosen), *unlock)

    def make_csr(
        self, ca_id: int, out: Path, secret: str | None, words: list[str] | None = None
    ) -> None:
        def operation(ws: Workspace, _p: Progress) -> ca_csr.CaCsr:
            return ca_csr.make_csr(ws, ca_id, out, secret, words)

        def done(result: ca_csr.CaCsr) -> None:
            digest = bytes.fromhex(result.sha256)
            show_message(
                self.shell.widget,
                "CSR for a cross-signature",
                f"Wrote {result.path}: {result.request.subject.rfc4514_string()}\n"
                f"SHA-256: {fingerprint.grouped_hex(digest)}\n"
                f"PGP words: {' '.join(fingerprint.pgp_words(digest))}\n\n"
                "Read these to the partner's officer when they receive it.",
            )
            self.shell.refresh(Changes())

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    # --- cross-certifying a partner CA ------------------------------------------------------

    def ask_and_cross_sign(self, ca_id: int) -> None:
        data = self.shell.current_overview()
        trusted = [
            (c.cert_id, f"{c.partner}: {c.subject}")
            for c in (data.partner_certs if data else ())
            if c.trusted
        ]
        if not trusted:
            show_message(
                self.shell.widget,
                "Cross-certify a partner CA",
                "No partner CA is confirmed on a verification call yet: only a confirmed one "
                "can be cross-signed (Partners → Verification call…).",
            )
            return
        dialog = CrossSignDialog(self._name(ca_id), trusted, self.shell.widget)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.cross_sign(ca_id, dialog.request())

    def cross_sign(self, ca_id: int, request: cross.CrossRequest) -> None:
        def planned(ws: Workspace, _p: Progress) -> tuple[cross.CrossPlan, str]:
            found = cross.plan(ws, ca_id, request)
            return found, cross.describe(found)

        def ready(result: tuple[cross.CrossPlan, str]) -> None:
            found, text = result
            name = self._name(ca_id)
            title = f"Cross-certify under {name}"
            unlock = self._confirmed_key(title, text, "Si&gn it", ca_id, title)
            if unlock is None:
                return

            def operation(ws: Workspace, _p: Progress) -> cross.CrossCertificate:
                return cross.sign(ws, found, *unlock)

            def done(signed: cross.CrossCertificate) -> None:
                self.shell.status(
                    f"Signed cross-certificate {signed.cert_id}: "
                    f"{signed.certificate.subject.rfc4514_string()}."
                )
                self.shell.refresh(Changes(certificates=True, authorities=True))

            self.shell.worker.submit(operation, done, self.shell.show_failure)

        self.shell.worker.submit(planned, ready, self.shell.show_failure)

    # --- a service certificate's successor ----------------------------------------------------

    def choose_and_renew_certificate(self, cert_id: int) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self.shell.widget,
            f"The CSR of certificate {cert_id}'s successor (its new key)",
            "",
            "Certificate requests (*.csr *.pem *.req *.der);;All files (*)",
        )
        if chosen:
            self.renew_certificate(cert_id, Path(chosen))

    def renew_certificate(self, cert_id: int, csr_path: Path) -> None:
        def planned(ws: Workspace, _p: Progress) -> tuple[end_entity.EndEntityPlan, bytes, str]:
            data = csr_path.read_bytes()
            found = end_entity.plan_renewal(ws, cert_id, data, csr_path.name)
            return found, data, end_entity.preview(found)

        def ready(result: tuple[end_entity.EndEntityPlan, bytes, str]) -> None:
            found, data, text = result
            title = f"Renew certificate {cert_id}"
            unlock = self._confirmed_key(
                title, text, "Si&gn the successor", found.issuer_ca_id,
                f"{title}: the issuing CA's key",
            )  # fmt: skip
            if unlock is None:
                return

            def operation(ws: Workspace, _p: Progress) -> end_entity.IssuedCertificate:
                return end_entity.sign_renewal(ws, found, data, csr_path.name, *unlock)

            def done(issued: end_entity.IssuedCertificate) -> None:
                self.shell.status(
                    f"Signed certificate {issued.cert_id}, the successor of certificate {cert_id}."
                )
                self.shell.refresh(Changes(certificates=True, requests=True))

            self.shell.worker.submit(operation, done, self.shell.show_failure)

        self.shell.worker.submit(planned, ready, self.shell.show_failure)

    # --- retirement and key destruction -----------------------------------------------------

    def ask_and_retire(self, ca_id: int) -> None:
        name = self._name(ca_id)
        reason, ok = QInputDialog.getText(
            self.shell.widget,
            f"Retire {name}",
            f"Why is {name} retired? It will sign no new certificate; its CRLs go on.",
        )
        if ok:
            self.retire(ca_id, reason)

    def retire(self, ca_id: int, reason: str) -> None:
        name = self._name(ca_id)

        def operation(ws: Workspace, _p: Progress) -> object:
            return retirement.retire(ws, ca_id, reason)

        def done(until: object) -> None:
            self.shell.status(
                f"{name} is retired; nothing it signed is valid: its key can be destroyed."
                if until is None
                else f"{name} is retired. Keep publishing its CRLs until {until:%Y-%m-%d}, then "
                "destroy its key."
            )
            self.shell.refresh(Changes(authorities=True, revocation=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def ask_and_destroy_key(self, ca_id: int) -> None:
        name = self._name(ca_id)
        dialog = DestroyKeyDialog(name, self.shell.widget)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        witnesses, backups, final = dialog.values()
        unlock = ask_unlock(self.shell, ca_id, f"Destroy the key of {name}: it signs first")
        if unlock is not None:
            self.destroy_key(ca_id, unlock[0], witnesses, backups, unlock[1], final)

    def destroy_key(
        self,
        ca_id: int,
        secret: str | None,
        witnesses: list[str],
        backups: list[str],
        words: list[str] | None = None,
        final_crl: bool = False,
    ) -> None:
        name = self._name(ca_id)

        def operation(ws: Workspace, _p: Progress) -> retirement.Destruction:
            return retirement.destroy_key(ws, ca_id, secret, witnesses, backups, words, final_crl)

        def done(result: retirement.Destruction) -> None:
            lines = [
                f"The key of {name} is destroyed.",
                f"Certificate of destruction: {result.statement}",
            ]
            if result.final_crl_number is not None:
                lines.insert(0, f"Signed the final CRL {result.final_crl_number}.")
            lines += [f"Destroy by hand, before the witnesses: {b}" for b in backups]
            show_message(self.shell.widget, "Key destroyed", "\n".join(lines))
            self.shell.refresh(Changes(authorities=True, revocation=True))

        self.shell.worker.submit(operation, done, self.shell.show_failure)

    def choose_and_verify_destruction(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self.shell.widget,
            "A certificate of destruction's folder",
            str(self.shell.workspace_path / "exports" / "retired"),
        )
        if chosen:
            self.verify_destruction(Path(chosen))

    def verify_destruction(self, folder: Path) -> None:
        def operation(ws: Workspace, _p: Progress) -> str:
            return retirement.verify(folder, ws.db)

        def done(text: str) -> None:
            show_message(self.shell.widget, "Certificate of destruction", text)

        self.shell.worker.submit(operation, done, self.shell.show_failure)


class DestroyKeyDialog(QDialog):
    """Who witnesses the destruction, which backup media hold copies, and whether a final CRL
    (valid until the last certificate the CA signed expires) is signed first."""

    def __init__(self, name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Destroy the key of {name}")
        layout = QVBoxLayout(self)
        warning = QLabel(
            f"The key of <b>{name}</b> signs a certificate of destruction, then its file is "
            "overwritten and removed. This cannot be undone. Only a retired CA's key is destroyed."
        )
        warning.setWordWrap(True)
        layout.addWidget(warning)
        layout.addWidget(QLabel("Witnesses present (one a line):"))
        self.witnesses = QPlainTextEdit()
        self.witnesses.setObjectName("destroyWitnesses")
        layout.addWidget(self.witnesses)
        layout.addWidget(QLabel("Backup media holding a copy, to destroy by hand (one a line):"))
        self.backups = QPlainTextEdit()
        layout.addWidget(self.backups)
        self.final_crl = QCheckBox("Sign a &final CRL first")
        self.final_crl.setChecked(True)
        layout.addWidget(self.final_crl)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = buttons.addButton("&Destroy the key", QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.setEnabled(False)
        self.witnesses.textChanged.connect(lambda: self.go.setEnabled(bool(self.values()[0])))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> tuple[list[str], list[str], bool]:
        def lines(edit: QPlainTextEdit) -> list[str]:
            return [line.strip() for line in edit.toPlainText().splitlines() if line.strip()]

        return lines(self.witnesses), lines(self.backups), self.final_crl.isChecked()


class CrossSignDialog(QDialog):
    """Which partner CA (confirmed on a call) is cross-certified, and the namespaces it is
    trusted for: dns:NAME, ip:NETWORK/PREFIX, email:DOMAIN, uri:HOST."""

    def __init__(
        self, name: str, partner_cas: list[tuple[int, str]], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Cross-certify a partner CA under {name}")
        self.setMinimumWidth(720)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{name}</b> signs a certificate for the partner's CA, constrained to the "
            "namespaces below: relying parties who trust only our root then accept the "
            "partner's certificates inside them, and nothing outside."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.partner_ca = QComboBox()
        for cert_id, text in partner_cas:
            self.partner_ca.addItem(text, cert_id)
        self.permitted = QLineEdit(placeholderText="dns:partner.example ip:10.20.0.0/16")
        self.excluded = QLineEdit(placeholderText="optional, e.g. dns:internal.partner.example")
        self.days = QSpinBox(minimum=1, maximum=30 * 365, value=cross.DEFAULT_DAYS, suffix=" days")
        form.addRow("&Partner CA:", self.partner_ca)
        form.addRow("&Trusted for:", self.permitted)
        form.addRow("&Except:", self.excluded)
        form.addRow("&Validity:", self.days)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = buttons.addButton(
            "&Show what will be signed", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.go.setEnabled(bool(partner_cas))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def request(self) -> cross.CrossRequest:
        return cross.CrossRequest(
            int(self.partner_ca.currentData()),
            tuple(self.permitted.text().split()),
            tuple(self.excluded.text().split()),
            self.days.value(),
        )
