"""Start the desktop app: `python -m desktop [--timings] [PATH...]` or `sharesafe gui [PATH...]`."""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # as early as possible: launch-to-window timings start here

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def _guard_qt_env() -> None:
    """opencv-python wheels may point Qt at their own plugins (QT_QPA_PLATFORM_PLUGIN_PATH), which
    breaks PySide6; the app always uses PySide6's own plugins."""
    os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    os.environ.pop("QT_PLUGIN_PATH", None)


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="sharesafe gui", description="Check photos before you share them.")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="photos or folders to check")
    p.add_argument("--timings", action="store_true", help="print start-up timings to stderr")
    p.add_argument("--settings", type=Path, help="use this INI file instead of the user's settings")
    p.add_argument("--quit-when-ready", action="store_true", help="exit once detectors are loaded (timing)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _guard_qt_env()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.mainwindow import MainWindow
    from desktop.settings import Settings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ShareSafe")
    app.setOrganizationName("ShareSafe")
    window = MainWindow(Settings(args.settings))

    def report(what: str) -> None:
        if args.timings:
            print(f"timing: {what} {time.perf_counter() - _T0:.3f} s", file=sys.stderr, flush=True)

    def ready(_dets: list[object]) -> None:
        report("detectors ready")
        if args.quit_when_ready:
            QTimer.singleShot(0, window.close)

    window.detectorsReady.connect(ready)
    window.show()

    def shown() -> None:
        report("window shown")
        window.start()
        if args.paths:
            window.open_paths(args.paths)

    QTimer.singleShot(0, shown)  # runs after the first paint is scheduled
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
