"""The centre of the window: the current photo large (decoded in a worker), a caption with its
verdict, and the live preview of its safe copy."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop import tasks
from desktop.imageview import ImageView
from desktop.models import PhotoEntry
from desktop.tasks import Pixels
from desktop.workers import Job, Runner


class PhotoViewer(QWidget):
    """Shows one photo: its pixels, its boxes (drawn by `on_image`), a caption, or the preview."""

    imageShown = Signal(object)  # the PhotoEntry now shown large
    previewReady = Signal()
    failed = Signal(str)

    def __init__(self, runner: Runner, on_image: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.on_image = runner, on_image
        self.view = ImageView()
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.caption)
        self.entry: PhotoEntry | None = None
        self.pixels: Pixels | None = None  # upright pixels of the photo shown (for the preview)
        self.original: QImage | None = None
        self.preview_on = False
        self._image_gen = self._preview_gen = 0

    def clear(self) -> None:
        self.entry, self.pixels, self.original = None, None, None
        self.view.clear()

    def show_entry(self, entry: PhotoEntry) -> None:
        """The photo, or why it cannot be shown; its image is decoded once."""
        self.entry = entry
        result = entry.result
        if result is None or result.error is not None:
            text = entry.summary if result is None else f"could not be checked\n\n{result.error}"
            self.caption.setText(f"{entry.path.name}: {entry.summary}")
            self.view.show_message(f"{entry.path.name}\n\n{text}")
            return
        problems = "; ".join(f"{k}: {v}" for k, v in result.detector_errors.items())
        self.caption.setText(
            f"{entry.path.name} - {result.width} x {result.height} {result.format}, {entry.badge.label}."
            + (f" Detector problems: {problems}" if problems else "")
        )
        if self.original is None:
            self._load_image(entry)
        else:
            self.on_image()

    def _load_image(self, entry: PhotoEntry) -> None:
        self._image_gen += 1
        gen, path = self._image_gen, entry.path
        job = Job(lambda _ctx: tasks.decode(path), f"Opening {path.name}")
        job.signals.result.connect(lambda r, g=gen, e=entry: self._image_loaded(g, e, r))
        job.signals.error.connect(self.failed)
        self.runner.start(job, detector_work=False)

    def _image_loaded(self, gen: int, entry: PhotoEntry, loaded: tuple[Pixels, QImage]) -> None:
        if gen != self._image_gen or entry is not self.entry:
            return
        self.pixels, self.original = loaded
        self.view.set_image(self.original)
        self.on_image()
        if self.preview_on:
            self.update_preview()
        self.imageShown.emit(entry)

    def set_preview(self, on: bool) -> None:
        self.preview_on = on
        if on:
            self.update_preview()
        elif self.original is not None:
            self.view.set_image(self.original, keep_view=True)

    def update_preview(self) -> None:
        """Show what the photo's safe copy will look like with its review as it is now (in a worker;
        the latest request wins)."""
        pixels, review = self.pixels, self.entry.review if self.entry is not None else None
        if review is None or pixels is None:
            return
        self._preview_gen += 1
        gen, regions, shape = self._preview_gen, review.regions(), review.shape
        job = Job(lambda _ctx: tasks.preview(pixels, regions, shape), "Preview")
        job.signals.result.connect(lambda img, g=gen: self._preview_done(g, img))
        job.signals.error.connect(self.failed)
        self.runner.start(job, detector_work=False)

    def _preview_done(self, gen: int, image: QImage) -> None:
        if gen == self._preview_gen and self.preview_on:
            self.view.set_image(image, keep_view=True)
            self.previewReady.emit()
