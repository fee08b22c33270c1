"""Qt models adapting core objects: the photo list (scan results) and the findings of one photo."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QImage, QUndoStack

from desktop.undo import SetCoverCommand
from desktop.verdict import Verdict, default_cover, reason_for, verdict_for
from sharesafe.redact import Style
from sharesafe.review import Review
from sharesafe.types import Category, ExportResult, ScanResult

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

VerdictRole = Qt.ItemDataRole.UserRole + 1
EntryRole = Qt.ItemDataRole.UserRole + 2


@dataclass(eq=False)
class PhotoEntry:
    """One photo in the session: its scan, the user's decisions and its edit history."""

    path: Path
    result: ScanResult | None = None
    thumb: QImage | None = None
    review: Review | None = None
    undo: QUndoStack | None = None
    export: ExportResult | None = None
    assessment: Any | None = None  # the policy profile's assessment, when policies are installed
    note: str = ""  # e.g. "not scanned (cancelled)"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict:
        return verdict_for(self.result, self.assessment)

    def ensure_review(self, style: Style) -> Review | None:
        if self.result is None or not self.result.ok:
            return None
        if self.review is None:
            self.review = Review(self.result, style=style)
            self.apply_policy_defaults()
        return self.review

    def apply_policy_defaults(self) -> None:
        """Tick what the policy says to cover (only while the user has not edited this photo)."""
        cover = default_cover(self.assessment)
        edited = self.undo is not None and self.undo.count() > 0
        if (
            self.review is not None
            and cover is not None
            and not edited
            and len(cover) == len(self.review.cover)
        ):
            self.review.cover = cover

    @property
    def summary(self) -> str:
        if self.result is None:
            return self.note or "waiting to be checked"
        if self.result.error is not None:
            return self.result.error
        n = len(self.result.findings)
        risky = sum(1 for m in self.result.metadata if m.risk.rank >= 2)
        parts = [f"{n} finding{'s' if n != 1 else ''}"]
        if risky:
            parts.append(f"{risky} metadata risk{'s' if risky != 1 else ''}")
        if self.export is not None:
            parts.append("exported" if self.export.ok else "export failed")
        return ", ".join(parts)


class PhotoListModel(QAbstractListModel):
    """The photos of the session, in the order they were added."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.entries: list[PhotoEntry] = []
        self._by_path: dict[Path, int] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.path.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.path}\n{entry.verdict.label}: {entry.summary}"
        if role == Qt.ItemDataRole.DecorationRole:
            return entry.thumb
        if role == VerdictRole:
            return entry.verdict
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

    def counts(self) -> dict[Verdict, int]:
        out = {v: 0 for v in Verdict}
        for e in self.entries:
            out[e.verdict] += 1
        return out


class FindingsModel(QAbstractTableModel):
    """The findings of one photo: a "cover this" checkbox per row (edits go through the undo stack)."""

    COLUMNS = ("Cover", "Category", "What", "Confidence", "Reason")
    COVER, CATEGORY, WHAT, SCORE, REASON = range(5)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.review: Review | None = None
        self.assessment: Any | None = None
        self.undo: QUndoStack | None = None
        self._changed: Any = None

    def set_review(
        self, review: Review | None, undo: QUndoStack | None, changed: Any, assessment: Any | None = None
    ) -> None:
        self.beginResetModel()
        self.review, self.undo, self._changed = review, undo, changed
        self.assessment = assessment
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self.review is None:
            return 0
        return len(self.review.scan.findings)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.COVER:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.review is None or not index.isValid():
            return None
        f = self.review.scan.findings[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and col == self.COVER:
            return Qt.CheckState.Checked if self.review.cover[index.row()] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.COVER:
                return "cover" if self.review.cover[index.row()] else "leave"
            if col == self.CATEGORY:
                return f.category.value
            if col == self.WHAT:
                return f.detail or f.label
            if col == self.SCORE:
                return f"{f.score:.2f}"
            if col == self.REASON:
                return reason_for(f, self.assessment, index.row())
        if role == Qt.ItemDataRole.DecorationRole and col == self.CATEGORY:
            return QColor(CATEGORY_COLOURS.get(f.category, "#ffffff"))
        if role == Qt.ItemDataRole.ToolTipRole:
            reason = reason_for(f, self.assessment, index.row())
            return f"{f.category.value}: {f.detail or f.label} ({f.detector}, {f.score:.2f})" + (
                f"\n{reason}" if reason else ""
            )
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if self.review is None or role != Qt.ItemDataRole.CheckStateRole or index.column() != self.COVER:
            return False
        checked = value == Qt.CheckState.Checked or value == Qt.CheckState.Checked.value or value is True
        self.set_cover(index.row(), bool(checked))
        return True

    def set_cover(self, row: int, value: bool) -> None:
        """Change one decision as an undoable command."""
        if self.review is None or self.review.cover[row] == value:
            return
        cmd = SetCoverCommand(self.review, row, value, self._changed or (lambda: None))
        if self.undo is not None:
            self.undo.push(cmd)
        else:
            cmd.redo()

    def refresh(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
