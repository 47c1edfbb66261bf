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
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from pkiadmin.core import workspace
from pkiadmin.core.workspace import Workspace

Progress = Callable[[str], None]
Operation = Callable[[Workspace, Progress], Any]
Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class CaWorkerApi(Protocol):
    """What views need: submit a job, learn when the worker is busy, stop at exit."""

    busy_changed: Any

    def submit(
        self,
        operation: Operation,
        on_success: Success,
        on_failure: Failure,
        on_progress: Callable[[str], None] | None = None,
    ) -> None: ...

    def shutdown(self) -> None: ...


@dataclass(frozen=True)
class _Job:
    id: int
    operation: Operation


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from the worker thread are queued to it."""

    done = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, str)


class CaWorker(QObject):
    """The real worker thread."""

    busy_changed = Signal(bool)

    def __init__(self, workspace_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = workspace_path
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Success, Failure, Callable[[str], None] | None]] = {}
        self._relay = _Relay()
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)
        self._relay.progress.connect(self._on_progress)
        self._thread = threading.Thread(target=self._run, name="pkiadmin-ca-worker", daemon=True)
        self._thread.start()

    def submit(
        self,
        operation: Operation,
        on_success: Success,
        on_failure: Failure,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        job = _Job(next(self._ids), operation)
        if not self._callbacks:
            self.busy_changed.emit(True)
        self._callbacks[job.id] = (on_success, on_failure, on_progress)
        self._jobs.put(job)

    def shutdown(self) -> None:
        """Finish the running job, close the workspace and end the thread."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _run(self) -> None:
        ws: Workspace | None = None
        open_error: BaseException | None = None
        try:
            ws = workspace.open_or_create(self._path)
        except Exception as exc:  # noqa: BLE001 - reported to the GUI with every job below
            open_error = exc
        try:
            while (job := self._jobs.get()) is not None:
                if ws is None:
                    self._relay.failed.emit(job.id, open_error)
                    continue
                try:
                    result = job.operation(ws, self._progress_for(job.id))
                except Exception as exc:  # noqa: BLE001 - forwarded to the GUI thread, never swallowed
                    self._relay.failed.emit(job.id, exc)
                else:
                    self._relay.done.emit(job.id, result)
        finally:
            if ws is not None:
                ws.close()

    def _progress_for(self, job_id: int) -> Progress:
        def progress(text: str) -> None:
            self._relay.progress.emit(job_id, text)

        return progress

    def _finish(self, job_id: int) -> tuple[Success, Failure, Callable[[str], None] | None]:
        callbacks = self._callbacks.pop(job_id)
        if not self._callbacks:
            self.busy_changed.emit(False)
        return callbacks

    def _on_done(self, job_id: int, result: object) -> None:
        on_success, _failure, _progress = self._finish(job_id)
        on_success(result)

    def _on_failed(self, job_id: int, error: object) -> None:
        _success, on_failure, _progress = self._finish(job_id)
        on_failure(error if isinstance(error, BaseException) else RuntimeError(str(error)))

    def _on_progress(self, job_id: int, text: str) -> None:
        callbacks = self._callbacks.get(job_id)
        if callbacks and callbacks[2]:
            callbacks[2](text)


class InlineCaWorker(QObject):
    """Runs each job at once in the calling thread (tests, like Picard's FakeThreadPool)."""

    busy_changed = Signal(bool)

    def __init__(self, workspace_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ws: Workspace | None = None
        self._open_error: Exception | None = None
        try:
            self._ws = workspace.open_or_create(workspace_path)
        except Exception as exc:  # noqa: BLE001 - reported with every job, as the real worker does
            self._open_error = exc

    def submit(
        self,
        operation: Operation,
        on_success: Success,
        on_failure: Failure,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        if self._ws is None:
            on_failure(self._open_error or RuntimeError("workspace not open"))
            return
        self.busy_changed.emit(True)
        try:
            result = operation(self._ws, on_progress or (lambda _text: None))
        except Exception as exc:  # noqa: BLE001 - handed to the caller's failure callback
            self.busy_changed.emit(False)
            on_failure(exc)
            return
        self.busy_changed.emit(False)
        on_success(result)

    def shutdown(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
