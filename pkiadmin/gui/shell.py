"""What the GUI's operations need from the window, and what they tell it back.

Operations (gui/operations/*) run their work on the CA worker and end by saying what they
changed; the window then reloads only those views. They see the window only through the Shell
protocol, so nothing but the app imports main_window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QWidget

from pkiadmin.gui.worker import CaWorkerApi

if TYPE_CHECKING:
    from pkiadmin.core import overview


@dataclass(frozen=True)
class Changes:
    """The areas of the workspace an operation changed (its audit entry is always a change)."""

    certificates: bool = False
    authorities: bool = False
    requests: bool = False
    revocation: bool = False
    partners: bool = False
    ceremonies: bool = False
    profiles: bool = False

    def areas(self) -> tuple[str, ...]:
        """The names of overview.AREAS that changed."""
        return tuple(f.name for f in fields(self) if bool(getattr(self, f.name)))


EVERYTHING = Changes(
    certificates=True,
    authorities=True,
    requests=True,
    revocation=True,
    partners=True,
    ceremonies=True,
    profiles=True,
)
AUDIT_ONLY = Changes()  # an export or a check: only the audit log has a new entry


class Shell(Protocol):
    """The window as operations see it."""

    @property
    def worker(self) -> CaWorkerApi: ...

    @property
    def workspace_path(self) -> Path: ...

    @property
    def widget(self) -> QWidget:
        """The parent of the dialogs an operation opens."""
        ...

    def status(self, text: str, timeout_ms: int = 10_000) -> None: ...

    def refresh(
        self, changes: Changes = EVERYTHING, then: Callable[[], None] | None = None
    ) -> None:
        """Reload the views `changes` touches (never writing); `then` runs once they show it."""
        ...

    def show_failure(self, error: BaseException) -> None: ...

    def clock(self) -> datetime: ...

    def current_overview(self) -> overview.Overview | None: ...

    def go_to(self, section: str) -> None: ...
