"""Run the real desktop app under Xvfb on generated sample photos and save screenshots of every state.

    python scripts/screenshots.py [--out screenshots] [--runs 3]

Starts Xvfb (display :99, 1600x1000, and :98 at 2800x1800 for a 200 % scaled run), then runs this
script again inside it as the app's driver (`--child`), which opens photos, waits for scans, draws a
region, exports, runs a batch and grabs the window at each step. It also launches
`python -m desktop --timings --quit-when-ready` a few times and prints the start-up timings.

The app uses whatever detectors are registered. When none are (a core-only checkout), the screenshots
of findings use a clearly labelled demo detector that marks the known regions of the sample photo.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------------------------------
# parent: Xvfb, timings, children
def start_xvfb(display: str, size: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sock = Path(f"/tmp/.X11-unix/X{display.lstrip(':')}")
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.05)
    time.sleep(0.2)
    return proc


def qt_env(display: str, scale: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT))
    env.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    if scale:
        env["QT_SCALE_FACTOR"] = scale
    return env


def measure_startup(env: dict[str, str], runs: int, settings: Path) -> list[dict[str, float]]:
    """Wall time from process launch to 'window shown' and 'detectors ready', seen from outside."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktop", "--timings", "--quit-when-ready", "--settings", str(settings)],
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        marks: dict[str, float] = {}
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("timing: "):
                what = line[len("timing: ") :].rsplit(" ", 2)[0]
                marks[what] = time.perf_counter() - t0
                marks[what + " (in-process)"] = float(line.rsplit(" ", 2)[1])
        proc.wait(timeout=600)
        out.append(marks)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--runs", type=int, default=3, help="start-up timing runs")
    parser.add_argument("--child", nargs=2, metavar=("OUT", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="", help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(Path(args.child[0]), Path(args.child[1]), args.prefix, args.full)

    if not shutil.which("Xvfb"):
        print("error: Xvfb is not installed", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="sharesafe-shots-"))
    procs = [start_xvfb(":99", "1600x1000"), start_xvfb(":98", "2800x1800")]
    try:
        env = qt_env(":99")
        for prefix, e, full in (("", env, True), ("scaled200-", qt_env(":98", "2"), False)):
            code = subprocess.call(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(args.out),
                    str(work / prefix.strip("-") or "x1"),
                    "--prefix",
                    prefix,
                ]
                + (["--full"] if full else []),
                env=e,
            )
            if code:
                print(f"error: screenshot run {prefix or 'x1'} failed ({code})", file=sys.stderr)
                return code
        marks = measure_startup(env, args.runs, work / "timing.ini")
        print(f"start-up over {len(marks)} run(s), wall time from launch (median, min-max):")
        for key in marks[0]:
            vals = [m[key] for m in marks if key in m]
            print(f"  {key}: {statistics.median(vals):.2f} s ({min(vals):.2f}-{max(vals):.2f})")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"screenshots in {args.out}")
    return 0


# --------------------------------------------------------------------------------------------------
# child: drive the real app inside the X server
def child(out: Path, work: Path, prefix: str, full: bool) -> int:
    from desktop.app import _guard_qt_env

    _guard_qt_env()
    import shutil as sh

    from PySide6.QtCore import QEventLoop, QModelIndex, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.mainwindow import MainWindow, default_loader
    from desktop.settings import Settings
    from sharesafe.samples import write_samples

    samples = write_samples(work / "samples")
    street = samples[0]
    batch = work / "batch"
    batch.mkdir(parents=True)
    for i in range(10):
        sh.copy(street, batch / f"patrol-{i:02d}.jpg")
    for p in samples[1:]:
        sh.copy(p, batch / p.name)

    demo_used: list[bool] = []

    def loader() -> list[object]:
        dets = list(default_loader())
        if dets:
            return dets
        demo_used.append(True)
        from tests.desktop.desktop_fakes import FakeDetector

        demo = FakeDetector(delay=0.25)
        demo.name = "sample-regions (demo: no detectors registered)"
        return [demo]

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings(work / "settings.ini")
    settings.output_dir = work / "safe-copies"
    w = MainWindow(settings, load_detectors=loader)  # type: ignore[arg-type]
    screen = app.primaryScreen().availableGeometry()
    w.resize(int(screen.width() * 0.92), int(screen.height() * 0.92))
    w.move(screen.left() + 10, screen.top() + 10)
    w.show()

    def pump(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait(signal: object, timeout_ms: int = 300_000) -> list[object]:
        got: list[object] = []
        loop = QEventLoop()

        def fire(*a: object) -> None:
            got.extend(a)
            loop.quit()

        signal.connect(fire)  # type: ignore[attr-defined]
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        signal.disconnect(fire)  # type: ignore[attr-defined]
        return got

    def shot(name: str, widget: object = None) -> None:
        pump(250)
        target = widget or w
        pix = target.grab()  # type: ignore[attr-defined]
        path = out / f"{prefix}{name}.png"
        pix.save(str(path))
        print(f"saved {path}")

    def screen_shot(name: str) -> None:
        pump(300)
        pix = app.primaryScreen().grabWindow(0)
        path = out / f"{prefix}{name}.png"
        pix.save(str(path))
        print(f"saved {path}")

    pump(300)
    shot("01-empty-state")
    w.start()
    if w.detectors is None:
        wait(w.detectorsReady)
    w.open_paths([street])
    wait(w.imageShown)
    rows = w.findings.rowCount()
    if rows:
        w.table.selectRow(0)
    shot("02-photo-with-findings")
    shot("03-metadata-panel", w.metadata.parentWidget())
    if not full:
        w.close()
        return 0
    # a manual region and the live preview of the result
    from sharesafe.types import Box

    w.add_region(Box(60, 1040, 380, 1180))
    w.acts.preview.setChecked(True)  # the preview of the safe copy comes from a worker
    wait(w.previewReady, 30_000)
    shot("04-preview-of-result")
    w.make_safe()
    wait(w.exportFinished)
    screen_shot("05-make-safe-verified")
    for d in list(w.dialogs):
        d.close()
    # batch folder scan
    w.list_view.setCurrentIndex(QModelIndex())
    scanned = [0]
    grabbed = [False]

    def on_scanned(_e: object) -> None:
        scanned[0] += 1
        if scanned[0] == 4 and not grabbed[0]:
            grabbed[0] = True
            shot("06-batch-progress")

    w.scanned.connect(on_scanned)
    w.open_paths([batch])
    wait(w.batchFinished)
    screen_shot("07-batch-summary")
    for d in list(w.dialogs):
        d.close()
    bad = w.photos.entry_for(batch / "broken-download.jpg")
    if bad is not None:
        w.select_entry(bad)
    shot("08-error-in-list")
    if demo_used:
        print("note: no detectors are registered; findings came from the labelled demo detector")
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
