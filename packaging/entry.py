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


#: How long the desktop check waits for the app to report its detectors ready.
GUI_TIMEOUT_S = 300


def _gui_check() -> str:
    """The real desktop app starts, shows its window and loads its detectors, then quits (offscreen
    when there is no display). Uses the app's own `--timings` lines."""
    import contextlib
    import io
    import tempfile
    from pathlib import Path

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import desktop.app as gui

    app = QApplication.instance() or QApplication([sys.argv[0]])
    timed_out: list[bool] = []

    def give_up() -> None:
        timed_out.append(True)
        app.quit()

    QTimer.singleShot(GUI_TIMEOUT_S * 1000, give_up)
    log = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="sharesafe-gui-check-") as tmp, contextlib.redirect_stderr(log):
        try:
            code = gui.main(["--timings", "--quit-when-ready", "--settings", str(Path(tmp) / "settings.ini")])
        except SystemExit as exc:  # e.g. an argument the app does not know
            raise RuntimeError(f"the desktop app exited ({exc.code}): {log.getvalue()[-500:]}") from None
    if timed_out:
        raise RuntimeError(f"the desktop app was not ready within {GUI_TIMEOUT_S} s")
    timings = dict(
        line.removeprefix("timing: ").rsplit(" ", 2)[:2]
        for line in log.getvalue().splitlines()
        if line.startswith("timing: ")
    )
    if code != 0 or "window shown" not in timings or "detectors ready" not in timings:
        raise RuntimeError(f"exit {code}, timings {timings}: {log.getvalue()[-500:]}")
    return (
        f"on Qt platform {QApplication.platformName()}; window shown at {timings['window shown']} s, "
        f"detectors ready at {timings['detectors ready']} s"
    )


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
