"""Background work: every scan, export, image decode and detector load runs here, never on the GUI thread.

A `Job` is a QRunnable wrapping a plain function. The function gets a `JobContext` with a cancel flag
and `progress()`/`emit()` helpers; the job turns its return value, progress and any exception into Qt
signals (`result`, `progress`, `item`, `error`, `finished`), which arrive queued on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class JobSignals(QObject):
    result = Signal(object)  # the function's return value
    item = Signal(object)  # one piece of streamed output (e.g. one scan result)
    progress = Signal(int, int, str)  # done, total, what just finished
    error = Signal(str)  # a readable message (the traceback goes to the log)
    finished = Signal(bool)  # True when the job ran to the end, False when cancelled or failed


class JobContext:
    """What a job function may use to report and to notice cancellation."""

    def __init__(self, signals: JobSignals, cancel: threading.Event) -> None:
        self._signals = signals
        self.cancel = cancel

    def is_set(self) -> bool:  # so a context can be passed as a pipeline cancel flag
        return self.cancel.is_set()

    def progress(self, done: int, total: int, label: str = "") -> None:
        self._signals.progress.emit(done, total, label)

    def emit(self, value: object) -> None:
        self._signals.item.emit(value)


class Job(QRunnable):
    def __init__(self, fn: Callable[[JobContext], Any], name: str = "job") -> None:
        super().__init__()
        self.setAutoDelete(False)  # the Python side keeps it until `finished`
        self.fn = fn
        self.name = name
        self.signals = JobSignals()
        self.cancel_event = threading.Event()
        self.started_at = 0.0

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        self.started_at = time.monotonic()
        ctx = JobContext(self.signals, self.cancel_event)
        ok = False
        try:
            value = self.fn(ctx)
            if not self.cancel_event.is_set():
                self.signals.result.emit(value)
                ok = True
        except Exception as exc:  # noqa: BLE001 - a worker error must reach the user, never vanish
            log.error("%s failed:\n%s", self.name, traceback.format_exc())
            self.signals.error.emit(f"{self.name} failed: {type(exc).__name__}: {exc}")
        finally:
            self.signals.finished.emit(ok)


class Runner(QObject):
    """Owns the thread pools and keeps every running job alive until it finishes.

    Detector work (scans, exports with a re-scan) runs one job at a time on its own pool: detectors
    are not assumed thread-safe and the machine may have few cores. Decoding images for display and
    building previews run on a second small pool so the view stays responsive during a batch.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.detector_pool = QThreadPool(self)
        self.detector_pool.setMaxThreadCount(1)
        self.view_pool = QThreadPool(self)
        self.view_pool.setMaxThreadCount(2)
        self._jobs: set[Job] = set()

    def start(self, job: Job, *, detector_work: bool = True) -> Job:
        self._jobs.add(job)
        job.signals.finished.connect(lambda _ok, j=job: self._jobs.discard(j))
        (self.detector_pool if detector_work else self.view_pool).start(job)
        return job

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def cancel_all(self) -> None:
        for job in list(self._jobs):
            job.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        a = self.detector_pool.waitForDone(msecs)
        b = self.view_pool.waitForDone(msecs)
        return a and b
