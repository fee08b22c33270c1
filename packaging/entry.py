"""Entry point of the bundled app (PyInstaller's script; also runs unfrozen for development).

sharesafe                  open the desktop app
sharesafe gui [PATH...]    the same, with photos to open
sharesafe --self-test      load every detector, scan and clean a generated photo, check the desktop
                           window can be shown; exit 0 only when every check passes
sharesafe COMMAND ...      the command-line interface (scan, clean, demo, detectors, self-test)
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _offline_env() -> None:
    # Belt and braces: the detectors set these themselves; a frozen app must never try to download.
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _gui_check() -> str:
    """The desktop window can be built and shown (offscreen when there is no display)."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import importlib

    app_module = importlib.import_module("desktop.app")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window_cls = getattr(app_module, "MainWindow", None)
    if window_cls is None:
        return f"desktop.app imported, Qt platform {QApplication.platformName()} (no MainWindow to show)"
    window = window_cls()
    window.show()
    for _ in range(5):
        app.processEvents()
    shown = window.isVisible()
    title = window.windowTitle()
    window.close()
    app.processEvents()
    if not shown:
        raise RuntimeError("the main window did not become visible")
    return f"'{title}' shown on Qt platform {QApplication.platformName()}"


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # torch/ultralytics may start worker processes
    _offline_env()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] == "gui":
        from desktop.app import main as gui_main

        code: int = gui_main(args[1:])
        return code
    if args[0] == "--self-test":
        from sharesafe.selftest import run_self_test

        extra = [] if "--no-gui" in args[1:] else [("desktop window shown", _gui_check)]
        return run_self_test(extra=extra)
    from sharesafe.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
