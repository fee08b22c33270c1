"""The main window: the wiring of its parts. The photo list is here; the actions and menus
(`actions`), the batch bar (`batchbar`), checking photos (`checking`), the photo shown large
(`viewer`), the review pane (`reviewpane`), making safe copies (`exporting`) and the force kit
(`kit.KitController`) are their own parts, talking through signals; what a check or an export does
is the core flow's (`sharesafe.jobs`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import (
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QUndoGroup
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from desktop import tasks, verdict
from desktop.actions import STYLE_NAMES, Actions
from desktop.batchbar import Batch, BatchBar
from desktop.checking import Checker
from desktop.dialogs import ExportDialog, SummaryDialog
from desktop.exporting import Exporter
from desktop.kit import KitController, guess_category
from desktop.models import PhotoEntry, PhotoListModel
from desktop.panels import DropZone, PhotoDelegate
from desktop.reviewpane import ReviewPane
from desktop.settings import Settings
from desktop.tasks import CopiesMade, DetectorLoader, Loaded
from desktop.viewer import PhotoViewer
from desktop.workers import Job, Runner
from sharesafe.detector import Detector
from sharesafe.jobs import default_out_dir
from sharesafe.redact import Style
from sharesafe.types import Box

log = logging.getLogger(__name__)


def default_loader() -> list[Detector]:
    from sharesafe import backends

    return backends.load()


class MainWindow(QMainWindow):
    detectorsReady = Signal(list)  # the loaded detectors
    scanned = Signal(object)  # PhotoEntry whose check just arrived
    batchFinished = Signal(bool)  # True when it ran to the end (False: cancelled)
    exportFinished = Signal(list)  # list[SafeCopy]
    kitTaught = Signal(object)  # Path of the new kit reference

    def __init__(
        self, settings: Settings | None = None, load_detectors: DetectorLoader | None = None
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self._loader = load_detectors or default_loader
        self.detectors: list[Detector] | None = None  # None while loading
        self.runner = Runner(self)
        self._queued: list[tuple[list[Path], bool]] = []
        self._current: PhotoEntry | None = None
        self.dialogs: list[QWidget] = []  # open non-modal dialogs (tests inspect the latest)
        self.errors: list[str] = []  # every worker error shown to the user
        self.setWindowTitle("ShareSafe - check a photo before you share it")
        self.setAcceptDrops(True)
        self.undo_group = QUndoGroup(self)
        self.photos = PhotoListModel(self)
        self.acts = Actions(self, self.settings.style, self.settings.profile)
        self.profile = str(self.acts.policy_combo.currentData() or verdict.default_profile())
        self.batch_bar = BatchBar(self.statusBar())
        self.detector_status = QLabel("Loading detectors...")
        self.statusBar().addPermanentWidget(self.detector_status)
        self.checker = Checker(self.photos, self.undo_group, self.runner, self.batch_bar)
        self.exporter = Exporter(self, self.settings, self.runner, self.batch_bar)
        self.kit = KitController(self, self.settings, self.runner)
        self._build_ui()
        self._wire()
        self._update_actions()
        geometry = self.settings.geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(self.fontMetrics().height() * 80, self.fontMetrics().height() * 48)

    # ------------------------------------------------------------------------------------------
    # Parts and wiring
    def _build_ui(self) -> None:
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.drop_zone = DropZone()
        self.stack.addWidget(self.drop_zone)
        self.list_view = QListView()
        self.list_view.setModel(self.photos)
        self.list_view.setItemDelegate(PhotoDelegate(self.list_view))
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setUniformItemSizes(True)
        self.viewer = PhotoViewer(self.runner, lambda: self.pane.refresh_regions())
        self.pane = ReviewPane(self.viewer.view)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for i, (part, stretch) in enumerate(((self.list_view, 2), (self.viewer, 5), (self.pane, 3))):
            self.splitter.addWidget(part)
            self.splitter.setStretchFactor(i, stretch)
        em = self.fontMetrics().height()
        self.splitter.setSizes([em * 16, em * 40, em * 26])
        self.stack.addWidget(self.splitter)
        # The parts that tests and scripts reach through the window.
        self.view, self.view_caption, self.empty_label = (
            self.viewer.view,
            self.viewer.caption,
            self.drop_zone.label,
        )
        self.findings, self.table, self.metadata = self.pane.findings, self.pane.table, self.pane.metadata
        self.reason_view, self.findings_title = self.pane.reason_view, self.pane.findings_title
        self.style_combo, self.policy_combo = self.acts.style_combo, self.acts.policy_combo
        self.imageShown, self.previewReady = self.viewer.imageShown, self.viewer.previewReady

    def _wire(self) -> None:
        a = self.acts
        slots: list[tuple[SignalInstance, Callable[..., object]]] = [
            (a.open.triggered, self.choose_files),
            (a.open_folder.triggered, self.choose_folder),
            (a.make_safe.triggered, self.make_safe),
            (a.strip.triggered, self.strip_only),
            (a.make_all.triggered, lambda: self.make_all_safe()),
            (a.output.triggered, self.exporter.choose_output_dir),
            (a.kit.triggered, self.kit.choose_dir),
            (a.quit.triggered, self.close),
            (a.undo.triggered, self.undo_group.undo),
            (a.redo.triggered, self.undo_group.redo),
            (a.draw.toggled, self.view.set_draw_mode),
            (a.delete.triggered, self.pane.delete_selected),
            (a.preview.toggled, self.viewer.set_preview),
            (a.fit.triggered, self.view.fit),
            (a.zoom_in.triggered, lambda: self.view.zoom(1.25)),
            (a.zoom_out.triggered, lambda: self.view.zoom(0.8)),
            (a.next.triggered, lambda: self._step(1)),
            (a.prev.triggered, lambda: self._step(-1)),
            (a.cancel.triggered, self.cancel_batch),
            (a.teach.triggered, self.teach_kit),
            (a.help.triggered, self.show_shortcuts),
            (self.drop_zone.open_button.clicked, a.open.trigger),
            (self.drop_zone.open_folder_button.clicked, a.open_folder.trigger),
            (self.undo_group.canUndoChanged, a.undo.setEnabled),
            (self.undo_group.canRedoChanged, a.redo.setEnabled),
            (a.style_combo.currentIndexChanged, self._style_changed),
            (a.policy_combo.currentIndexChanged, self._profile_changed),
            (self.list_view.selectionModel().currentChanged, self._current_changed),
            (self.pane.changed, self._review_changed),
            (self.pane.selectionChanged, self._update_actions),
            (self.viewer.failed, self.show_error),
            (self.batch_bar.cancelRequested, self.cancel_batch),
            (self.checker.found, self._found),
            (self.checker.checked, self._checked),
            (self.checker.finished, self._check_finished),
            (self.checker.failed, self.show_error),
            (self.exporter.finished, self._exported),
            (self.exporter.failed, self.show_error),
            (self.exporter.status, lambda text: self.statusBar().showMessage(text, 8000)),
            (self.kit.kitChosen, self.start),
            (self.kit.taught, self._taught),
            (self.kit.failed, self.show_error),
        ]
        for signal, slot in slots:
            signal.connect(slot)

    def _update_actions(self) -> None:
        entry, a = self._current, self.acts
        ready = entry is not None and entry.checked is not None and entry.checked.ok
        ready = ready and self.detectors is not None
        for act in (a.make_safe, a.strip, a.draw, a.preview):
            act.setEnabled(ready)
        a.delete.setEnabled(ready and self.view.selected_is_manual())
        a.teach.setEnabled(ready and self.view.selected() is not None and self.kit.available)
        a.kit.setVisible(self.kit.available)
        a.teach.setVisible(self.kit.available)
        checked = any(e.checked is not None and e.checked.ok for e in self.photos.entries)
        a.make_all.setEnabled(self.detectors is not None and checked)

    def shortcuts(self) -> list[tuple[str, str]]:
        return self.acts.shortcuts()

    # ------------------------------------------------------------------------------------------
    # Detectors
    def start(self) -> None:
        """Load detectors in the background (call once the window is shown)."""
        self.detector_status.setText("Loading detectors...")
        self.detectors = None
        self._update_actions()
        loader, kit_dir = self._loader, self.settings.kit_dir if self.kit.available else None
        job = Job(lambda ctx: tasks.load_detectors(ctx, loader, kit_dir), "Loading detectors")
        job.signals.progress.connect(
            lambda d, t, name: self.detector_status.setText(f"Loading detectors... ({d + 1} of {t}: {name})")
        )
        job.signals.result.connect(self._detectors_loaded)
        job.signals.error.connect(self._detectors_failed)
        self.runner.start(job)

    def _detectors_loaded(self, loaded: Loaded) -> None:
        for p in loaded.problems:
            self.show_error(p)
        self.detectors = dets = loaded.detectors
        names = ", ".join(d.name for d in dets)
        self.detector_status.setText(
            f"{len(dets)} detector(s) ready: {names}"
            if dets
            else "No detectors installed: checking metadata only"
        )
        self.detectorsReady.emit(dets)
        self._update_actions()
        queued, self._queued = self._queued, []
        for paths, recursive in queued:
            self.open_paths(paths, recursive)

    def _detectors_failed(self, message: str) -> None:
        self.show_error(message + "\nPhotos are checked for metadata only.")
        self._detectors_loaded(Loaded([], []))

    # ------------------------------------------------------------------------------------------
    # Adding photos (open, open folder, command line and drop all end in open_paths)
    def choose_files(self) -> None:
        kinds = "Photos (*.jpg *.jpeg *.png *.webp *.heic *.heif *.tif *.tiff *.avif);;All files (*)"
        files, _ = QFileDialog.getOpenFileNames(self, "Open photos", "", kinds)
        if files:
            self.open_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of photos")
        if folder:
            self.open_paths([Path(folder)])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.handle_mime(event.mimeData()):
            event.acceptProposedAction()

    def handle_mime(self, mime: QMimeData) -> bool:
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths)
        return bool(paths)

    def open_paths(self, paths: Sequence[Path | str], recursive: bool = True) -> None:
        """Check files and folders (folders recursively). Checks start once the detectors are loaded."""
        inputs = [Path(p) for p in paths]
        if not inputs:
            return
        self.stack.setCurrentIndex(1)
        if self.detectors is None:
            self.statusBar().showMessage("Photos will be checked as soon as the detectors are loaded", 5000)
            self._queued.append((inputs, recursive))
            return
        chosen_out = self.settings.output_dir
        exclude = [chosen_out] if chosen_out else [default_out_dir(i / "x") for i in inputs]
        self.checker.style = self.settings.style
        self.checker.check(inputs, recursive, exclude, self.detectors, verdict.profile(self.profile))

    def _found(self, batch: Batch) -> None:
        if not batch.entries:
            self.show_error("No photos found in what was opened.")
        if self._current is None and batch.fresh:
            self.list_view.setCurrentIndex(self.photos.index(self.photos.row_of(batch.fresh[0])))

    def _checked(self, entry: PhotoEntry) -> None:
        if entry is self._current:
            self._show_entry(entry)
        self.scanned.emit(entry)
        self._update_actions()

    def _check_finished(self, batch: Batch) -> None:
        if len(batch.entries) > 1 or batch.from_folder:
            es = batch.entries
            dlg = SummaryDialog(
                es, batch.seconds, batch.cancelled, self, on_make_all=lambda: self.make_all_safe(es)
            )
            self._show_dialog(dlg)
        self.statusBar().showMessage(Checker.status_line(batch), 8000)
        self._update_actions()
        self.batchFinished.emit(not batch.cancelled)

    def cancel_batch(self) -> None:
        self.batch_bar.cancel()

    # ------------------------------------------------------------------------------------------
    # Showing one photo
    def _current_changed(self, current: QModelIndex | QPersistentModelIndex, _previous: object) -> None:
        entry = self.photos.entries[current.row()] if current.isValid() else None
        self._current = entry
        self.viewer.clear()
        self.pane.show_entry(None, self.settings.style)
        if entry is not None:
            self._show_entry(entry)
        self._update_actions()

    def select_entry(self, entry: PhotoEntry) -> None:
        row = self.photos.row_of(entry)
        self.list_view.selectionModel().setCurrentIndex(
            self.photos.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def _step(self, delta: int) -> None:
        if self.photos.entries:
            row = self.list_view.currentIndex().row() + delta
            self.list_view.setCurrentIndex(self.photos.index(min(max(row, 0), len(self.photos.entries) - 1)))

    @property
    def current(self) -> PhotoEntry | None:
        return self._current

    def _show_entry(self, entry: PhotoEntry) -> None:
        if entry.undo is not None:
            self.undo_group.setActiveStack(entry.undo)
        self.pane.show_entry(entry, self.settings.style)
        if entry.review is not None:
            self.style_combo.blockSignals(True)
            self.style_combo.setCurrentIndex(list(STYLE_NAMES).index(entry.review.style))
            self.style_combo.blockSignals(False)
        self.viewer.show_entry(entry)

    def _review_changed(self) -> None:
        if self._current is not None:
            self.photos.refresh(self._current)
            if self.viewer.preview_on:
                self.viewer.update_preview()
        self._update_actions()

    # Editing, for scripts and tests (the view and the review pane do it for the user)
    def add_region(self, box: Box) -> None:
        self.pane.add_region(box)

    def move_region(self, region_id: str, box: Box) -> None:
        self.pane.move_region(region_id, box)

    def _profile_changed(self, idx: int) -> None:
        """Judge every checked photo under the newly chosen policy (cheap: no pixels involved)."""
        self.profile = str(self.policy_combo.itemData(idx))
        self.settings.profile = self.profile
        profile = verdict.profile(self.profile)
        for e in self.photos.entries:
            e.rejudge(profile)
            self.photos.refresh(e)
        if self._current is not None:
            self._show_entry(self._current)

    def _style_changed(self, idx: int) -> None:
        style = Style(self.style_combo.itemData(idx))
        self.settings.style = style
        self.pane.set_style(style)

    # ------------------------------------------------------------------------------------------
    # Making safe copies
    def make_safe(self) -> None:
        if self._current is not None:
            self.exporter.make_safe(self._current, self.detectors or [])

    def strip_only(self) -> None:
        if self._current is not None:
            self.exporter.strip_only(self._current, self.detectors or [])

    def make_all_safe(self, entries: Sequence[PhotoEntry] | None = None) -> None:
        chosen = [e for e in (entries or self.photos.entries) if e.checked is not None and e.checked.ok]
        self.exporter.make_all(chosen, self.settings.style, self.detectors or [])

    def _exported(self, entries: list[PhotoEntry], done: CopiesMade) -> None:
        for entry in entries:
            self.photos.refresh(entry)
        if done.copies:
            first = done.copies[0].export
            out_dir = (
                first.output.parent if first and first.output else self.exporter.output_dir_for(entries[0])
            )
            problem = "; ".join(done.problems) or None
            self._show_dialog(ExportDialog(done.copies, out_dir, self, done.records, problem))
        self.exportFinished.emit(done.copies)

    # ------------------------------------------------------------------------------------------
    # Force kit
    def teach_kit(self) -> None:
        selected = self.pane.selected_finding()
        if selected is None:
            self.show_error("Select a box or draw a region first, then choose Teach.")
            return
        self.kit.ask_and_teach(selected.box, guess_category(selected), self.viewer.pixels)

    def teach_region(self, category: str, name: str, box: Box) -> None:
        self.kit.teach_region(category, name, box, self.viewer.pixels)

    def _taught(self, path: Path, detector: Detector) -> None:
        self.detectors = [*(d for d in self.detectors or [] if d.name != detector.name), detector]
        self.statusBar().showMessage(f"Added to the force kit: {path}. Check photos again to use it.", 10000)
        self.kitTaught.emit(path)

    # ------------------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td>{a}</td><td><b>{k}</b></td></tr>" for a, k in self.shortcuts())
        box = QMessageBox(
            QMessageBox.Icon.Information, "Keyboard shortcuts", "", QMessageBox.StandardButton.Ok, self
        )
        box.setText(
            f"<table cellpadding=3>{rows}</table><p>Space ticks or unticks the selected finding. "
            "Drag on the photo to pan, drag a box to move it, the wheel zooms.</p>"
        )
        self._show_dialog(box)

    def _show_dialog(self, dlg: QMessageBox | ExportDialog | SummaryDialog) -> None:
        self.dialogs.append(dlg)
        dlg.setModal(False)
        dlg.show()

    def show_error(self, message: str) -> None:
        """Every worker error ends here: in the status bar, the log and a non-modal message box."""
        log.error("%s", message)
        self.errors.append(message)
        self.statusBar().showMessage(message, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, "ShareSafe", message, QMessageBox.StandardButton.Ok, self)
        self._show_dialog(box)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.cancel_all()
        self.settings.geometry = self.saveGeometry()
        self.runner.wait(10_000)
        super().closeEvent(event)
