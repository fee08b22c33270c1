"""Side panels: the empty window's drop zone, the metadata panel grouped in plain language, and the
photo list's badge delegate."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.models import EntryRole, PhotoEntry
from desktop.verdict import BADGE_COLOURS
from sharesafe.types import MetadataItem, MetadataKind, Risk

#: Plain-language group titles and what each group gives away, in display order.
KIND_TITLES: dict[MetadataKind, tuple[str, str]] = {
    MetadataKind.LOCATION: ("Location", "reveals where this was taken"),
    MetadataKind.DEVICE: ("Device", "identifies the camera or phone (make, model, serial)"),
    MetadataKind.TIME: ("Time", "reveals when this was taken"),
    MetadataKind.PEOPLE: ("People", "names the owner, artist or copyright holder"),
    MetadataKind.HIDDEN: ("Hidden extras", "thumbnails, XMP, IPTC, maker notes that travel unseen"),
    MetadataKind.TECHNICAL: ("Technical", "settings that rarely identify anyone"),
}


class DropZone(QWidget):
    """What the window shows before any photo: drop photos or a folder, or open them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
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
        self.label = QLabel("Drop photos or a folder here")
        font = self.label.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        font.setBold(True)
        self.label.setFont(font)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.label)
        hint = QLabel(
            "ShareSafe checks each photo for faces, badges, police markings, number plates, readable "
            "text and revealing metadata, then writes a safe copy. Nothing leaves this computer."
        )
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setMaximumWidth(em * 32)
        hint.setMinimumWidth(em * 24)
        lay.addLayout(_centred(hint))
        lay.addSpacing(em)
        self.open_button = QPushButton("Open photos...")
        self.open_folder_button = QPushButton("Open folder...")
        lay.addLayout(_centred(self.open_button, self.open_folder_button))
        lay.addStretch(3)


def _centred(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return row


RISK_COLOURS = {Risk.HIGH: "#b91c1c", Risk.MEDIUM: "#b45309", Risk.LOW: "#4b5563", Risk.NONE: "#6b7280"}


class MetadataPanel(QTreeWidget):
    """Metadata of the current photo, one group per kind, each item with its risk and why it matters."""

    WHAT, RISK, VALUE = range(3)

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setColumnCount(3)
        self.setHeaderLabels(["What", "Risk", "Value"])
        self.setRootIsDecorated(True)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.setUniformRowHeights(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(self.WHAT, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.RISK, QHeaderView.ResizeMode.ResizeToContents)

    def show_metadata(
        self, items: list[MetadataItem] | None, error: str | None = None, reasons: list[str] | None = None
    ) -> None:
        """Show `items` grouped by kind; `reasons` (parallel to `items`) are the policy's, if any."""
        self.clear()
        if error is not None:
            row = QTreeWidgetItem(self, [f"Could not read this file: {error}"])
            row.setFirstColumnSpanned(True)
            row.setToolTip(0, error)
            return
        if items is None:
            return
        if not items:
            row = QTreeWidgetItem(self, ["No metadata found: nothing hidden travels with this photo"])
            row.setFirstColumnSpanned(True)
            return
        by_kind: dict[MetadataKind, list[tuple[MetadataItem, str]]] = {}
        for i, m in enumerate(items):
            reason = reasons[i] if reasons and i < len(reasons) else ""
            by_kind.setdefault(m.kind, []).append((m, reason))
        bold = QFont(self.font())
        bold.setBold(True)
        for kind, (title, blurb) in KIND_TITLES.items():
            group = by_kind.get(kind)
            if not group:
                continue
            worst = max((m for m, _ in group), key=lambda m: m.risk.rank).risk
            top = QTreeWidgetItem(self, [f"{title} ({len(group)})", worst.value, blurb])
            top.setFont(self.WHAT, bold)
            top.setForeground(self.RISK, QColor(RISK_COLOURS[worst]))
            top.setToolTip(self.VALUE, blurb)
            for m, reason in sorted(group, key=lambda mr: -mr[0].risk.rank):
                child = QTreeWidgetItem(top, [m.tag, m.risk.value, m.value])
                tip = f"{m.group} {m.tag}: {m.why}" + (f"\nPolicy: {reason}" if reason else "")
                for col in range(3):
                    child.setToolTip(col, tip)
                child.setForeground(self.RISK, QColor(RISK_COLOURS[m.risk]))
            top.setExpanded(kind is not MetadataKind.TECHNICAL)

    def group_titles(self) -> list[str]:
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]


class PhotoDelegate(QStyledItemDelegate):
    """Draws a photo row: thumbnail, file name, a coloured verdict badge and a one-line summary.

    All sizes derive from the font, so the list scales with the screen (125-200 %)."""

    def _metrics(self, option: QStyleOptionViewItem) -> tuple[QFontMetrics, int, int]:
        fm = QFontMetrics(option.font)
        line = fm.height()
        thumb = int(line * 4.75)  # name, badge and two lines of summary
        return fm, line, thumb

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        _fm, line, thumb = self._metrics(option)
        return QSize(line * 16, thumb + line // 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        entry: PhotoEntry = index.data(EntryRole)
        fm, line, thumb = self._metrics(option)
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(option.rect, option.palette.highlight())
        pad = line // 4
        r = option.rect.adjusted(pad, pad, -pad, -pad)
        thumb_rect = QRect(r.left(), r.top(), thumb, r.height())
        img: QImage | None = entry.thumb
        if img is not None and not img.isNull():
            scaled = img.scaled(
                thumb_rect.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            x = thumb_rect.left() + (thumb_rect.width() - scaled.width()) // 2
            y = thumb_rect.top() + (thumb_rect.height() - scaled.height()) // 2
            painter.drawImage(x, y, scaled)
        else:
            painter.fillRect(thumb_rect, QColor("#374151"))
            painter.setPen(QColor("#d1d5db"))
            painter.drawText(thumb_rect, Qt.AlignmentFlag.AlignCenter, "?" if entry.result else "...")
        text_left = thumb_rect.right() + line // 2
        text_w = r.right() - text_left
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(role))
        name_font = QFont(option.font)
        name_font.setBold(True)
        painter.setFont(name_font)
        name = QFontMetrics(name_font).elidedText(entry.path.name, Qt.TextElideMode.ElideMiddle, text_w)
        painter.drawText(QRect(text_left, r.top(), text_w, line), Qt.AlignmentFlag.AlignVCenter, name)
        # Verdict badge
        badge = entry.badge
        painter.setFont(option.font)
        label = badge.label
        bw = fm.horizontalAdvance(label) + line
        pill = QRect(text_left, r.top() + int(line * 1.25), bw, line + line // 4)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor(BADGE_COLOURS[badge]))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(pill, line / 3, line / 3)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
        # Summary (count of findings, or the error message)
        painter.setPen(option.palette.color(role))
        top = pill.bottom() + line // 4
        for i, text in enumerate(wrap_lines(fm, entry.summary, text_w, 2)):
            painter.drawText(
                QRect(text_left, top + i * line, text_w, line), Qt.AlignmentFlag.AlignVCenter, text
            )
        painter.restore()


def wrap_lines(fm: QFontMetrics, text: str, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap into at most `max_lines` lines, the last one elided."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for i, word in enumerate(words):
        trial = f"{current} {word}".strip()
        if fm.horizontalAdvance(trial) <= width or not current:
            current = trial
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            current = " ".join(words[i:])
            break
    if current:
        lines.append(current)
    return [fm.elidedText(t, Qt.TextElideMode.ElideRight, width) for t in lines[:max_lines]]
