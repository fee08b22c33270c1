"""The force kit (issue 7) in the app: load it as a detector, and "Teach": add a drawn box to it.

The kit lives in `detectors.kit`; when that package is absent the app simply hides the kit actions.
`KitController` is the window's kit part: it asks for the kit folder and what a box shows, teaches
the kit in a worker and reports the rebuilt detector.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from desktop.settings import Settings
from desktop.workers import Job, JobContext, Runner
from sharesafe.detector import Detector
from sharesafe.types import Box, Category, Finding


def kit_module() -> ModuleType | None:
    try:
        mod = importlib.import_module("detectors.kit")
    except ModuleNotFoundError:
        return None
    return mod if hasattr(mod, "add_reference") and hasattr(mod, "create") else None


def categories() -> list[str]:
    mod = kit_module()
    return [] if mod is None else [str(c) for c in mod.CATEGORIES]


def build_detector(kit_dir: Path) -> Detector:
    """A loaded kit detector for `kit_dir` (raises the kit's own error listing what is wrong)."""
    from detectors.kit import create

    det = create(kit_dir)
    det.load()
    return det


def teach(kit_dir: Path, category: str, name: str, pixels: npt.NDArray[np.uint8], box: Box) -> Path:
    from detectors.kit import add_reference

    return add_reference(kit_dir, category, name, pixels, box)


class TeachDialog(QDialog):
    """Ask what the selected box shows: a kit category and a name (e.g. badge / "County crest")."""

    def __init__(self, box: Box, guess: str = "badge", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Teach the force kit")
        form = QFormLayout(self)
        form.addRow(
            QLabel(
                f"Add the region {box.width} x {box.height} px to your force kit so it is found in other photos."
            )
        )
        self.category = QComboBox()
        self.category.addItems(categories())
        if guess in categories():
            self.category.setCurrentText(guess)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. county crest, patrol car livery")
        form.addRow("What it is:", self.category)
        form.addRow("Name:", self.name)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def guess_category(finding: Finding | None) -> str:
    """The kit category a selected box most likely shows (a drawn region: a badge)."""
    if finding is None or finding.category is Category.MANUAL:
        return "badge"
    return finding.category.value if finding.category.value in categories() else "badge"


class KitController(QObject):
    """Choose the kit folder, teach it a region of the current photo (in a worker), and hand the
    rebuilt kit detector to whoever listens."""

    taught = Signal(object, object)  # Path of the new reference, the rebuilt kit Detector
    failed = Signal(str)
    kitChosen = Signal()

    def __init__(self, parent: QWidget, settings: Settings, runner: Runner) -> None:
        super().__init__(parent)
        self.parent_widget, self.settings, self.runner = parent, settings, runner

    @property
    def available(self) -> bool:
        return kit_module() is not None

    def choose_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.parent_widget, "Force kit folder (<kit>/<badge|uniform|vehicle|premises>/<name>/*.jpg)"
        )
        if folder:
            self.settings.kit_dir = Path(folder)
            self.kitChosen.emit()

    def ask_and_teach(self, box: Box, guess: str, pixels: npt.NDArray[np.uint8] | None) -> None:
        """Ask what `box` shows, then teach it (choosing the kit folder first if there is none)."""
        if self.settings.kit_dir is None:
            self.choose_dir()
            if self.settings.kit_dir is None:
                return
        dlg = TeachDialog(box, guess, self.parent_widget)
        if dlg.exec() == TeachDialog.DialogCode.Accepted:
            self.teach_region(dlg.category.currentText(), dlg.name.text(), box, pixels)

    def teach_region(self, category: str, name: str, box: Box, pixels: npt.NDArray[np.uint8] | None) -> None:
        """Add `box` of the photo to the kit, then rebuild the kit detector (in a worker)."""
        kit_dir = self.settings.kit_dir
        if kit_dir is None or pixels is None:
            self.failed.emit("Choose a force kit folder and open a photo first.")
            return

        def work(_ctx: JobContext) -> tuple[Path, Detector]:
            path = teach(kit_dir, category, name, pixels, box)
            return path, build_detector(kit_dir)

        job = Job(work, "Teaching the force kit")
        job.signals.result.connect(lambda out: self.taught.emit(*out))
        job.signals.error.connect(self.failed)
        self.runner.start(job)
