"""Undoable edits of a photo's `Review` (the plain-Python decision object the core exports from).

Each command changes the Review and then calls `changed()` so views refresh; Qt holds no copy of
the decisions.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from sharesafe.redact import Style
from sharesafe.review import Review
from sharesafe.types import Box

Changed = Callable[[], None]


class SetCoverCommand(QUndoCommand):
    def __init__(self, review: Review, index: int, value: bool, changed: Changed) -> None:
        finding = review.scan.findings[index]
        verb = "Cover" if value else "Leave"
        super().__init__(f"{verb} {finding.category.value} #{index + 1}")
        self.review, self.index, self.value, self.changed = review, index, value, changed
        self.old = review.cover[index]

    def redo(self) -> None:
        self.review.set_cover(self.index, self.value)
        self.changed()

    def undo(self) -> None:
        self.review.set_cover(self.index, self.old)
        self.changed()


class AddRegionCommand(QUndoCommand):
    def __init__(self, review: Review, box: Box, changed: Changed) -> None:
        super().__init__(f"Add region {box.as_list()}")
        self.review, self.box, self.changed = review, box, changed
        self.index: int | None = None

    def redo(self) -> None:
        if self.index is None:
            self.index = self.review.add_manual(self.box)
        else:
            self.review.manual.insert(self.index, self.box)
        self.changed()

    def undo(self) -> None:
        assert self.index is not None
        self.review.remove_manual(self.index)
        self.changed()


class RemoveRegionCommand(QUndoCommand):
    def __init__(self, review: Review, index: int, changed: Changed) -> None:
        super().__init__(f"Remove region #{index + 1}")
        self.review, self.index, self.changed = review, index, changed
        self.box = review.manual[index]

    def redo(self) -> None:
        self.review.remove_manual(self.index)
        self.changed()

    def undo(self) -> None:
        self.review.manual.insert(self.index, self.box)
        self.changed()


class SetStyleCommand(QUndoCommand):
    def __init__(self, review: Review, style: Style, changed: Changed) -> None:
        super().__init__(f"Cover style {style.value}")
        self.review, self.style, self.changed = review, style, changed
        self.old = review.style

    def redo(self) -> None:
        self.review.style = self.style
        self.changed()

    def undo(self) -> None:
        self.review.style = self.old
        self.changed()
