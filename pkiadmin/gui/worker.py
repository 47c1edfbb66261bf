"""The CA worker: one long-lived thread owns the workspace (SQLite connection, keys, audit log).

Every operation the GUI starts runs here, one at a time; results and failures come back to the
GUI thread through queued signals (the shape of Anki's taskman). Tests use InlineCaWorker, which
runs the same jobs synchronously.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

if TYPE_CHECKING:
    from pkiadmin.core.workspace.folder import Workspace

T = TypeVar("T")  # what an operation returns
P = TypeVar("P")  # what an operation reports while it runs (text, or a typed progress value)

Progress = Callable[[str], None]
Failure = Callable[[BaseException], None]
# What the GUI thread runs when a job reports back: the job's own callback, already bound to
# its typed value in the worker thread, so nothing is re-checked on the way.
_Delivery = Callable[[], None]


class CaWorkerApi(Protocol):
    """What views need: submit a job, learn when the worker is busy, stop at exit."""

    @property
    def busy_changed(self) -> SignalInstance: ...

    def submit(
        self,
        operation: Callable[[Workspace, Callable[[P], None]], T],
        on_success: Callable[[T], None],
        on_failure: Failure,
        on_progress: Callable[[P], None] | None = None,
    ) -> None: ...

    def shutdown(self) -> None: ...


@dataclass(frozen=True)
class _Job:
    id: int
    run: Callable[[Workspace], _Delivery]  # runs the operation; returns what the GUI then does


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from the worker thread are queued to it."""

    done = Signal(int, object)  # job id, _Delivery
    progress = Signal(int, object)  # job id, _Delivery


def _bind(
    operation: Callable[[Workspace, Callable[[P], None]], T],
    on_success: Callable[[T], None],
    on_failure: Failure,
    report: Callable[[P], None],
) -> Callable[[Workspace], _Delivery]:
    def run(ws: Workspace) -> _Delivery:
        try:
            result = operation(ws, report)
        except Exception as exc:  # noqa: BLE001 - forwarded to the GUI thread, never swallowed
            error = exc  # `exc` itself is unbound when the except block ends
            return lambda: on_failure(error)
        return lambda: on_success(result)

    return run


class CaWorker(QObject):
    """The real worker thread."""

    busy_changed = Signal(bool)

    def __init__(self, workspace_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = workspace_path
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._failures: dict[int, Failure] = {}
        self._relay = _Relay()
        self._relay.done.connect(self._on_done)
        self._relay.progress.connect(self._on_progress)
        self._thread = threading.Thread(target=self._run, name="pkiadmin-ca-worker", daemon=True)
        # Started on the event loop's first turn, once the window is shown: opening the workspace
        # (and importing what that needs) would otherwise hold the interpreter lock while the
        # window is built. Jobs submitted until then wait in the queue.
        self._closed = False
        QTimer.singleShot(0, self, self._start)

    def _start(self) -> None:
        if not self._closed and not self._thread.is_alive():
            self._thread.start()

    def submit(
        self,
        operation: Callable[[Workspace, Callable[[P], None]], T],
        on_success: Callable[[T], None],
        on_failure: Failure,
        on_progress: Callable[[P], None] | None = None,
    ) -> None:
        job_id = next(self._ids)

        def report(value: P) -> None:
            if on_progress is not None:
                self._relay.progress.emit(job_id, lambda: on_progress(value))

        if not self._failures:
            self.busy_changed.emit(True)
        self._failures[job_id] = on_failure
        self._jobs.put(_Job(job_id, _bind(operation, on_success, on_failure, report)))

    def shutdown(self) -> None:
        """Finish the running job, close the workspace and end the thread."""
        self._closed = True
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _run(self) -> None:
        from pkiadmin.core.workspace import folder as workspace  # here, not before the window

        ws: Workspace | None = None
        open_error: BaseException | None = None
        try:
            ws = workspace.open_or_create(self._path)
        except Exception as exc:  # noqa: BLE001 - reported to the GUI with every job below
            open_error = exc
        try:
            while (job := self._jobs.get()) is not None:
                if ws is None:
                    failure = self._failures[job.id]
                    error = open_error or RuntimeError("workspace not open")
                    self._relay.done.emit(job.id, lambda f=failure, e=error: f(e))
                    continue
                self._relay.done.emit(job.id, job.run(ws))
        finally:
            if ws is not None:
                ws.close()

    def _on_done(self, job_id: int, deliver: _Delivery) -> None:
        del self._failures[job_id]
        if not self._failures:
            self.busy_changed.emit(False)
        deliver()

    def _on_progress(self, job_id: int, deliver: _Delivery) -> None:
        if job_id in self._failures:  # a late report after the job finished is dropped
            deliver()


class InlineCaWorker(QObject):
    """Runs each job at once in the calling thread (tests, like Picard's FakeThreadPool)."""

    busy_changed = Signal(bool)

    def __init__(self, workspace_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from pkiadmin.core.workspace import folder as workspace

        self._ws: Workspace | None = None
        self._open_error: Exception | None = None
        try:
            self._ws = workspace.open_or_create(workspace_path)
        except Exception as exc:  # noqa: BLE001 - reported with every job, as the real worker does
            self._open_error = exc

    def submit(
        self,
        operation: Callable[[Workspace, Callable[[P], None]], T],
        on_success: Callable[[T], None],
        on_failure: Failure,
        on_progress: Callable[[P], None] | None = None,
    ) -> None:
        if self._ws is None:
            on_failure(self._open_error or RuntimeError("workspace not open"))
            return

        def report(value: P) -> None:
            if on_progress is not None:
                on_progress(value)

        self.busy_changed.emit(True)
        deliver = _bind(operation, on_success, on_failure, report)(self._ws)
        self.busy_changed.emit(False)
        deliver()

    def shutdown(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
