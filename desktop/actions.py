"""The window's actions with their shortcuts, its menus and its toolbar (with the cover style and
policy pickers). Nothing here knows what an action does: the window connects each action's
`triggered` signal and each picker's `currentIndexChanged` to its own slots."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QToolBar

from desktop import verdict
from sharesafe.redact import Style

STYLE_NAMES = {Style.FILL: "Solid", Style.PIXELATE: "Pixelate", Style.BLUR: "Blur"}

Shortcut = QKeySequence | QKeySequence.StandardKey | list[QKeySequence] | None


class Actions:
    """Every action of the main window, the menus and the toolbar."""

    def __init__(self, window: QMainWindow, style: Style, profile: str | None) -> None:
        self.window = window
        K = QKeySequence
        self.open = self._make("&Open photos...", K.StandardKey.Open)
        self.open_folder = self._make("Open &folder...", K("Ctrl+Shift+O"), "Check every photo in a folder")
        self.make_safe = self._make(
            "&Make safe", K.StandardKey.Save, "Strip metadata and cover every ticked finding"
        )
        self.strip = self._make(
            "Strip metadata &only", K("Ctrl+Shift+S"), "Remove metadata without changing pixels"
        )
        self.make_all = self._make("Make &all safe", K("Ctrl+Alt+S"), "Export every checked photo")
        self.output = self._make("Output folder...")
        self.kit = self._make(
            "Force kit folder...", None, "Your force's crests, uniforms, vehicles, buildings"
        )
        self.quit = self._make("&Quit", K.StandardKey.Quit)
        self.undo = self._make("&Undo", K.StandardKey.Undo)
        self.redo = self._make("&Redo", [K("Ctrl+Shift+Z"), K("Ctrl+Y")])
        self.undo.setEnabled(False)
        self.redo.setEnabled(False)
        self.draw = self._make(
            "&Draw region", K("R"), "Drag on the photo to cover something the detectors missed"
        )
        self.draw.setCheckable(True)
        self.delete = self._make("Delete region", K.StandardKey.Delete)
        self.preview = self._make("Show &result", K("P"), "Preview the safe copy")
        self.preview.setCheckable(True)
        self.fit = self._make("Fit to window", K("Ctrl+0"))
        self.zoom_in = self._make("Zoom in", K.StandardKey.ZoomIn)
        self.zoom_out = self._make("Zoom out", K.StandardKey.ZoomOut)
        self.next = self._make("Next photo", K("Ctrl+Down"))
        self.prev = self._make("Previous photo", K("Ctrl+Up"))
        self.cancel = self._make("Cancel batch", K("Esc"))
        self.teach = self._make("Teach force kit...", None, "Add the selected region to your force kit")
        self.help = self._make("&Keyboard shortcuts", K.StandardKey.HelpContents)
        self._menus()
        self.style_combo, self.policy_combo = self._toolbar(style, profile)

    def _make(self, text: str, shortcut: Shortcut = None, tip: str = "") -> QAction:
        act = QAction(text, self.window)
        if isinstance(shortcut, list):
            act.setShortcuts(shortcut)
        elif shortcut is not None:
            act.setShortcut(shortcut)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        self.window.addAction(act)
        return act

    def _menus(self) -> None:
        mb = self.window.menuBar()
        layout: list[tuple[str, list[QAction | None]]] = [
            (
                "&File",
                [
                    *(self.open, self.open_folder, None, self.make_safe, self.strip, self.make_all, None),
                    *(self.output, None, self.quit),
                ],
            ),
            ("&Edit", [self.undo, self.redo, None, self.draw, self.delete, self.teach]),
            ("&View", [self.preview, self.fit, self.zoom_in, self.zoom_out, None, self.next, self.prev]),
            ("&Help", [self.help]),
        ]
        for title, actions in layout:
            menu = mb.addMenu(title)
            for a in actions:
                if a is None:
                    menu.addSeparator()
                else:
                    menu.addAction(a)

    def _toolbar(self, style: Style, profile: str | None) -> tuple[QComboBox, QComboBox]:
        tb = QToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.window.addToolBar(tb)
        for a in (self.open, self.open_folder, None, self.make_safe, self.strip, self.make_all, None):
            tb.addSeparator() if a is None else tb.addAction(a)
        for a in (self.draw, self.undo, self.redo, self.preview):
            tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(QLabel(" Cover: "))
        style_combo = QComboBox()
        for s, name in STYLE_NAMES.items():
            style_combo.addItem(name, s)
        style_combo.setCurrentIndex(list(STYLE_NAMES).index(style))
        style_combo.setToolTip("How faces and other regions are covered (text, plates, badges: always solid)")
        tb.addWidget(style_combo)
        policy_combo = QComboBox()
        policy_combo.setToolTip("Your force's social-media policy: decides the verdict and the reasons")
        available = verdict.profiles()
        for i, (name, title) in enumerate(available):
            policy_combo.addItem(title, name)
            policy_combo.setItemData(i, f"{title} [{name}]", Qt.ItemDataRole.ToolTipRole)
        policy_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        policy_combo.setMinimumContentsLength(22)
        wanted = profile or verdict.default_profile()
        names = [n for n, _ in available]
        policy_combo.setCurrentIndex(names.index(wanted) if wanted in names else 0)
        tb.addSeparator()
        tb.addWidget(QLabel(" Policy: "))
        tb.addWidget(policy_combo)
        return style_combo, policy_combo

    def shortcuts(self) -> list[tuple[str, str]]:
        """(action, keys) for every action with a shortcut, as shown in Help."""
        out = []
        for act in self.window.actions():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts())
            if keys:
                out.append((act.text().replace("&", "").rstrip("."), keys))
        return out
