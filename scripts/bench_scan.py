"""Benchmark a full check of a 12 MP photo beside deface (face-only) on the same photo.

    python scripts/bench_scan.py [--image PHOTO] [--composite] [--runs 5] [--detectors faces text ...]

A full check is `sharesafe.pipeline.scan`: read the file, decode it upright, read its metadata, run
every registered default detector in turn, pad and merge. deface is timed doing what its CLI does for a
photo minus writing the result: decode the file and run its CenterFace at full resolution (its default).

Each side runs in its own fresh subprocess (models loaded and one warm-up run first, not timed) so
peak memory (`ru_maxrss`, which includes onnxruntime's native allocations) is per side.

Printed for ShareSafe: the marginal time of a full check (median of `--runs`, models already loaded),
its CPU time (all threads: a figure that load on a shared machine changes little, and that divided by
the cores is the least the check can take), peak memory, and each detector's cost inside a scan (run
in turn, given what the earlier ones found: wall, CPU, share of the CPU, and model passes, i.e.
onnxruntime runs). The load average is printed at the start and the end: timings taken while other
jobs run are not valid speed figures.

Default photo: the largest real 12 MP photo in ../shared/evaldata/metadata (a 4032x3024 HEIC).
`--composite` pastes the labelled face and plate photos from the eval set, enlarged, into that photo
and saves it as a 12 MP JPEG, so the timing includes real faces, text and plates to process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVALDATA = next(
    (
        p / "shared" / "evaldata"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared" / "evaldata").is_dir()
    ),
    ROOT.parent / "shared" / "evaldata",
)
DEFAULT_PHOTO = EVALDATA / "metadata" / "pillow_heif__tests_images_heif_other_pug.heic"

_CHILD_SHARESAFE = r"""
import json, os, resource, sys, time
from collections import defaultdict
import onnxruntime as ort
passes = defaultdict(int)
current = ["-"]
_run = ort.InferenceSession.run
def counted_run(self, *a, **k):
    passes[current[0]] += 1
    return _run(self, *a, **k)
ort.InferenceSession.run = counted_run
from detectors import registry
from sharesafe.pipeline import scan, run_detectors
from sharesafe.image import load_image
path, runs, names = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
dets = registry.build(names)
t = time.perf_counter()
for d in dets:
    d.load()
load_s = time.perf_counter() - t
first = scan(path, dets)  # warm-up (first-run allocations), not timed
times, cpus = [], []
for _ in range(runs):
    c = time.process_time()
    r = scan(path, dets)
    cpus.append(time.process_time() - c)
    times.append(r.seconds)
    assert r.error is None, r.error
# Each detector's cost inside a scan (given what the earlier ones found), run in turn on this thread.
class Timed:
    def __init__(self, det):
        self.det, self.name, self.categories = det, det.name, det.categories
        self.wall, self.cpu = [], []
        if hasattr(det, "context_categories"):
            self.context_categories = det.context_categories
    def detect(self, image, context=()):
        current[0] = self.name
        t, c = time.perf_counter(), time.process_time()
        try:
            return self.det.detect(image, context)
        finally:
            self.wall.append(time.perf_counter() - t); self.cpu.append(time.process_time() - c)
            current[0] = "-"
timed = [Timed(d) for d in dets]
pixels = load_image(path).pixels
passes.clear()
reps = max(1, runs // 2)
os.environ["SHARESAFE_DETECTOR_THREADS"] = "1"  # in turn, so that each detector's time is its own
for _ in range(reps):
    run_detectors(pixels, timed)
med = lambda xs: sorted(xs)[len(xs) // 2]
per = {d.name: {"wall_s": med(d.wall), "cpu_s": med(d.cpu), "passes": passes[d.name] // reps} for d in timed}
print(json.dumps({"times": times, "cpu_s": cpus, "load_s": load_s, "per_detector": per,
    "findings": [f"{f.category.value}:{f.label}:{f.detail or ''}" for f in r.findings],
    "detector_errors": r.detector_errors, "metadata_items": len(r.metadata),
    "size": [r.width, r.height], "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_CHILD_DEFACE = r"""
import contextlib, io, json, resource, sys, time
from deface.centerface import CenterFace
from sharesafe.image import load_image
path, runs = sys.argv[1], int(sys.argv[2])
with contextlib.redirect_stdout(io.StringIO()):
    cf = CenterFace(in_shape=None, backend="auto")
img = load_image(path).pixels
cf(img, threshold=0.2)  # warm-up
times = []
for _ in range(runs):
    t = time.perf_counter()
    img = load_image(path).pixels
    dets, _ = cf(img, threshold=0.2)
    times.append(time.perf_counter() - t)
print(json.dumps({"times": times, "faces": int(len(dets)), "backend": cf.backend,
    "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_composite(base: Path, out: Path) -> Path:
    """Paste the eval set's face and plate photos, enlarged, into a 12 MP photo."""
    import csv

    from PIL import Image

    from sharesafe.image import load_image

    canvas = Image.fromarray(load_image(base).pixels).resize((4032, 3024))
    with (EVALDATA / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["category"] in ("face", "licence_plate")]
    picks = [r for r in rows if r["category"] == "face"][:4] + [
        r for r in rows if r["category"] == "licence_plate"
    ][:4]
    for i, row in enumerate(picks):
        tile = Image.fromarray(load_image(EVALDATA / row["file"]).pixels)
        tile.thumbnail((1000, 1000))
        canvas.paste(tile, (40 + (i % 4) * 1000, 200 + (i // 4) * 1400))
    canvas.save(out, quality=92)
    return out


def _child(code: str, args: list[str]) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=DEFAULT_PHOTO)
    parser.add_argument("--composite", action="store_true", help="paste eval faces and plates into the photo")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--detectors", nargs="*", default=None, help="registry names (default: all defaults)")
    parser.add_argument("--no-deface", action="store_true")
    args = parser.parse_args(argv)
    image = args.image
    tmp = None
    if args.composite:
        tmp = tempfile.TemporaryDirectory()
        image = make_composite(args.image, Path(tmp.name) / "composite-12mp.jpg")
    if not image.is_file():
        print(f"no such photo: {image}", file=sys.stderr)
        return 2
    load_start = os.getloadavg()
    ours = _child(_CHILD_SHARESAFE, [str(image), str(args.runs), json.dumps(args.detectors)])
    ours_med = statistics.median(ours["times"])  # type: ignore[arg-type]
    cpu_med = statistics.median(ours["cpu_s"])  # type: ignore[arg-type]
    cores = os.cpu_count() or 1
    print(f"load average at start: {load_start[0]:.2f} (1 min), {load_start[1]:.2f} (5 min) on {cores} cores")
    print(f"photo: {image.name} {ours['size'][0]}x{ours['size'][1]}  runs: {args.runs}")  # type: ignore[index]
    print(
        f"ShareSafe full check, marginal (read, decode, metadata, every default detector; models loaded): "
        f"median {ours_med:.3f} s  min {min(ours['times']):.3f} s  max {max(ours['times']):.3f} s"  # type: ignore[arg-type]
    )
    print(
        f"  CPU time per check: median {cpu_med:.3f} s (all threads; on {cores} idle cores the check "
        f"cannot take less than {cpu_med / cores:.3f} s)"
    )
    print(f"  peak RSS {ours['maxrss_mib']:.0f} MiB;  model load (once per session): {ours['load_s']:.2f} s")
    print("  each detector inside a scan, run in turn (median wall / CPU, model passes):")
    per = ours["per_detector"]
    total_cpu = sum(v["cpu_s"] for v in per.values()) or 1.0  # type: ignore[attr-defined]
    for name, v in per.items():  # type: ignore[attr-defined]
        print(
            f"    {name:15s} {v['wall_s']:.3f} s / {v['cpu_s']:.3f} s CPU ({100 * v['cpu_s'] / total_cpu:4.1f} %)"
            f"  {v['passes']} pass(es)"
        )
    print(f"  findings: {len(ours['findings'])}  metadata items: {ours['metadata_items']}")  # type: ignore[arg-type]
    if ours["detector_errors"]:
        print(f"  detector errors: {ours['detector_errors']}")
    if not args.no_deface:
        ref = _child(_CHILD_DEFACE, [str(image), str(args.runs)])
        ref_med = statistics.median(ref["times"])  # type: ignore[arg-type]
        print(
            f"deface CenterFace full resolution (face-only, {ref['backend']}): median {ref_med:.3f} s  "
            f"peak RSS {ref['maxrss_mib']:.0f} MiB  faces {ref['faces']}"
        )
        print(
            f"ratio ShareSafe full check / deface face-only: {ours_med / ref_med:.2f} "
            f"(ShareSafe {ref_med / ours_med:.2f}x faster)"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
