"""Dialogs: the result of an export (with its verification) and the batch summary. Both are
non-modal so a batch keeps running and tests can inspect them."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.models import PhotoEntry
from desktop.verdict import SUMMARY_ORDER, Badge
from sharesafe.jobs import SafeCopy


def open_folder(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def describe_copy(copy: SafeCopy) -> str:
    """One paragraph an officer can read: what was written and whether it verified clean."""
    res = copy.export
    if res is None:
        return f"Not written - {copy.checked.verdict.text}: {copy.refused}. Covering cannot fix this photo."
    forced = (
        "\nWritten at your request although the policy says not to share this photo; the audit record says so."
        if copy.forced
        else ""
    )
    if res.output is None and res.unsafe_copy is not None:
        return (
            f"NOT SAFE - do not share. The copy failed its check: {res.error or 'not verified'}\n"
            f"It was kept, for inspection only, as {res.unsafe_copy} (outside the safe copies)."
        )
    if res.output is None:
        return f"Not exported: {res.error or 'unknown problem'}"
    lines = [f"Safe copy: {res.output}"]
    if res.ok:
        lines.append(
            "Verified: the copy was read back from disk; no metadata is left"
            + (", and the re-scan finds nothing in the covered areas." if res.mode == "reencode" else ".")
        )
    else:
        lines.append(f"NOT VERIFIED - do not share it: {res.error}")
    removed = len(res.metadata_removed)
    lines.append(
        f"Covered {len(res.covered)} region(s), left {len(res.left)} as you chose; "
        f"removed {removed} metadata item(s)."
    )
    return "\n".join(lines) + forced


class ExportDialog(QDialog):
    """Shows the result of one or more exports and offers to open the output folder."""

    def __init__(
        self,
        copies: Sequence[SafeCopy],
        out_dir: Path,
        parent: QWidget | None = None,
        audit: Sequence[Path] = (),
        audit_problem: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.audit = list(audit)
        self.copies = list(copies)
        self.out_dir = out_dir
        results = self.copies
        ok = sum(1 for r in results if r.ok)
        self.setWindowTitle("Safe copy written" if ok == len(results) else "Export problems")
        layout = QVBoxLayout(self)
        em = self.fontMetrics().height()
        self.setMinimumWidth(em * 34)
        self.heading = QLabel(
            "Safe copy written and verified"
            if ok == len(results)
            else "Some safe copies are NOT safe to share"
            if len(results) > 1
            else "This copy is NOT safe to share"
        )
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.heading.setFont(font)
        self.heading.setStyleSheet(f"color: {'#15803d' if ok == len(results) else '#b91c1c'}")
        layout.addWidget(self.heading)
        if len(results) == 1:
            self.message = QLabel(describe_copy(results[0]))
        else:
            self.message = QLabel(f"{ok} of {len(results)} safe copies written and verified in {out_dir}.")
        if self.audit:
            self.message.setText(self.message.text() + f"\nAudit record: {self.audit[-1]} (.json, .csv)")
        if audit_problem:
            self.message.setText(self.message.text() + f"\nWarning: {audit_problem}")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        failed = [r for r in results if not r.ok]
        if len(results) > 1 and failed:
            tree = QTreeWidget()
            tree.setHeaderLabels(["Photo", "Problem"])
            for r in failed:
                QTreeWidgetItem(tree, [r.checked.path.name, _problem(r)])
            tree.resizeColumnToContents(0)
            tree.setWordWrap(True)
            layout.addWidget(tree)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton("Open folder")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.clicked.connect(lambda: open_folder(self.out_dir))
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)


def _problem(copy: SafeCopy) -> str:
    res = copy.export
    if res is None:
        return f"not written: {copy.checked.verdict.text} ({copy.refused})"
    kept = f" (kept as NOT-SAFE/{res.unsafe_copy.name})" if res.unsafe_copy else ""
    return (res.error or "not verified") + kept


class SummaryDialog(QDialog):
    """After a batch scan: photos per verdict, each error with its reason, and "Make all safe"."""

    makeAllSafe = Signal()

    def __init__(
        self,
        entries: Sequence[PhotoEntry],
        seconds: float,
        cancelled: bool,
        parent: QWidget | None = None,
        on_make_all: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch summary")
        layout = QVBoxLayout(self)
        em = self.fontMetrics().height()
        self.setMinimumSize(em * 36, em * 22)
        counts = dict.fromkeys(Badge, 0)
        for e in entries:
            counts[e.badge] += 1
        scanned = sum(1 for e in entries if e.result is not None)
        head = f"Checked {scanned} of {len(entries)} photo(s) in {seconds:.1f} s"
        head += " - cancelled." if cancelled else "."
        self.heading = QLabel(head)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.counts = counts
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Verdict", "Photos"])
        self.table.setRootIsDecorated(False)
        for v in SUMMARY_ORDER:
            if v is Badge.PENDING and not counts[v]:
                continue
            label = "Not checked" if v is Badge.PENDING else v.label
            QTreeWidgetItem(self.table, [label, str(counts[v])])
        self.table.resizeColumnToContents(0)
        self.table.setMaximumHeight(em * 7)
        layout.addWidget(self.table)
        errors = [e for e in entries if e.result is not None and e.result.error is not None]
        self.error_rows = [(e.path.name, e.result.error or "") for e in errors if e.result is not None]
        self.errors = QTextBrowser()
        self.errors.setHtml(
            "<ul>"
            + "".join(f"<li><b>{html.escape(n)}</b>: {html.escape(r)}</li>" for n, r in self.error_rows)
            + "</ul>"
        )
        if errors:
            layout.addWidget(QLabel(f"{len(errors)} photo(s) could not be checked:"))
            layout.addWidget(self.errors)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.make_all = QPushButton("Make all safe")
        self.make_all.setToolTip("Export a safe copy of every checked photo with the default decisions")
        self.make_all.setEnabled(any(e.result is not None and e.result.ok for e in entries))
        buttons.addButton(self.make_all, QDialogButtonBox.ButtonRole.ActionRole)
        self.make_all.clicked.connect(self.makeAllSafe.emit)
        self.make_all.clicked.connect(self.accept)
        if on_make_all is not None:
            self.makeAllSafe.connect(on_make_all)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
