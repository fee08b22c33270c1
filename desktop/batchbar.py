"""The batch bar in the status bar: progress of the running batch, its ETA, and Cancel."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from desktop.models import PhotoEntry
from desktop.workers import Job


def format_eta(seconds: float) -> str:
    if seconds < 1:
        return "less than a second left"
    if seconds < 90:
        return f"about {seconds:.0f} s left"
    return f"about {seconds / 60:.0f} min left"


@dataclass(eq=False)
class Batch:
    """One running batch (checking photos, or making safe copies) and what it has done so far."""

    job: Job
    verb: str = "Checked"
    from_folder: bool = False
    entries: list[PhotoEntry] = field(default_factory=list)
    fresh: list[PhotoEntry] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    total: int = 0

    @property
    def cancelled(self) -> bool:
        return self.job.cancel_event.is_set()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


class BatchBar(QObject):
    """Progress, ETA and a Cancel button, shown while a batch of more than one photo runs."""

    cancelRequested = Signal()

    def __init__(self, status: QStatusBar) -> None:
        super().__init__(status)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setFormat("%v of %m")
        self.eta_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancelRequested)
        status.addPermanentWidget(self.eta_label)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.cancel_button)
        self.batch: Batch | None = None

    def start(self, batch: Batch, total: int) -> None:
        """Show the bar for `batch` (nothing shows for a single photo)."""
        self.batch = batch
        batch.total = total
        if total > 1:
            self.progress.setRange(0, total)
            self.progress.setValue(0)
            self.progress.setVisible(True)
            self.cancel_button.setVisible(True)
            self.eta_label.setText("starting...")

    def step(self, batch: Batch, done: int, total: int) -> None:
        batch.done, batch.total = done, total
        if total <= 1 or batch is not self.batch:
            return
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        eta = batch.seconds / max(done, 1) * (total - done)
        self.eta_label.setText(f"{batch.verb} {done} of {total} - {format_eta(eta)}")

    def cancel(self) -> None:
        if self.batch is not None:
            self.batch.job.cancel()
            self.eta_label.setText("Cancelling...")

    def finish(self, batch: Batch) -> None:
        if batch is self.batch:
            self.batch = None
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)
            self.eta_label.setText("")
