"""Checking photos from the app: a batch of files and folders through the core's batch loop
(`sharesafe.jobs.check_many`, in a worker), each photo's check arriving in the photo list as it is done."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoGroup, QUndoStack

from desktop import tasks
from desktop.batchbar import Batch, BatchBar
from desktop.models import PhotoListModel
from desktop.tasks import CheckedPhoto, Found
from desktop.workers import Job, Runner
from sharesafe.detector import Detector
from sharesafe.policy import Profile
from sharesafe.redact import Style

log = logging.getLogger(__name__)


class Checker(QObject):
    """Adds photos to the list and checks them; reports each check and the end of the batch."""

    found = Signal(object)  # Batch: its photos are in the list, waiting to be checked
    checked = Signal(object)  # PhotoEntry whose check just arrived
    finished = Signal(object)  # Batch, ran to the end or cancelled
    failed = Signal(str)

    def __init__(self, photos: PhotoListModel, undo_group: QUndoGroup, runner: Runner, bar: BatchBar) -> None:
        super().__init__(photos)
        self.photos, self.undo_group, self.runner, self.bar = photos, undo_group, runner, bar
        self.style = Style.FILL

    def check(
        self,
        inputs: Sequence[Path],
        recursive: bool,
        exclude: Sequence[Path],
        detectors: Sequence[Detector],
        profile: Profile,
    ) -> Batch:
        dets, paths, skip = list(detectors), list(inputs), list(exclude)
        job = Job(
            lambda ctx: tasks.check_photos(ctx, paths, recursive, skip, dets, profile), "Checking photos"
        )
        batch = Batch(job, from_folder=any(p.is_dir() for p in inputs))
        job.signals.item.connect(lambda item, b=batch: self._item(b, item))
        job.signals.progress.connect(lambda d, t, _n, b=batch: self.bar.step(b, d, t))
        job.signals.error.connect(self.failed)
        job.signals.finished.connect(lambda _ok, b=batch: self._finished(b))
        self.bar.batch = batch  # Cancel works from the start
        self.runner.start(job)
        return batch

    def _item(self, batch: Batch, item: Found | CheckedPhoto) -> None:
        if isinstance(item, Found):
            batch.skipped = item.skipped
            for path, reason in item.skipped:
                log.info("skipped %s: %s", path, reason)
            batch.fresh = self.photos.add_paths(item.paths)
            batch.entries = [e for e in map(self.photos.entry_for, item.paths) if e is not None]
            self.bar.start(batch, len(item.paths))
            self.found.emit(batch)
            return
        entry = self.photos.entry_for(item.path)
        if entry is None or (entry.result is not None and entry.result.sha256 == item.checked.scan.sha256):
            return  # gone, or already checked (opened twice)
        entry.checked, entry.thumb, entry.note = item.checked, item.thumb, ""
        entry.review, entry.copy = None, None
        if entry.undo is None:
            entry.undo = QUndoStack(self.undo_group)
        entry.undo.clear()
        entry.ensure_review(self.style)
        self.photos.refresh(entry)
        self.checked.emit(entry)

    def _finished(self, batch: Batch) -> None:
        for e in batch.entries:
            if e.result is None:
                e.note = "not checked (cancelled)"
                self.photos.refresh(e)
        self.bar.finish(batch)
        self.finished.emit(batch)

    @staticmethod
    def status_line(batch: Batch) -> str:
        checked = sum(1 for e in batch.entries if e.result)
        reasons = sorted({reason.split(" (")[0] for _p, reason in batch.skipped})
        note = f"; {len(batch.skipped)} file(s) skipped ({', '.join(reasons)})" if batch.skipped else ""
        verb = "Cancelled after" if batch.cancelled else "Finished"
        return f"{verb} checking {checked} photo(s){note}"
