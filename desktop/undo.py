"""Undoable edits of a photo's `Review` (the plain-Python decisions the core exports from), by id.

Each command changes the Review and then calls `changed()` so views refresh; Qt holds no copy of
the decisions. A finding or a drawn region is named by its id ("f2", "m1"), never by a row or a
position, so undoing after other edits changes the right one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from sharesafe.redact import Style
from sharesafe.review import Review
from sharesafe.types import Box

Changed = Callable[[], None]


class SetCoverCommand(QUndoCommand):
    def __init__(self, review: Review, finding_id: str, value: bool, changed: Changed) -> None:
        finding = review.scan.finding(finding_id)
        verb = "Cover" if value else "Leave"
        super().__init__(f"{verb} {finding.category.value} {finding_id}")
        self.review, self.finding_id, self.value, self.changed = review, finding_id, value, changed
        self.old = review.covers(finding_id)

    def redo(self) -> None:
        self.review.set_cover(self.finding_id, self.value)
        self.changed()

    def undo(self) -> None:
        self.review.set_cover(self.finding_id, self.old)
        self.changed()


class AddRegionCommand(QUndoCommand):
    def __init__(self, review: Review, box: Box, changed: Changed) -> None:
        super().__init__(f"Add region {box.as_list()}")
        self.review, self.box, self.changed = review, box, changed
        self.region_id: str | None = None

    def redo(self) -> None:
        # The first time the review gives the id; a redo puts the region back under the same id.
        self.region_id = self.review.add_manual(self.box, self.region_id)
        self.changed()

    def undo(self) -> None:
        assert self.region_id is not None
        self.review.remove_manual(self.region_id)
        self.changed()


class RemoveRegionCommand(QUndoCommand):
    def __init__(self, review: Review, region_id: str, changed: Changed) -> None:
        super().__init__(f"Remove region {region_id}")
        self.review, self.region_id, self.changed = review, region_id, changed
        self.box = review.box(region_id)

    def redo(self) -> None:
        self.review.remove_manual(self.region_id)
        self.changed()

    def undo(self) -> None:
        self.review.add_manual(self.box, self.region_id)
        self.changed()


class MoveRegionCommand(QUndoCommand):
    """Move or resize a finding's box (what is covered) or a drawn region."""

    def __init__(self, review: Review, region_id: str, box: Box, changed: Changed) -> None:
        super().__init__(f"Move {region_id} to {box.as_list()}")
        self.review, self.region_id, self.box, self.changed = review, region_id, box, changed
        self.old = review.box(region_id)

    def redo(self) -> None:
        self.review.move(self.region_id, self.box)
        self.changed()

    def undo(self) -> None:
        self.review.move(self.region_id, self.old)
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
