"""Asking for what unlocks a CA key: its passphrase, its token's PIN, or a quorum of shares."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QInputDialog, QLineEdit

from pkiadmin.gui.dialogs.share_inputs import SharesDialog
from pkiadmin.gui.shell import Shell


def ask_unlock(shell: Shell, ca_id: int, title: str) -> tuple[str | None, list[str] | None] | None:
    """(passphrase or PIN, None) or (None, share words); None when the person cancelled."""
    data = shell.current_overview()
    authority = next((a for a in data.authorities if a.id == ca_id), None) if data else None
    if authority is not None and authority.needs_shares:
        dialog = SharesDialog(
            authority.name,
            title,
            data.custodians.get(authority.id, ()) if data else (),
            "",
            shell.widget,
        )
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return None, dialog.shares()
        return None
    label = (
        "PIN of the CA's token:"
        if authority is not None and authority.on_token
        else "Key passphrase:"
    )
    secret, ok = QInputDialog.getText(shell.widget, title, label, QLineEdit.EchoMode.Password)
    return (secret, None) if ok else None
