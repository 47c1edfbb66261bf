"""One input per custodian for their SLIP-39 share: hidden while typed (a custodian may show
their own to find a wrong word), checked word by word against the SLIP-39 list and, once
complete, by the share's checksum. Used wherever shares unlock a key: the recovery test, signing,
CRLs, key-use ceremonies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.keys import shares


class ShareInputs(QWidget):
    """Rows of (custodian, hidden share input, Show, word check). `custodians`: the names the
    plan gives (or "Share 1", "Share 2" … where the workspace does not know them)."""

    def __init__(self, custodians: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(1, 1)
        self.fields: list[QLineEdit] = []
        self.checks: list[QLabel] = []
        self.show_boxes: list[QCheckBox] = []
        for name in custodians:
            self.add_row(name)

    def add_row(self, name: str) -> None:
        row = len(self.fields)
        label = QLabel(f"{name}:")
        field = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        field.setObjectName(f"share_{row + 1}")
        field.setPlaceholderText("the share's words, separated by spaces")
        field.setMinimumWidth(420)
        label.setBuddy(field)
        show = QCheckBox("Sho&w" if row == 0 else "Show")
        show.setToolTip(f"Show {name}'s words (only while {name} alone looks)")
        show.toggled.connect(
            lambda on: field.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        check = QLabel()
        check.setObjectName(f"share_check_{row + 1}")
        check.setWordWrap(True)
        field.textChanged.connect(lambda text: _show_check(check, text))
        # Each custodian's row, and under it what the check says of it.
        self.grid.addWidget(label, 2 * row, 0)
        self.grid.addWidget(field, 2 * row, 1)
        self.grid.addWidget(show, 2 * row, 2)
        self.grid.addWidget(check, 2 * row + 1, 1, 1, 2)
        self.fields.append(field)
        self.checks.append(check)
        self.show_boxes.append(show)

    def shares(self) -> list[str]:
        return [f.text() for f in self.fields if f.text().strip()]

    def clear(self) -> None:
        for field, show in zip(self.fields, self.show_boxes, strict=True):
            field.clear()
            show.setChecked(False)


def _show_check(label: QLabel, text: str) -> None:
    check = shares.check_words(text)
    label.setText(check.message)
    label.setStyleSheet(
        "color: #1b5e20;" if check.complete else ("color: #b71c1c;" if check.unknown else "")
    )


class SharesDialog(QDialog):
    """A quorum of custodians types their shares to unlock a ceremony CA's key for one named
    operation; the title and the text say which CA and what will be signed."""

    def __init__(
        self,
        ca_name: str,
        purpose: str,
        custodians: Sequence[str] = (),
        quorum: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{purpose}: custodian shares for {ca_name}")
        self.setMinimumWidth(880)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{purpose}</b> with the key of <b>{ca_name}</b>. The custodians present type "
            f"their shares{f' ({quorum})' if quorum else ''}, each in their own row; more than "
            "the quorum is fine. Each row checks the words as they are typed."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        names = list(custodians) or [f"Share {n}" for n in range(1, 4)]
        self.inputs = ShareInputs(names)
        layout.addWidget(self.inputs)
        if not custodians:
            add = QPushButton("Add a&nother share")
            add.clicked.connect(self.add_field)
            layout.addWidget(add)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def fields(self) -> list[QLineEdit]:
        return self.inputs.fields

    def add_field(self) -> None:
        self.inputs.add_row(f"Share {len(self.inputs.fields) + 1}")

    def shares(self) -> list[str]:
        return self.inputs.shares()


class KeyUnlockInputs(QWidget):
    """What unlocks the chosen CA's key, in a signing dialog: its passphrase (or its token's
    PIN) in one hidden field, or one share input per custodian for a ceremony CA."""

    def __init__(
        self, custodians: Mapping[int, Sequence[str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.custodians = custodians
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Issuer key passphrase:")
        self.secret = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.secret.setObjectName("issuerSecret")
        self.label.setBuddy(self.secret)
        self.layout_.addWidget(self.label)
        self.layout_.addWidget(self.secret)
        self.shares: ShareInputs | None = None
        self.needs_shares = False

    def set_authority(self, authority: Authority) -> None:
        if self.shares is not None:
            self.layout_.removeWidget(self.shares)
            self.shares.deleteLater()
            self.shares = None
        self.needs_shares = authority.needs_shares
        self.secret.setVisible(not authority.needs_shares)
        if authority.needs_shares:
            names = list(self.custodians.get(authority.id, ())) or [
                f"Share {n}" for n in range(1, 4)
            ]
            self.label.setText(
                f"Custodian shares for <b>{authority.name}</b> (a quorum, each in its own row):"
            )
            self.shares = ShareInputs(names)
            self.layout_.addWidget(self.shares)
        elif authority.on_token:
            self.label.setText("PIN of the issuer's token:")
        else:
            self.label.setText("Issuer key passphrase:")

    def values(self) -> tuple[str | None, list[str] | None]:
        """(passphrase or PIN, None) or (None, the shares typed)."""
        if self.needs_shares and self.shares is not None:
            return None, self.shares.shares()
        return self.secret.text(), None

    def clear(self) -> None:
        self.secret.clear()
        if self.shares is not None:
            self.shares.clear()
