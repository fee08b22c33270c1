"""Qt models adapting core objects: the photo list (scan results) and the findings of one photo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QImage, QUndoStack

from desktop.undo import Changed, SetCoverCommand
from desktop.verdict import Badge, badge_for, reason_for
from sharesafe.jobs import Checked, ExportOptions, SafeCopy, default_review, judge
from sharesafe.policy import PolicyAssessment, Profile
from sharesafe.redact import Style
from sharesafe.review import Review
from sharesafe.types import Category, Finding, ScanResult

Index = QModelIndex | QPersistentModelIndex

#: Box and label colours per finding category (RGB hex).
CATEGORY_COLOURS: dict[Category, str] = {
    Category.FACE: "#ef4444",
    Category.PERSON: "#f97316",
    Category.UNIFORM: "#eab308",
    Category.WEAPON: "#dc2626",
    Category.VEHICLE: "#3b82f6",
    Category.BADGE: "#a855f7",
    Category.PREMISES: "#0ea5e9",
    Category.TEXT: "#22c55e",
    Category.PLATE: "#14b8a6",
    Category.CODE: "#ec4899",
    Category.SCREEN: "#6366f1",
    Category.DOCUMENT: "#84cc16",
    Category.MANUAL: "#f43f5e",
}

BadgeRole = Qt.ItemDataRole.UserRole + 1
EntryRole = Qt.ItemDataRole.UserRole + 2


@dataclass(eq=False)
class PhotoEntry:
    """One photo in the session: its check, the user's decisions, its edit history, its safe copy."""

    path: Path
    checked: Checked | None = None
    thumb: QImage | None = None
    review: Review | None = None
    undo: QUndoStack | None = None
    copy: SafeCopy | None = None  # what the last "make safe" did
    note: str = ""  # e.g. "not checked (cancelled)"

    @property
    def result(self) -> ScanResult | None:
        return self.checked.scan if self.checked is not None else None

    @property
    def assessment(self) -> PolicyAssessment | None:
        return self.checked.assessment if self.checked is not None else None

    @property
    def badge(self) -> Badge:
        return badge_for(self.checked)

    def ensure_review(self, style: Style) -> Review | None:
        """The user's review of this photo, started from the flow's defaults the first time."""
        if self.checked is None or not self.checked.ok:
            return None
        if self.review is None:
            self.review = default_review(self.checked, ExportOptions(style=style))
        return self.review

    def rejudge(self, profile: Profile) -> None:
        """Judge the photo under another profile; the defaults follow it while the user has not
        edited this photo (an edited review is the user's, and stays)."""
        if self.checked is None:
            return
        self.checked = judge(self.checked.scan, profile)
        edited = self.undo is not None and self.undo.count() > 0
        if self.review is not None and not edited:
            self.review.reset(default_review(self.checked).defaults)

    @property
    def summary(self) -> str:
        result = self.result
        if result is None:
            return self.note or "waiting to be checked"
        if result.error is not None:
            return result.error
        n = len(result.findings)
        risky = sum(1 for m in result.metadata if m.risk.rank >= 2)
        parts = [f"{n} finding{'s' if n != 1 else ''}"]
        if risky:
            parts.append(f"{risky} metadata risk{'s' if risky != 1 else ''}")
        if self.copy is not None:
            if self.copy.refused is not None:
                parts.append("not written (do not share)")
            else:
                parts.append("exported" if self.copy.ok else "export failed")
        return ", ".join(parts)


class PhotoListModel(QAbstractListModel):
    """The photos of the session, in the order they were added."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[PhotoEntry] = []
        self._by_path: dict[Path, int] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.path.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.path}\n{entry.badge.label}: {entry.summary}"
        if role == Qt.ItemDataRole.DecorationRole:
            return entry.thumb
        if role == BadgeRole:
            return entry.badge
        if role == EntryRole:
            return entry
        return None

    def add_paths(self, paths: list[Path]) -> list[PhotoEntry]:
        """Add photos not already in the list; returns the new entries (those to scan)."""
        fresh = []
        for p in paths:
            key = p.absolute()
            if key in self._by_path:
                continue
            fresh.append(PhotoEntry(path=p))
        if fresh:
            first = len(self.entries)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for e in fresh:
                self._by_path[e.path.absolute()] = len(self.entries)
                self.entries.append(e)
            self.endInsertRows()
        return fresh

    def row_of(self, entry: PhotoEntry) -> int:
        return self._by_path.get(entry.path.absolute(), -1)

    def entry_for(self, path: Path) -> PhotoEntry | None:
        row = self._by_path.get(Path(path).absolute())
        return None if row is None else self.entries[row]

    def refresh(self, entry: PhotoEntry) -> None:
        row = self.row_of(entry)
        if row >= 0:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)


class FindingsModel(QAbstractTableModel):
    """The findings of one photo, by id: a "cover this" checkbox per row (edits go through the undo
    stack) and the policy's strongest reason."""

    COLUMNS = ("Cover", "Category", "What", "Confidence", "Reason")
    COVER, CATEGORY, WHAT, SCORE, REASON = range(5)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.review: Review | None = None
        self.assessment: PolicyAssessment | None = None
        self.undo: QUndoStack | None = None
        self._changed: Changed = _nothing
        self._rows: list[Finding] = []

    def set_review(
        self,
        review: Review | None,
        undo: QUndoStack | None = None,
        changed: Changed | None = None,
        assessment: PolicyAssessment | None = None,
    ) -> None:
        self.beginResetModel()
        self.review, self.undo, self._changed = review, undo, changed or _nothing
        self.assessment = assessment
        self._rows = review.findings if review is not None else []
        self.endResetModel()

    def finding_id(self, row: int) -> str | None:
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_of(self, finding_id: str) -> int:
        return next((i for i, f in enumerate(self._rows) if f.id == finding_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return self._rows[section].id if section < len(self._rows) else str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.COVER:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if self.review is None or not index.isValid() or index.row() >= len(self._rows):
            return None
        f = self._rows[index.row()]
        col = index.column()
        covered = self.review.covers(f.id)
        if role == Qt.ItemDataRole.CheckStateRole and col == self.COVER:
            return Qt.CheckState.Checked if covered else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.COVER:
                return "cover" if covered else "leave"
            if col == self.CATEGORY:
                return f.category.value
            if col == self.WHAT:
                return f.detail or f.label
            if col == self.SCORE:
                return f"{f.score:.2f}"
            if col == self.REASON:
                return reason_for(self.assessment, f.id)
        if role == Qt.ItemDataRole.DecorationRole and col == self.CATEGORY:
            return QColor(CATEGORY_COLOURS.get(f.category, "#ffffff"))
        if role == Qt.ItemDataRole.ToolTipRole:
            reason = reason_for(self.assessment, f.id)
            moved = " - box moved by you" if self.review.moved(f.id) else ""
            return (
                f"{f.id} {f.category.value}: {f.detail or f.label} ({f.detector}, {f.score:.2f}){moved}"
                + (f"\n{reason}" if reason else "")
            )
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if self.review is None or role != Qt.ItemDataRole.CheckStateRole or index.column() != self.COVER:
            return False
        checked = value == Qt.CheckState.Checked or value == Qt.CheckState.Checked.value or value is True
        finding_id = self.finding_id(index.row())
        if finding_id is None:
            return False
        self.set_cover(finding_id, bool(checked))
        return True

    def set_cover(self, finding_id: str, value: bool) -> None:
        """Change one decision as an undoable command."""
        if self.review is None or self.review.covers(finding_id) == value:
            return
        cmd = SetCoverCommand(self.review, finding_id, value, self._changed)
        if self.undo is not None:
            self.undo.push(cmd)
        else:
            cmd.redo()

    def refresh(self) -> None:
        """The review changed (a tick, a moved box): show it."""
        if self.review is not None:
            self._rows = self.review.findings
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))


def _nothing() -> None:
    pass
