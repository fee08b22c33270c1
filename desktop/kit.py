"""The force kit (issue 7) in the app: load it as a detector, and "Teach": add a drawn box to it.

The kit lives in `detectors.kit`; when that package is absent the app simply hides the kit actions.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from sharesafe.types import Box

KIT_DETECTOR_NAME = "kit"


def kit_module() -> Any | None:
    try:
        mod = importlib.import_module("detectors.kit")
    except ModuleNotFoundError:
        return None
    return mod if hasattr(mod, "add_reference") and hasattr(mod, "create") else None


def categories() -> list[str]:
    mod = kit_module()
    return [] if mod is None else list(mod.CATEGORIES)


def build_detector(kit_dir: Path) -> Any:
    """A loaded kit detector for `kit_dir` (raises the kit's own error listing what is wrong)."""
    mod = kit_module()
    assert mod is not None
    det = mod.create(kit_dir)
    det.load()
    return det


def teach(kit_dir: Path, category: str, name: str, pixels: Any, box: Box) -> Path:
    mod = kit_module()
    assert mod is not None
    path: Path = mod.add_reference(kit_dir, category, name, pixels, box)
    return path


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
