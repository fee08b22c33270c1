"""Measure the bundled app's cold start: process launch to its main window mapped on an X display.

    python packaging/measure_startup.py [dist/sharesafe/sharesafe] [--runs 3] [--title ShareSafe]

Starts a private Xvfb, runs the app with QT_QPA_PLATFORM=xcb (the platform a Linux desktop uses), and
polls the X server (xwininfo) until a top-level window whose name contains `--title` is viewable. The
time is measured from outside the app, so it includes the bootloader unpacking nothing (one-folder
build), Python start-up, imports and building the window. The first run after a build is the closest
to a cold start (later runs find the files in the page cache); every run is printed. Anything the app
prints (e.g. the desktop app's own timing lines) is shown after each run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def _viewable(display: str, title: str) -> bool:
    tree = subprocess.run(
        ["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True
    ).stdout
    for line in tree.splitlines():
        m = re.match(r"\s*(0x[0-9a-f]+) \"([^\"]*)\"", line)
        if m and title in m.group(2):
            info = subprocess.run(
                ["xwininfo", "-id", m.group(1)],
                env={**os.environ, "DISPLAY": display},
                capture_output=True,
                text=True,
            ).stdout
            if "Map State: IsViewable" in info:
                return True
    return False


def measure(
    app: Path, title: str, timeout: float, display: str, home: Path, extra: list[str]
) -> tuple[float, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "LANG": "C.UTF-8",
    }
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(app), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    shown = float("nan")
    try:
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                break
            if _viewable(display, title):
                shown = time.perf_counter() - started
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
    return shown, output


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("app", nargs="?", type=Path, default=REPO / "dist" / "sharesafe" / "sharesafe")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--title", default="ShareSafe")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument(
        "--timings",
        action="store_true",
        help="start it as `gui --timings` so the app prints its own window-shown/detectors-ready times",
    )
    args = p.parse_args(argv)
    if not args.app.is_file():
        print(f"no app at {args.app}; build it with `make bundle`", file=sys.stderr)
        return 2
    for tool in ("Xvfb", "xwininfo"):
        if not shutil.which(tool):
            print(f"{tool} is needed (apt-get install xvfb x11-utils)", file=sys.stderr)
            return 2
    n = _free_display()
    display = f":{n}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    times: list[float] = []
    try:
        deadline = time.time() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists() and time.time() < deadline:
            time.sleep(0.05)
        for i in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="sharesafe-home-") as home:
                extra = ["gui", "--timings"] if args.timings else []
                shown, output = measure(args.app, args.title, args.timeout, display, Path(home), extra)
            label = "first run (coldest)" if i == 0 else f"run {i + 1}"
            print(f"{label}: window shown after {shown:.2f} s")
            lines = [ln for ln in output.splitlines() if ln.strip()]
            for line in lines[-8:]:
                print(f"    app: {line}")
            times.append(shown)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    ok = [t for t in times if t == t]
    if not ok:
        print("the window was never shown", file=sys.stderr)
        return 1
    print(f"window shown: first {times[0]:.2f} s, best {min(ok):.2f} s over {len(times)} runs")
    return 0 if len(ok) == len(times) else 1


if __name__ == "__main__":
    sys.exit(main())
