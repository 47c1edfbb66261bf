"""The Profiles section: the end-entity profiles (built in and imported), each one's TOML as
reviewed; import, export and remove."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pkiadmin.core.x509.cert_profiles import CertProfile
from pkiadmin.gui.models.table import (
    Column,
    RecordFilterProxy,
    RecordTableModel,
    record_table,
    selected_record,
)

PROFILE_COLUMNS: tuple[Column[CertProfile], ...] = (
    Column("Name", lambda p: p.name),
    Column("Kind", lambda p: "built in" if p.builtin else "imported"),
    Column("EKU", lambda p: ", ".join(p.ekus)),
    Column("Days", lambda p: str(p.validity_days), lambda p: p.validity_days),
    Column("Cap", lambda p: str(p.max_validity_days), lambda p: p.max_validity_days),
    Column("Names", lambda p: ", ".join(p.san_types) or "CN only"),
    Column("Description", lambda p: p.description, tooltip=lambda p: p.description),
)


class ProfilesPage(QWidget):
    import_requested = Signal()
    export_requested = Signal(str)  # profile name
    remove_requested = Signal(str)  # profile name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>End-entity profiles</h2>"), 1)
        self.import_button = QPushButton("&Import profile…")
        self.import_button.clicked.connect(self.import_requested.emit)
        self.export_button = QPushButton("E&xport…")
        self.export_button.clicked.connect(lambda: self._emit(self.export_requested))
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(lambda: self._emit(self.remove_requested))
        for button in (self.import_button, self.export_button, self.remove_button):
            top.addWidget(button)
        layout.addLayout(top)
        note = QLabel(
            "An issuing CA signs service certificates under these profiles (Requests → Sign…, "
            "<tt>pkiadmin-cli ca sign-csr --profile</tt>). A profile you import is checked strictly; "
            "built-in ones cannot be replaced."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.model: RecordTableModel[CertProfile] = RecordTableModel(PROFILE_COLUMNS, self)
        proxy = RecordFilterProxy(self)
        proxy.setSourceModel(self.model)
        self.table = record_table(proxy, "profileTable")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.text = QPlainTextEdit()
        self.text.setObjectName("profileText")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.text)
        layout.addWidget(split, 1)
        self._selection_changed()

    def set_profiles(self, found: tuple[CertProfile, ...]) -> None:
        self.model.set_records(found)

    def selected(self) -> CertProfile | None:
        return selected_record(self.table, CertProfile)

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.text.setPlainText(chosen.text if chosen else "")
        self.export_button.setEnabled(chosen is not None)
        self.remove_button.setEnabled(chosen is not None and not chosen.builtin)

    def _emit(self, signal: SignalInstance) -> None:
        chosen = self.selected()
        if chosen is not None:
            signal.emit(chosen.name)
