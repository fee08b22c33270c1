"""The review pane: the current photo's findings (tick to cover), why the policy cares about the
selected one, and its metadata; kept in step with the boxes in the image view. Every edit (tick,
draw, move, delete, cover style) goes through the photo's undo stack and names findings by id."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop import verdict
from desktop.imageview import ImageView
from desktop.models import FindingsModel, PhotoEntry
from desktop.panels import MetadataPanel
from desktop.undo import AddRegionCommand, MoveRegionCommand, RemoveRegionCommand, SetStyleCommand
from sharesafe.redact import Style
from sharesafe.review import Review
from sharesafe.types import Box, Finding


class ReviewPane(QSplitter):
    """Findings table, reasons and metadata of one photo, and the edits of its review."""

    changed = Signal()  # the current photo's review was edited (or an edit undone)
    selectionChanged = Signal()

    def __init__(self, view: ImageView, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.view = view
        self.entry: PhotoEntry | None = None
        self.findings = FindingsModel(self)
        self.table = QTableView()
        self.table.setModel(self.findings)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._table_row_changed)
        self.findings_title = QLabel("Findings")
        self.reason_view = QTextBrowser()
        self.reason_view.setPlaceholderText("Select a finding to see why your policy cares about it.")
        self.metadata = MetadataPanel()
        self.addWidget(_stacked(self.findings_title, self.table))
        self.addWidget(self.reason_view)
        self.addWidget(_stacked(QLabel("Metadata"), self.metadata))
        em = self.fontMetrics().height()
        self.setSizes([em * 10, em * 6, em * 16])
        view.regionDrawn.connect(self.add_region)
        view.regionMoved.connect(self.move_region)
        view.regionSelected.connect(self._view_selected)
        view.deleteRequested.connect(self.remove_region)

    # -- showing a photo ------------------------------------------------------------------------
    @property
    def review(self) -> Review | None:
        return self.entry.review if self.entry is not None else None

    def show_entry(self, entry: PhotoEntry | None, style: Style) -> None:
        """Show `entry`'s findings and metadata (None: nothing)."""
        self.entry = entry
        self.reason_view.clear()
        result = entry.result if entry is not None else None
        if entry is None or result is None:
            self.findings.set_review(None)
            self.metadata.show_metadata(None)
            return
        review = entry.ensure_review(style)
        self.findings.set_review(review, entry.undo, self._review_changed, entry.assessment)
        n = len(result.findings)
        self.findings_title.setText(f"Findings ({n})" if n else "Findings (none)")
        reasons = [verdict.metadata_reason(entry.assessment, i) for i in range(len(result.metadata))]
        self.metadata.show_metadata(result.metadata, result.error, reasons)

    def refresh_regions(self) -> None:
        """Draw the review's boxes on the view (once its image is shown)."""
        review = self.review
        if review is None or not self.view.has_image:
            return
        boxes = [(f, review.covers(f.id)) for f in review.findings]
        self.view.set_regions(boxes, review.manual_findings, self.view.selected())

    def _review_changed(self) -> None:
        """Called by every undo command after it changed the current photo's review."""
        self.findings.refresh()
        self.refresh_regions()
        self.changed.emit()

    # -- selection, kept in step between the table and the view --------------------------------------
    def selected_finding(self) -> Finding | None:
        """The selected box as the review has it (a finding, or a drawn region as a MANUAL finding)."""
        review, sel = self.review, self.view.selected()
        if review is None or sel is None:
            return None
        everything = [*review.findings, *review.manual_findings]
        return next((f for f in everything if f.id == sel), None)

    def _table_row_changed(self, current: QModelIndex | QPersistentModelIndex, _prev: object) -> None:
        self.reason_view.clear()
        finding_id = self.findings.finding_id(current.row()) if current.isValid() else None
        if finding_id is not None:
            self.view.select(finding_id)
            raw = str(self.findings.index(current.row(), FindingsModel.WHAT).data())
            what = html.escape(raw.strip().strip("\"'\u201c\u201d"))  # quoted once, here
            reasons = verdict.reasons_list(self.findings.assessment, finding_id)
            if reasons:
                items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons)
                self.reason_view.setHtml(f"<b>Why &ldquo;{what}&rdquo; matters</b><ul>{items}</ul>")
        self.selectionChanged.emit()

    def _view_selected(self, region_id: str) -> None:
        row = self.findings.row_of(region_id) if region_id else -1
        if row < 0:
            self.table.clearSelection()
        else:
            self.table.selectRow(row)
        self.selectionChanged.emit()

    # -- edits -------------------------------------------------------------------------------------
    def add_region(self, box: Box) -> None:
        entry = self.entry
        if entry is not None and entry.review is not None and entry.undo is not None:
            entry.undo.push(AddRegionCommand(entry.review, box, self._review_changed))

    def remove_region(self, region_id: str) -> None:
        entry = self.entry
        if entry is None or entry.review is None or entry.undo is None:
            return
        if region_id in entry.review.manual_ids:
            entry.undo.push(RemoveRegionCommand(entry.review, region_id, self._review_changed))

    def move_region(self, region_id: str, box: Box) -> None:
        """Cover `box` instead of what the finding (or drawn region) `region_id` had."""
        entry = self.entry
        if entry is None or entry.review is None or entry.undo is None:
            return
        if box != entry.review.box(region_id):
            entry.undo.push(MoveRegionCommand(entry.review, region_id, box, self._review_changed))
        else:
            self.refresh_regions()  # dragged back where it was: redraw it there

    def delete_selected(self) -> None:
        sel = self.view.selected()
        if sel is not None and self.view.selected_is_manual():
            self.remove_region(sel)

    def set_style(self, style: Style) -> None:
        entry = self.entry
        if entry is not None and entry.review is not None and entry.undo is not None:
            entry.undo.push(SetStyleCommand(entry.review, style, self._review_changed))


def _stacked(title: QLabel, body: QWidget) -> QWidget:
    w = QWidget()
    lay = QVBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(title)
    lay.addWidget(body)
    return w
