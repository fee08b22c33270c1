"""Making safe copies from the app: the current photo, its metadata only, or every checked photo.

The copies are made by the core flow (`sharesafe.jobs.make_many`, in a worker): verified and recorded,
or kept as NOT SAFE. A photo the policy says not to share at all ("Do not share": covering cannot fix
it) is written only when the user confirms, and its audit record then says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from desktop import tasks
from desktop.batchbar import Batch, BatchBar
from desktop.models import PhotoEntry
from desktop.settings import Settings
from desktop.tasks import CopiesMade
from desktop.workers import Job, Runner
from sharesafe.detector import Detector
from sharesafe.jobs import ExportOptions, default_out_dir
from sharesafe.jobs import Job as CopyJob
from sharesafe.redact import Style
from sharesafe.review import Review

Item = tuple[PhotoEntry, Review, ExportOptions]


class Exporter(QObject):
    """Starts "make safe" batches and reports them (`finished`: the entries and what was made)."""

    finished = Signal(list, object)  # list[PhotoEntry], CopiesMade
    failed = Signal(str)
    status = Signal(str)

    def __init__(self, window: QWidget, settings: Settings, runner: Runner, bar: BatchBar) -> None:
        super().__init__(window)
        self.window, self.settings, self.runner, self.bar = window, settings, runner, bar

    def output_dir_for(self, entry: PhotoEntry) -> Path:
        return self.settings.output_dir or default_out_dir(entry.path)

    def choose_output_dir(self) -> None:
        current = str(self.settings.output_dir or "")
        folder = QFileDialog.getExistingDirectory(self.window, "Where safe copies go", current)
        if folder:
            self.settings.output_dir = Path(folder)
            self.status.emit(f"Safe copies go to {folder}")

    def confirm_override(self, entries: Sequence[PhotoEntry]) -> bool:
        """Ask before writing copies of photos the policy says not to share (covering cannot fix them)."""
        why = "\n".join(f"- {e.path.name}: {e.checked.blocked_because}" for e in entries if e.checked)
        answer = QMessageBox.question(
            self.window,
            "Do not share",
            f"Your policy says {len(entries)} photo(s) should not be shared at all; covering cannot fix "
            f"them:\n{why}\n\nWrite a copy anyway? The audit record will say that you chose to.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def make_safe(self, entry: PhotoEntry, detectors: Sequence[Detector]) -> None:
        if entry.review is not None and entry.checked is not None:
            self.start([(entry, entry.review, ExportOptions(style=entry.review.style))], detectors)

    def strip_only(self, entry: PhotoEntry, detectors: Sequence[Detector]) -> None:
        if entry.review is None or entry.checked is None or not entry.checked.ok:
            return
        covered = entry.review.covered_findings + entry.review.manual_findings
        if covered:
            answer = QMessageBox.question(
                self.window,
                "Strip metadata only?",
                f"{len(covered)} region(s) are ticked to be covered. "
                "Strip metadata only and leave them visible?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        review = entry.review.copy()
        review.leave_all()  # recorded as left by the user's choice
        self.start([(entry, review, ExportOptions(metadata_only=True))], detectors)

    def make_all(self, entries: Sequence[PhotoEntry], style: Style, detectors: Sequence[Detector]) -> None:
        items: list[Item] = []
        for e in entries:
            review = e.ensure_review(style)
            if review is not None:
                items.append((e, review, ExportOptions(style=review.style)))
        if items:
            self.start(items, detectors)

    def start(self, items: list[Item], detectors: Sequence[Detector]) -> None:
        blocked = [e for e, _r, _o in items if e.checked is not None and e.checked.blocked]
        force = bool(blocked) and self.confirm_override(blocked)
        entries = [e for e, _r, _o in items if e.checked is not None]
        jobs = [
            CopyJob(e.checked, r, self.output_dir_for(e), o, force=force)
            for e, r, o in items
            if e.checked is not None
        ]
        dets = list(detectors)
        job = Job(lambda ctx: tasks.make_copies(ctx, jobs, dets), "Making safe copies")
        batch = Batch(job, verb="Made")
        self.bar.start(batch, len(jobs))
        self.status.emit("Writing and verifying the safe copy...")
        job.signals.progress.connect(lambda d, t, _n, b=batch: self.bar.step(b, d, t))
        job.signals.result.connect(lambda done: self._done(entries, done))
        job.signals.error.connect(self.failed)
        job.signals.finished.connect(lambda _ok, b=batch: self.bar.finish(b))
        self.runner.start(job)

    def _done(self, entries: list[PhotoEntry], done: CopiesMade) -> None:
        for entry, copy in zip(entries, done.copies, strict=False):
            entry.copy = copy
        ok = sum(1 for c in done.copies if c.ok)
        self.status.emit(f"{ok} of {len(done.copies)} safe copies written and verified")
        self.finished.emit(entries, done)
