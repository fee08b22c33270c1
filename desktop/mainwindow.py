"""The main window: photo list, large view, findings and metadata panels, batch progress, export."""

from __future__ import annotations

import contextlib
import html
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QMimeData, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QUndoGroup,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop import imaging, kit, verdict
from desktop.dialogs import ExportDialog, SummaryDialog
from desktop.imageview import KIND_FINDING, KIND_MANUAL, ImageView
from desktop.models import FindingsModel, PhotoEntry, PhotoListModel
from desktop.panels import MetadataPanel, PhotoDelegate
from desktop.settings import Settings
from desktop.undo import AddRegionCommand, RemoveRegionCommand, SetStyleCommand
from desktop.workers import Job, JobContext, Runner
from sharesafe import audit, pipeline
from sharesafe.detector import Detector
from sharesafe.image import load_image
from sharesafe.jobs import OutputFolder
from sharesafe.jobs import make_safe as make_safe_copy
from sharesafe.redact import Style, cover
from sharesafe.review import Review
from sharesafe.types import Box, ExportResult

log = logging.getLogger(__name__)

STYLE_NAMES = {Style.FILL: "Solid", Style.PIXELATE: "Pixelate", Style.BLUR: "Blur"}

DetectorLoader = Callable[[], Sequence[Detector]]


def default_loader() -> list[Detector]:
    from sharesafe import backends

    return backends.load()


def format_eta(seconds: float) -> str:
    if seconds < 1:
        return "less than a second left"
    if seconds < 90:
        return f"about {seconds:.0f} s left"
    return f"about {seconds / 60:.0f} min left"


class MainWindow(QMainWindow):
    detectorsReady = Signal(list)  # the loaded detectors
    scanned = Signal(object)  # PhotoEntry whose scan just arrived
    batchFinished = Signal(bool)  # True when it ran to the end (False: cancelled)
    exportFinished = Signal(list)  # list[ExportResult]
    imageShown = Signal(object)  # PhotoEntry now shown large
    previewReady = Signal()
    kitTaught = Signal(object)  # Path of the new kit reference

    def __init__(
        self,
        settings: Settings | None = None,
        load_detectors: DetectorLoader | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self._loader = load_detectors or default_loader
        self.detectors: list[Detector] | None = None  # None while loading
        self.runner = Runner(self)
        self._queued: list[tuple[list[Path], bool]] = []
        self._batch: dict[str, Any] | None = None
        self._current: PhotoEntry | None = None
        self._pixels: np.ndarray | None = None  # upright pixels of the current photo (for the preview)
        self._original: QImage | None = None
        self._preview_gen = 0
        self._image_gen = 0
        self.dialogs: list[Any] = []  # open non-modal dialogs (tests inspect the latest)
        self.errors: list[str] = []  # every worker error shown to the user

        self.setWindowTitle("ShareSafe - check a photo before you share it")
        self.setAcceptDrops(True)
        self.undo_group = QUndoGroup(self)
        self.photos = PhotoListModel(self)
        self.findings = FindingsModel(self)
        self._build_ui()
        self._build_actions()
        self._update_actions()
        geometry = self.settings.geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(self.fontMetrics().height() * 80, self.fontMetrics().height() * 48)

    # ------------------------------------------------------------------------------------------
    # UI
    def _build_ui(self) -> None:
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)

        empty = QWidget()
        outer = QVBoxLayout(empty)
        em = self.fontMetrics().height()
        outer.setContentsMargins(em * 2, em * 2, em * 2, em * 2)
        zone = QFrame()
        zone.setObjectName("dropZone")
        zone.setStyleSheet(
            "#dropZone { border: 3px dashed palette(mid); border-radius: 12px; background: palette(base); }"
        )
        outer.addWidget(zone)
        lay = QVBoxLayout(zone)
        lay.addStretch(2)
        self.empty_label = QLabel("Drop photos or a folder here")
        font = self.empty_label.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        font.setBold(True)
        self.empty_label.setFont(font)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.empty_label)
        hint = QLabel(
            "ShareSafe checks each photo for faces, badges, police markings, number plates, readable "
            "text and revealing metadata, then writes a safe copy. Nothing leaves this computer."
        )
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setMaximumWidth(em * 32)
        hint.setMinimumWidth(em * 24)
        hint_row = QHBoxLayout()
        hint_row.addStretch(1)
        hint_row.addWidget(hint)
        hint_row.addStretch(1)
        lay.addLayout(hint_row)
        lay.addSpacing(em)
        row = QHBoxLayout()
        row.addStretch(1)
        self.open_button = QPushButton("Open photos...")
        self.open_folder_button = QPushButton("Open folder...")
        row.addWidget(self.open_button)
        row.addWidget(self.open_folder_button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(3)
        self.stack.addWidget(empty)

        self.list_view = QListView()
        self.list_view.setModel(self.photos)
        self.list_view.setItemDelegate(PhotoDelegate(self.list_view))
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setUniformItemSizes(True)
        self.list_view.selectionModel().currentChanged.connect(self._current_changed)

        self.view = ImageView()
        self.view.regionDrawn.connect(self.add_region)
        self.view.findingSelected.connect(self._view_selected_finding)
        self.view.manualSelected.connect(lambda _i: self._update_actions())
        self.view.deleteRequested.connect(self.remove_region)
        self.view_caption = QLabel("")
        self.view_caption.setWordWrap(True)
        centre = QWidget()
        cl = QVBoxLayout(centre)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.view, 1)
        cl.addWidget(self.view_caption)

        self.table = QTableView()
        self.table.setModel(self.findings)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.selectionModel().currentRowChanged.connect(self._table_row_changed)
        self.metadata = MetadataPanel()

        right = QSplitter(Qt.Orientation.Vertical)
        fw = QWidget()
        fl = QVBoxLayout(fw)
        fl.setContentsMargins(0, 0, 0, 0)
        self.findings_title = QLabel("Findings")
        fl.addWidget(self.findings_title)
        fl.addWidget(self.table)
        self.reason_view = QTextBrowser()
        self.reason_view.setPlaceholderText("Select a finding to see why your policy cares about it.")
        mw = QWidget()
        ml = QVBoxLayout(mw)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(QLabel("Metadata"))
        ml.addWidget(self.metadata)
        right.addWidget(fw)
        right.addWidget(self.reason_view)
        right.addWidget(mw)
        em = self.fontMetrics().height()
        right.setSizes([em * 10, em * 6, em * 16])

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.list_view)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 3)
        em = self.fontMetrics().height()
        self.splitter.setSizes([em * 16, em * 40, em * 26])
        self.stack.addWidget(self.splitter)

        sb = self.statusBar()
        self.detector_status = QLabel("Loading detectors...")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setFormat("%v of %m")
        self.eta_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_batch)
        sb.addPermanentWidget(self.eta_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)
        sb.addPermanentWidget(self.detector_status)

    def _action(self, text: str, slot: Callable[..., Any], shortcut: Any = None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list):
                act.setShortcuts(shortcut)
            else:
                act.setShortcut(shortcut)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        K = QKeySequence
        self.act_open = self._action("&Open photos...", self.choose_files, K.StandardKey.Open)
        self.act_open_folder = self._action(
            "Open &folder...", self.choose_folder, K("Ctrl+Shift+O"), "Check every photo in a folder"
        )
        self.act_make_safe = self._action(
            "&Make safe", self.make_safe, K.StandardKey.Save, "Strip metadata and cover every ticked finding"
        )
        self.act_strip = self._action(
            "Strip metadata &only",
            self.strip_only,
            K("Ctrl+Shift+S"),
            "Remove metadata without changing pixels",
        )
        self.act_make_all = self._action(
            "Make &all safe", self.make_all_safe, K("Ctrl+Alt+S"), "Export every checked photo"
        )
        self.act_output = self._action("Output folder...", self.choose_output_dir, None)
        self.act_kit = self._action(
            "Force kit folder...",
            self.choose_kit_dir,
            None,
            "Your force's crests, uniforms, vehicles, buildings",
        )
        self.act_quit = self._action("&Quit", self.close, K.StandardKey.Quit)
        self.act_undo = self._action("&Undo", self.undo_group.undo, K.StandardKey.Undo)
        self.act_redo = self._action("&Redo", self.undo_group.redo, [K("Ctrl+Shift+Z"), K("Ctrl+Y")])
        self.undo_group.canUndoChanged.connect(self.act_undo.setEnabled)
        self.undo_group.canRedoChanged.connect(self.act_redo.setEnabled)
        self.undo_group.undoTextChanged.connect(lambda t: self.act_undo.setToolTip(f"Undo {t}".strip()))
        self.undo_group.redoTextChanged.connect(lambda t: self.act_redo.setToolTip(f"Redo {t}".strip()))
        self.act_undo.setEnabled(False)
        self.act_redo.setEnabled(False)
        self.act_draw = self._action(
            "&Draw region",
            self._toggle_draw,
            K("R"),
            "Drag on the photo to cover something the detectors missed",
        )
        self.act_draw.setCheckable(True)
        self.act_delete = self._action("Delete region", self._delete_selected_region, K.StandardKey.Delete)
        self.act_preview = self._action("Show &result", self._toggle_preview, K("P"), "Preview the safe copy")
        self.act_preview.setCheckable(True)
        self.act_fit = self._action("Fit to window", self.view.fit, K("Ctrl+0"))
        self.act_zoom_in = self._action("Zoom in", lambda: self.view.zoom(1.25), K.StandardKey.ZoomIn)
        self.act_zoom_out = self._action("Zoom out", lambda: self.view.zoom(0.8), K.StandardKey.ZoomOut)
        self.act_next = self._action("Next photo", lambda: self._step(1), K("Ctrl+Down"))
        self.act_prev = self._action("Previous photo", lambda: self._step(-1), K("Ctrl+Up"))
        self.act_cancel = self._action("Cancel batch", self.cancel_batch, K("Esc"))
        self.act_teach = self._action(
            "Teach force kit...", self.teach_kit, None, "Add the selected region to your force kit"
        )

        self.open_button.clicked.connect(self.act_open.trigger)
        self.open_folder_button.clicked.connect(self.act_open_folder.trigger)

        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (
            self.act_open,
            self.act_open_folder,
            None,
            self.act_make_safe,
            self.act_strip,
            self.act_make_all,
            None,
            self.act_output,
            None,
            self.act_quit,
        ):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, None, self.act_draw, self.act_delete, self.act_teach):
            m.addSeparator() if a is None else m.addAction(a)
        self.act_help = self._action("&Keyboard shortcuts", self.show_shortcuts, K.StandardKey.HelpContents)
        m = mb.addMenu("&View")
        for a in (
            self.act_preview,
            self.act_fit,
            self.act_zoom_in,
            self.act_zoom_out,
            None,
            self.act_next,
            self.act_prev,
        ):
            m.addSeparator() if a is None else m.addAction(a)
        mb.addMenu("&Help").addAction(self.act_help)

        tb = QToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(tb)
        tb.addAction(self.act_open)
        tb.addAction(self.act_open_folder)
        tb.addSeparator()
        tb.addAction(self.act_make_safe)
        tb.addAction(self.act_strip)
        tb.addAction(self.act_make_all)
        tb.addSeparator()
        tb.addAction(self.act_draw)
        tb.addAction(self.act_undo)
        tb.addAction(self.act_redo)
        tb.addAction(self.act_preview)
        tb.addSeparator()
        tb.addWidget(QLabel(" Cover: "))
        self.style_combo = QComboBox()
        for style, name in STYLE_NAMES.items():
            self.style_combo.addItem(name, style)
        self.style_combo.setCurrentIndex(list(STYLE_NAMES).index(self.settings.style))
        self.style_combo.setToolTip(
            "How faces and other regions are covered (text, plates, badges: always solid)"
        )
        self.style_combo.currentIndexChanged.connect(self._style_changed)
        tb.addWidget(self.style_combo)
        # Policy profile picker: shown once the core's policy profiles are installed.
        self.policy_combo = QComboBox()
        self.policy_combo.setToolTip("Your force's social-media policy: decides the verdict and the reasons")
        available = verdict.profiles()
        self.profile: str | None = None
        if available:
            for i, (name, title) in enumerate(available):
                self.policy_combo.addItem(title, name)
                self.policy_combo.setItemData(i, f"{title} [{name}]", Qt.ItemDataRole.ToolTipRole)
            self.policy_combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            self.policy_combo.setMinimumContentsLength(22)
            wanted = self.settings.profile or verdict.default_profile()
            names = [n for n, _ in available]
            self.policy_combo.setCurrentIndex(names.index(wanted) if wanted in names else 0)
            self.profile = self.policy_combo.currentData()
            self.policy_combo.currentIndexChanged.connect(self._profile_changed)
            tb.addSeparator()
            tb.addWidget(QLabel(" Policy: "))
            tb.addWidget(self.policy_combo)

    def _update_actions(self) -> None:
        entry = self._current
        ready = (
            entry is not None and entry.result is not None and entry.result.ok and self.detectors is not None
        )
        self.act_make_safe.setEnabled(ready)
        self.act_strip.setEnabled(ready)
        self.act_draw.setEnabled(ready)
        self.act_preview.setEnabled(ready)
        sel = self.view.selected()
        self.act_delete.setEnabled(ready and sel is not None and sel[0] == KIND_MANUAL)
        self.act_teach.setEnabled(ready and sel is not None and kit.kit_module() is not None)
        self.act_kit.setVisible(kit.kit_module() is not None)
        self.act_teach.setVisible(kit.kit_module() is not None)
        self.act_make_all.setEnabled(
            self.detectors is not None
            and any(e.result is not None and e.result.ok for e in self.photos.entries)
        )

    # ------------------------------------------------------------------------------------------
    # Detectors
    def start(self) -> None:
        """Load detectors in the background (call once the window is shown)."""
        self.detector_status.setText("Loading detectors...")
        self.detectors = None
        self._update_actions()
        loader = self._loader
        kit_dir = self.settings.kit_dir if kit.kit_module() is not None else None

        def work(ctx: JobContext) -> tuple[list[Detector], list[str]]:
            dets = list(loader())
            ready: list[Detector] = []
            problems: list[str] = []
            for i, det in enumerate(dets, start=1):
                name = getattr(det, "name", "detector")
                ctx.progress(i - 1, len(dets), name)
                try:
                    det.load()
                    ready.append(det)
                except Exception as exc:  # noqa: BLE001 - one broken detector must not stop the others
                    problems.append(f"detector {name} could not load: {type(exc).__name__}: {exc}")
            if kit_dir is not None:
                ctx.progress(len(dets), len(dets) + 1, "force kit")
                try:
                    ready.append(kit.build_detector(kit_dir))
                except Exception as exc:  # noqa: BLE001 - a bad kit is reported, the scan goes on
                    problems.append(f"the force kit in {kit_dir} cannot be used: {exc}")
            return ready, problems

        job = Job(work, "Loading detectors")
        job.signals.progress.connect(
            lambda d, t, name: self.detector_status.setText(f"Loading detectors... ({d + 1} of {t}: {name})")
        )
        job.signals.result.connect(self._detectors_loaded)
        job.signals.error.connect(self._detectors_failed)
        self.runner.start(job)

    def _detectors_loaded(self, loaded: tuple[list[Detector], list[str]]) -> None:
        dets, problems = loaded
        for p in problems:
            self.show_error(p)
        self.detectors = dets
        if dets:
            names = ", ".join(getattr(d, "name", "?") for d in dets)
            self.detector_status.setText(f"{len(dets)} detector(s) ready: {names}")
        else:
            self.detector_status.setText("No detectors installed: checking metadata only")
        self.detectorsReady.emit(dets)
        self._update_actions()
        queued, self._queued = self._queued, []
        for paths, recursive in queued:
            self.open_paths(paths, recursive)

    def _detectors_failed(self, message: str) -> None:
        self.show_error(message + "\nPhotos are checked for metadata only.")
        self._detectors_loaded(([], []))

    # ------------------------------------------------------------------------------------------
    # Adding photos (open, open folder, command line and drop all end in open_paths)
    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            "Open photos",
            "",
            "Photos (*.jpg *.jpeg *.png *.webp *.heic *.heif *.tif *.tiff *.avif);;All files (*)",
        )
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
        """Check files and folders (folders recursively). Scans start once the detectors are loaded."""
        inputs = [Path(p) for p in paths]
        if not inputs:
            return
        self.stack.setCurrentIndex(1)
        if self.detectors is None:
            self.statusBar().showMessage("Photos will be checked as soon as the detectors are loaded", 5000)
            self._queued.append((inputs, recursive))
            return
        detectors = list(self.detectors)
        profile = self.profile

        chosen_out = self.settings.output_dir
        exclude = [chosen_out] if chosen_out else [pipeline.default_out_dir(Path(i) / "x") for i in inputs]

        def work(ctx: JobContext) -> int:
            skipped: list[tuple[Path, str]] = []
            found = pipeline.collect_paths(inputs, recursive, skipped=skipped, exclude=exclude)
            ctx.emit(("paths", found, skipped))
            done = 0
            for i, path in enumerate(found, start=1):
                if ctx.cancel.is_set():
                    break
                result = pipeline.scan(path, detectors)
                thumb = imaging.thumbnail(path) if result.ok else None
                try:
                    assessment = verdict.assess(result, profile)
                except Exception as exc:  # noqa: BLE001 - the scan stands; the policy problem is shown
                    result.detector_errors["policy"] = f"{type(exc).__name__}: {exc}"
                    assessment = None
                ctx.emit(("result", path, result, thumb, assessment))
                ctx.progress(i, len(found), path.name)
                done = i
            return done

        job = Job(work, "Checking photos")
        batch = {
            "job": job,
            "entries": [],
            "started": time.monotonic(),
            "folder": any(p.is_dir() for p in inputs),
        }
        job.signals.item.connect(lambda item, b=batch: self._scan_item(b, item))
        job.signals.progress.connect(lambda d, t, name, b=batch: self._scan_progress(b, d, t, name))
        job.signals.error.connect(self.show_error)
        job.signals.finished.connect(lambda ok, b=batch: self._scan_finished(b, ok))
        self._batch = batch
        self.runner.start(job)

    def _scan_item(self, batch: dict[str, Any], item: tuple[Any, ...]) -> None:
        if item[0] == "paths":
            found: list[Path] = item[1]
            batch["skipped"] = item[2]
            for path, reason in item[2]:
                log.info("skipped %s: %s", path, reason)
            fresh = self.photos.add_paths(found)
            batch["entries"] = [self.photos.entry_for(p) for p in found]
            batch["entries"] = [e for e in batch["entries"] if e is not None]
            batch["fresh"] = fresh
            if len(found) > 1:
                self.progress.setRange(0, len(found))
                self.progress.setValue(0)
                self.progress.setVisible(True)
                self.cancel_button.setVisible(True)
                self.eta_label.setText("starting...")
            if not found:
                self.show_error("No photos found in what was opened.")
            if self._current is None and fresh:
                self.list_view.setCurrentIndex(self.photos.index(self.photos.row_of(fresh[0])))
            return
        _, path, result, thumb, assessment = item
        entry = self.photos.entry_for(path)
        if entry is None:
            return
        if entry.result is not None and entry.result.sha256 == result.sha256:
            return  # already checked (opened twice)
        entry.result, entry.thumb, entry.note = result, thumb, ""
        entry.assessment = assessment
        entry.review, entry.export = None, None
        if entry.undo is None:
            entry.undo = QUndoStack(self.undo_group)
        entry.undo.clear()
        entry.ensure_review(self.settings.style)
        self.photos.refresh(entry)
        if entry is self._current:
            self._show_entry(entry)
        self.scanned.emit(entry)
        self._update_actions()

    def _scan_progress(self, batch: dict[str, Any], done: int, total: int, name: str) -> None:
        batch["done"], batch["total"] = done, total
        if total <= 1:
            return
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        elapsed = time.monotonic() - batch["started"]
        eta = elapsed / max(done, 1) * (total - done)
        self.eta_label.setText(f"Checked {done} of {total} - {format_eta(eta)}")

    def _scan_finished(self, batch: dict[str, Any], ok: bool) -> None:
        cancelled = batch["job"].cancel_event.is_set()
        for e in batch["entries"]:
            if e.result is None:
                e.note = "not checked (cancelled)"
                self.photos.refresh(e)
        if self._batch is batch:
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)
            self.eta_label.setText("")
            self._batch = None
        seconds = time.monotonic() - batch["started"]
        batch["seconds"] = seconds
        entries = batch["entries"]
        if len(entries) > 1 or batch["folder"]:
            dlg = SummaryDialog(
                entries, seconds, cancelled, self, on_make_all=lambda es=entries: self.make_all_safe(es)
            )
            self._show_dialog(dlg)
        checked = sum(1 for e in entries if e.result)
        verb = "Cancelled after" if cancelled else "Finished"
        skipped = batch.get("skipped") or []
        reasons = sorted({reason.split(" (")[0] for _p, reason in skipped})
        note = f"; {len(skipped)} file(s) skipped ({', '.join(reasons)})" if skipped else ""
        self.statusBar().showMessage(f"{verb} checking {checked} photo(s){note}", 8000)
        self._update_actions()
        self.batchFinished.emit(not cancelled)

    def cancel_batch(self) -> None:
        if self._batch is not None:
            self._batch["job"].cancel()
            self.eta_label.setText("Cancelling...")

    # ------------------------------------------------------------------------------------------
    # Showing one photo
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry = self.photos.entries[current.row()] if current.isValid() else None
        self._current = entry
        self._pixels, self._original = None, None
        self.view.clear()
        self.reason_view.clear()
        if entry is not None:
            self._show_entry(entry)
        self._update_actions()

    def select_entry(self, entry: PhotoEntry) -> None:
        row = self.photos.row_of(entry)
        self.list_view.selectionModel().setCurrentIndex(
            self.photos.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def _step(self, delta: int) -> None:
        if not self.photos.entries:
            return
        row = self.list_view.currentIndex().row()
        row = min(max(row + delta, 0), len(self.photos.entries) - 1)
        self.list_view.setCurrentIndex(self.photos.index(row))

    @property
    def current(self) -> PhotoEntry | None:
        return self._current

    def _show_entry(self, entry: PhotoEntry) -> None:
        result = entry.result
        if entry.undo is not None:
            self.undo_group.setActiveStack(entry.undo)
        if result is None:
            self.view_caption.setText(f"{entry.path.name}: {entry.summary}")
            self.view.show_message(f"{entry.path.name}\n\n{entry.summary}")
            self.findings.set_review(None, None, None)
            self.metadata.show_metadata(None)
            return
        review = entry.ensure_review(self.settings.style)
        self.findings.set_review(review, entry.undo, self._review_changed, entry.assessment)
        n = len(result.findings)
        self.findings_title.setText(f"Findings ({n})" if n else "Findings (none)")
        reasons = [verdict.metadata_reason(entry.assessment, i) for i in range(len(result.metadata))]
        self.metadata.show_metadata(result.metadata, result.error, reasons)
        if review is not None:
            self.style_combo.blockSignals(True)
            self.style_combo.setCurrentIndex(list(STYLE_NAMES).index(review.style))
            self.style_combo.blockSignals(False)
        if result.error is not None:
            self.view_caption.setText(f"{entry.path.name} could not be checked: {result.error}")
            self.view.show_message(f"{entry.path.name} could not be checked\n\n{result.error}")
            return
        extra = ""
        if result.detector_errors:
            extra = " Detector problems: " + "; ".join(f"{k}: {v}" for k, v in result.detector_errors.items())
        self.view_caption.setText(
            f"{entry.path.name} - {result.width} x {result.height} {result.format}, {entry.verdict.label}."
            f"{extra}"
        )
        if self._original is None:
            self._load_image(entry)
        else:
            self._refresh_regions()

    def _load_image(self, entry: PhotoEntry) -> None:
        self._image_gen += 1
        gen = self._image_gen
        path = entry.path

        def work(_ctx: JobContext) -> tuple[np.ndarray, QImage]:
            pixels = load_image(path).pixels
            return pixels, imaging.to_qimage(pixels)

        job = Job(work, f"Opening {path.name}")
        job.signals.result.connect(lambda r, g=gen, e=entry: self._image_loaded(g, e, r))
        job.signals.error.connect(self.show_error)
        self.runner.start(job, detector_work=False)

    def _image_loaded(self, gen: int, entry: PhotoEntry, loaded: tuple[np.ndarray, QImage]) -> None:
        if gen != self._image_gen or entry is not self._current:
            return
        self._pixels, self._original = loaded
        self.view.set_image(self._original)
        self._refresh_regions()
        if self.act_preview.isChecked():
            self._update_preview()
        self.imageShown.emit(entry)

    def _refresh_regions(self) -> None:
        entry = self._current
        if entry is None or entry.review is None or self._original is None:
            return
        r = entry.review
        self.view.set_regions(r.scan.findings, r.cover, r.manual, self.view.selected())

    def _review_changed(self) -> None:
        """Called by every undo command after it changed the current photo's Review."""
        self.findings.refresh()
        self._refresh_regions()
        if self._current is not None:
            self.photos.refresh(self._current)
        if self.act_preview.isChecked():
            self._update_preview()
        self._update_actions()

    # selection sync between the table and the view
    def _table_row_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        self.reason_view.clear()
        if current.isValid():
            self.view.select(KIND_FINDING, current.row())
            raw = str(self.findings.index(current.row(), FindingsModel.WHAT).data())
            what = html.escape(raw.strip().strip("\"'\u201c\u201d"))  # quoted once, here
            reasons = verdict.reasons_list(self.findings.assessment, current.row())
            if reasons:
                items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons)
                self.reason_view.setHtml(f"<b>Why &ldquo;{what}&rdquo; matters</b><ul>{items}</ul>")
        self._update_actions()

    def _view_selected_finding(self, row: int) -> None:
        if row < 0:
            self.table.clearSelection()
        else:
            self.table.selectRow(row)
        self._update_actions()

    # ------------------------------------------------------------------------------------------
    # Editing decisions
    def add_region(self, box: Box) -> None:
        entry = self._current
        if entry is None or entry.review is None or entry.undo is None:
            return
        entry.undo.push(AddRegionCommand(entry.review, box, self._review_changed))

    def remove_region(self, index: int) -> None:
        entry = self._current
        if entry is None or entry.review is None or entry.undo is None:
            return
        if 0 <= index < len(entry.review.manual):
            entry.undo.push(RemoveRegionCommand(entry.review, index, self._review_changed))

    def _delete_selected_region(self) -> None:
        sel = self.view.selected()
        if sel is not None and sel[0] == KIND_MANUAL:
            self.remove_region(sel[1])

    def _toggle_draw(self, on: bool) -> None:
        self.view.set_draw_mode(on)

    def _profile_changed(self, idx: int) -> None:
        """Re-assess every checked photo under the newly chosen policy (cheap: no pixels involved)."""
        self.profile = self.policy_combo.itemData(idx)
        self.settings.profile = self.profile
        profile = self.profile
        entries = [e for e in self.photos.entries if e.result is not None]
        results = [e.result for e in entries]

        def work(_ctx: JobContext) -> list[Any]:
            return [verdict.assess(r, profile) for r in results if r is not None]

        job = Job(work, "Applying the policy")
        job.signals.result.connect(lambda out, es=entries, p=profile: self._reassessed(es, out, p))
        job.signals.error.connect(self.show_error)
        self.runner.start(job, detector_work=False)

    def _reassessed(self, entries: list[PhotoEntry], assessments: list[Any], profile: str | None) -> None:
        if profile != self.profile:
            return
        for e, a in zip(entries, assessments, strict=True):
            e.assessment = a
            e.apply_policy_defaults()
            self.photos.refresh(e)
        if self._current is not None and self._current in entries:
            self._show_entry(self._current)

    def _style_changed(self, idx: int) -> None:
        style = Style(self.style_combo.itemData(idx))
        self.settings.style = style
        entry = self._current
        if entry is not None and entry.review is not None and entry.undo is not None:
            entry.undo.push(SetStyleCommand(entry.review, style, self._review_changed))

    # ------------------------------------------------------------------------------------------
    # Live preview of the safe copy
    def _toggle_preview(self, on: bool) -> None:
        if on:
            self._update_preview()
        elif self._original is not None:
            self.view.set_image(self._original, keep_view=True)

    def _update_preview(self) -> None:
        entry = self._current
        if entry is None or entry.review is None or self._pixels is None:
            return
        self._preview_gen += 1
        gen = self._preview_gen
        pixels = self._pixels
        regions = entry.review.regions()
        shape = entry.review.shape

        def work(_ctx: JobContext) -> QImage:
            return imaging.to_qimage(cover(pixels, regions, shape=shape))

        job = Job(work, "Preview")
        job.signals.result.connect(lambda img, g=gen: self._preview_done(g, img))
        job.signals.error.connect(self.show_error)
        self.runner.start(job, detector_work=False)

    def _preview_done(self, gen: int, image: QImage) -> None:
        if gen == self._preview_gen and self.act_preview.isChecked():
            self.view.set_image(image, keep_view=True)
            self.previewReady.emit()

    # ------------------------------------------------------------------------------------------
    # Export
    def output_dir_for(self, entry: PhotoEntry) -> Path:
        return self.settings.output_dir or pipeline.default_out_dir(entry.path)

    def choose_output_dir(self) -> None:
        current = self.settings.output_dir
        folder = QFileDialog.getExistingDirectory(self, "Where safe copies go", str(current or ""))
        if folder:
            self.settings.output_dir = Path(folder)
            self.statusBar().showMessage(f"Safe copies go to {folder}", 5000)

    def make_safe(self) -> None:
        entry = self._current
        if entry is None or entry.review is None or entry.result is None:
            return
        self._export([(entry, entry.review, pipeline.ExportOptions(style=entry.review.style))])

    def strip_only(self) -> None:
        entry = self._current
        if entry is None or entry.result is None or not entry.result.ok:
            return
        covered = entry.review.covered_findings if entry.review else []
        if covered:
            answer = QMessageBox.question(
                self,
                "Strip metadata only?",
                f"{len(covered)} finding(s) are ticked to be covered. "
                "Strip metadata only and leave them visible?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        review = Review(entry.result, cover=[False] * len(entry.result.findings))
        self._export([(entry, review, pipeline.ExportOptions(metadata_only=True))])

    def make_all_safe(self, entries: Sequence[PhotoEntry] | None = None) -> None:
        chosen = [e for e in (entries or self.photos.entries) if e.result is not None and e.result.ok]
        if not chosen:
            return
        work_items = []
        for e in chosen:
            review = e.ensure_review(self.settings.style)
            assert review is not None
            work_items.append((e, review, pipeline.ExportOptions(style=review.style)))
        self._export(work_items)

    def _export(self, items: list[tuple[PhotoEntry, Review, pipeline.ExportOptions]]) -> None:
        detectors = list(self.detectors or [])
        jobs = [(e.result, self.output_dir_for(e), r, o, e.assessment) for e, r, o in items]

        def work(ctx: JobContext) -> tuple[list[ExportResult], list[Path], str | None]:
            # The core's one flow: a copy is named safe only once verified and recorded; a failed
            # one goes to NOT-SAFE/ (sharesafe.jobs). Each output folder is tidied first.
            out: list[ExportResult] = []
            entries = []
            written: list[Path] = []
            problems: list[str] = []
            with contextlib.ExitStack() as stack:
                folders: set[Path] = set()
                for i, (result, out_dir, review, opts, assessment) in enumerate(jobs, start=1):
                    if ctx.cancel.is_set():
                        break
                    if out_dir not in folders:
                        folders.add(out_dir)
                        stack.enter_context(OutputFolder.open(out_dir))
                    # Metadata only: nothing is covered, so no detector re-checks the copy.
                    checkers = () if opts.metadata_only else detectors
                    copy = make_safe_copy(
                        result, review, out_dir, assessment=assessment, options=opts, detectors=checkers
                    )
                    out.append(copy.export)
                    if copy.audit is not None:
                        written.append(copy.audit.html)
                        entries.append(copy.entry)
                    if copy.audit_error:
                        problems.append(copy.audit_error)
                    ctx.progress(i, len(jobs), result.path.name)
            if len(jobs) > 1 and len(entries) > 1:
                try:
                    written.append(audit.write_audit(entries, jobs[0][1], audit.batch_stem()).html)
                except OSError as exc:
                    problems.append(f"the batch audit record could not be written: {exc}")
            return out, written, "; ".join(problems) or None

        job = Job(work, "Making safe copies")
        batch = {"job": job, "entries": [], "started": time.monotonic(), "folder": False}
        self._batch = batch
        if len(jobs) > 1:
            self.progress.setRange(0, len(jobs))
            self.progress.setValue(0)
            self.progress.setVisible(True)
            self.cancel_button.setVisible(True)
        self.statusBar().showMessage("Writing and verifying the safe copy...")
        job.signals.progress.connect(lambda d, t, n, b=batch: self._scan_progress(b, d, t, n))
        job.signals.result.connect(lambda res, its=items: self._exported(its, res))
        job.signals.error.connect(self.show_error)
        job.signals.finished.connect(lambda _ok, b=batch: self._export_finished(b))
        self.runner.start(job)

    def _export_finished(self, batch: dict[str, Any]) -> None:
        if self._batch is batch:
            self._batch = None
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)
            self.eta_label.setText("")

    def _exported(
        self,
        items: list[tuple[PhotoEntry, Review, Any]],
        done: tuple[list[ExportResult], list[Path], str | None],
    ) -> None:
        results, audit_written, audit_problem = done
        for (entry, _r, _o), res in zip(items, results, strict=False):
            entry.export = res
            self.photos.refresh(entry)
        ok = sum(1 for r in results if r.ok)
        self.statusBar().showMessage(f"{ok} of {len(results)} safe copies written and verified", 8000)
        if results:
            out_dir = results[0].output.parent if results[0].output else self.output_dir_for(items[0][0])
            self._show_dialog(ExportDialog(results, out_dir, self, audit_written, audit_problem))
        self.exportFinished.emit(results)

    # ------------------------------------------------------------------------------------------
    # Force kit (issue 7): enabled once the core/detectors expose a kit API
    def choose_kit_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Force kit folder (<kit>/<badge|uniform|vehicle|premises>/<name>/*.jpg)"
        )
        if folder:
            self.set_kit_dir(Path(folder))

    def set_kit_dir(self, folder: Path | None) -> None:
        """Use a force kit from now on (reloads the detectors in the background)."""
        self.settings.kit_dir = folder
        self.start()

    def _selected_box(self) -> tuple[Box, str] | None:
        entry, sel = self._current, self.view.selected()
        if entry is None or entry.review is None or sel is None:
            return None
        kind, index = sel
        if kind == KIND_MANUAL:
            return entry.review.manual[index], "badge"
        f = entry.review.scan.findings[index]
        guess = f.category.value if f.category.value in kit.categories() else "badge"
        return f.box, guess

    def teach_kit(self) -> None:
        chosen = self._selected_box()
        if chosen is None:
            self.show_error("Select a box or draw a region first, then choose Teach.")
            return
        if self.settings.kit_dir is None:
            self.choose_kit_dir()
            if self.settings.kit_dir is None:
                return
        box, guess = chosen
        dlg = kit.TeachDialog(box, guess, self)
        if dlg.exec() == kit.TeachDialog.DialogCode.Accepted:
            self.teach_region(dlg.category.currentText(), dlg.name.text(), box)

    def teach_region(self, category: str, name: str, box: Box) -> None:
        """Add `box` of the current photo to the kit, then rebuild the kit detector (in a worker)."""
        kit_dir, pixels = self.settings.kit_dir, self._pixels
        if kit_dir is None or pixels is None:
            self.show_error("Choose a force kit folder and open a photo first.")
            return

        def work(_ctx: JobContext) -> tuple[Path, Any]:
            path = kit.teach(kit_dir, category, name, pixels, box)
            return path, kit.build_detector(kit_dir)

        job = Job(work, "Teaching the force kit")
        job.signals.result.connect(self._taught)
        job.signals.error.connect(self.show_error)
        self.runner.start(job)

    def _taught(self, out: tuple[Path, Any]) -> None:
        path, detector = out
        dets = [
            d for d in (self.detectors or []) if getattr(d, "name", "") != getattr(detector, "name", None)
        ]
        self.detectors = [*dets, detector]
        self.statusBar().showMessage(f"Added to the force kit: {path}. Check photos again to use it.", 10000)
        self.kitTaught.emit(path)

    def shortcuts(self) -> list[tuple[str, str]]:
        """(action, keys) for every action with a shortcut, as shown in Help."""
        out = []
        for act in self.actions():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts())
            if keys:
                out.append((act.text().replace("&", "").rstrip("."), keys))
        return out

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td>{a}</td><td><b>{k}</b></td></tr>" for a, k in self.shortcuts())
        box = QMessageBox(
            QMessageBox.Icon.Information, "Keyboard shortcuts", "", QMessageBox.StandardButton.Ok, self
        )
        box.setText(
            f"<table cellpadding=3>{rows}</table><p>Space ticks or unticks the selected finding. "
            "Drag on the photo to pan, the wheel zooms.</p>"
        )
        self._show_dialog(box)

    # ------------------------------------------------------------------------------------------
    def _show_dialog(self, dlg: Any) -> None:
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


def after(ms: int, fn: Callable[[], Any]) -> None:
    QTimer.singleShot(ms, fn)
