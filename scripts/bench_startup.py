"""Time ShareSafe's start-up from outside: a one-photo CLI check, and the desktop's "detectors ready".

    python scripts/bench_startup.py [--photo PHOTO ...] [--runs 5] [--no-desktop]

- CLI: `python -m sharesafe scan --json PHOTO` in a fresh process, launch to exit (interpreter start,
  imports, model loads, decode, metadata, every default detector, the verdict). Default photos: the
  generated sample street photo (small) and the 12 MP HEIC from ../shared/evaldata when present.
- Desktop: `python -m desktop --timings --quit-when-ready` on Qt's offscreen platform, with an empty
  settings file; reports launch-to-exit wall time and the app's own "detectors ready" time (measured
  from the import of desktop.app, i.e. without interpreter start-up).

Also reports whether torch or ultralytics were imported by the CLI run (they must not be: the scan
runs in a child with `-X importtime`, whose log names every module imported).
Each figure is the median of `--runs` runs; on a shared machine they are noisy, so the load average
is printed with each, and the CLI's CPU time (user + system of the child), which load changes less.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The same 12 MP photo as scripts/bench_scan.py.
DEFAULT_PHOTO = (
    next(
        (
            p / "shared" / "evaldata"
            for p in (ROOT.parent, ROOT.parent.parent)
            if (p / "shared" / "evaldata").is_dir()
        ),
        ROOT.parent / "shared" / "evaldata",
    )
    / "metadata"
    / "pillow_heif__tests_images_heif_other_pug.heic"
)

FORBIDDEN = ("torch", "torchvision", "ultralytics", "onnx")


def _env() -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        QT_QPA_PLATFORM="offscreen",
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_cli(photo: Path, runs: int) -> tuple[list[float], list[str], list[float]]:
    """Wall times of `runs - 1` one-photo scans (the first, with -X importtime, is not timed), the
    modules of the forbidden packages it imported, and each timed run's CPU time (user + system)."""
    times: list[float] = []
    cpus: list[float] = []
    imported: set[str] = set()
    for i in range(runs):
        cmd = [sys.executable, "-m", "sharesafe", "scan", "--json", str(photo)]
        if i == 0:
            cmd[1:1] = ["-X", "importtime"]  # one run lists its imports (slower: not timed)
        start = time.perf_counter()
        cpu = _children_cpu()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=ROOT, check=False)
        wall = time.perf_counter() - start
        if i > 0:
            cpus.append(_children_cpu() - cpu)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"scan failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        if i == 0:
            for line in proc.stderr.splitlines():
                m = re.match(r"import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", line)
                if m and m.group(1).strip().split(".")[0] in FORBIDDEN:
                    imported.add(m.group(1).strip())
        else:
            times.append(wall)
    return times, sorted(imported), cpus


def time_desktop(runs: int) -> tuple[list[float], list[float]]:
    walls: list[float] = []
    ready: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        ini = Path(tmp) / "settings.ini"
        for _ in range(runs):
            cmd = [sys.executable, "-m", "desktop", "--timings", "--quit-when-ready", "--settings", str(ini)]
            start = time.perf_counter()
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=_env(), cwd=ROOT, check=False, timeout=300
            )
            walls.append(time.perf_counter() - start)
            m = re.search(r"timing: detectors ready ([\d.]+) s", proc.stderr)
            if not m:
                raise SystemExit(f"no 'detectors ready' timing from the desktop app:\n{proc.stderr[-2000:]}")
            ready.append(float(m.group(1)))
    return walls, ready


def _fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.2f} s (min {min(xs):.2f}, max {max(xs):.2f}, n={len(xs)})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", type=Path, nargs="*", default=None)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-desktop", action="store_true")
    args = ap.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    photos = args.photo
    tmp = None
    if photos is None:
        from sharesafe.samples import write_samples

        tmp = tempfile.TemporaryDirectory()
        photos = [write_samples(Path(tmp.name))[0]]
        if DEFAULT_PHOTO.is_file():
            photos.append(DEFAULT_PHOTO)
    for photo in photos:
        times, imported, cpus = time_cli(photo, args.runs + 1)
        print(f"CLI one-photo scan, end to end ({photo.name}): {_fmt(times)}")
        print(
            f"  CPU time (user + system, all threads): median {statistics.median(cpus):.2f} s; "
            f"load average now {os.getloadavg()[0]:.1f}"
        )
        print(f"  torch/ultralytics/onnx imported: {', '.join(imported) if imported else 'none'}")
    if not args.no_desktop:
        walls, ready = time_desktop(args.runs)
        print(f"desktop 'detectors ready' (app's own clock, from desktop.app import): {_fmt(ready)}")
        print(f"  load average now {os.getloadavg()[0]:.1f}")
        print(f"desktop launch to exit once ready (outside clock): {_fmt(walls)}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
