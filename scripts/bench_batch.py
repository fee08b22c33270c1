"""Benchmark a batch: photos per minute and memory, one photo at a time against the overlapped batch loop.

    python scripts/bench_batch.py [--count 200] [--workers 1 0] [--mode check|clean] [--detectors ...]

The batch loop is `sharesafe.jobs` (`check_many` for `scan`, `clean_many` for `clean`), the one every
front end uses. `--workers 1` is the serial figure (one photo after the other, as before issue 16);
`0` is the default (one thread per core, at most 4): decoding, metadata, hashing, covering and
encoding of some photos overlap with the detectors working on others, each detector seeing one photo
at a time, results in input order, at most 2 x workers photos taken ahead.

Photos: `--count` mixed files from ../shared/evaldata (every face, weapon and licence-plate photo,
then the metadata samples that decode: JPEG, HEIC, PNG, WebP, TIFF ...), repeated in order if the set
is smaller; `--generated N` adds N generated 12 MP street scenes among them (spread evenly).

Each configuration runs in its own fresh subprocess (detectors loaded and one warm-up photo first, not
timed) and reports its resident memory after each photo, so the table shows whether memory grows
with the batch: the peak over each quarter of the photos. `--distinct 50 --count 200` runs the same
50 photos four times: a batch whose memory grew with its length would peak higher in each round.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_scan import EVALDATA, ROOT  # the same ../shared/evaldata lookup (scripts/ is on sys.path)

_DECODABLE = ("JPEG", "HEIC", "HEIF", "PNG", "WEBP", "Extended WEBP", "TIFF", "GIF", "BMP")

_CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
from detectors import registry
from sharesafe import jobs
from sharesafe.policy import load_profile

paths = [Path(p) for p in json.loads(Path(sys.argv[1]).read_text())]
workers, mode, names = int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])

def rss_mib(field="VmRSS"):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0

dets = registry.build(names)
for d in dets:
    d.load()
profile = load_profile("strict")
jobs.check(paths[0], dets, profile)  # warm-up: first-run allocations, not timed
after_load = rss_mib()
rss, errors = [], 0
with tempfile.TemporaryDirectory() as out:
    start = time.perf_counter()
    if mode == "check":
        for c in jobs.check_many(paths, dets, profile, workers=workers or None):
            errors += c.scan.error is not None
            rss.append(rss_mib())
    else:
        with jobs.OutputFolder.open(Path(out)) as folder:
            for c in jobs.clean_many(paths, dets, profile, folder, workers=workers or None, redo=True):
                failed = c.checked is None or c.checked.scan.error is not None
                errors += failed or (c.copy is not None and c.copy.export is not None and not c.copy.ok)
                rss.append(rss_mib())
    seconds = time.perf_counter() - start
q = max(1, len(rss) // 4)
print(json.dumps({"workers": workers or jobs.default_workers(), "photos": len(rss), "seconds": seconds,
    "errors": errors, "after_load_mib": after_load, "first_quarter_peak_mib": max(rss[:q]),
    "quarter_peaks_mib": [max(rss[i * q : (i + 1) * q] or rss[-1:]) for i in range(4)],
    "peak_mib": max(rss), "last_mib": rss[-1], "hwm_mib": rss_mib("VmHWM")}))
"""


def pick_photos(count: int, generated: int, workdir: Path, distinct: int = 0) -> list[Path]:
    photos: list[Path] = []
    manifest = EVALDATA / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        order = {"face": 0, "weapon": 1, "licence_plate": 2, "metadata": 3}
        rows = [r for r in rows if r["category"] != "metadata" or r["format"] in _DECODABLE]
        rows.sort(key=lambda r: (order.get(r["category"], 9), r["file"]))
        # Interleave the categories so that every part of the batch is mixed.
        by_cat: dict[str, list[Path]] = {}
        for r in rows:
            by_cat.setdefault(r["category"], []).append(EVALDATA / r["file"])
        while any(by_cat.values()):
            for cat in list(by_cat):
                if by_cat[cat]:
                    photos.append(by_cat[cat].pop(0))
    if generated:
        from sharesafe.samples import exif_bytes, jpeg_bytes, street_scene

        made = []
        for i in range(generated):
            scene = street_scene(4000, 3000)
            scene[0:8, 0:8] = i % 256
            path = workdir / f"generated-{i:03d}.jpg"
            path.write_bytes(jpeg_bytes(scene, exif_bytes()))
            made.append(path)
        step = max(1, count // max(1, generated))
        for i, path in enumerate(made):
            photos.insert(min(len(photos), i * step), path)
    if not photos:
        raise SystemExit(f"no photos: {EVALDATA} has no manifest and --generated is 0")
    if distinct:
        photos = photos[:distinct]
    out = []
    while len(out) < count:
        out.extend(photos[: count - len(out)])
    return out


def run(paths_file: Path, workers: int, mode: str, names: list[str] | None) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(paths_file), str(workers), mode, json.dumps(names)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--generated", type=int, default=0, help="generated 12 MP photos among them")
    parser.add_argument(
        "--distinct",
        type=int,
        default=0,
        help="use only this many distinct photos, repeated up to --count (memory over repeats of one set)",
    )
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 0], help="configurations (1: serial, 0: default)"
    )
    parser.add_argument("--mode", choices=["check", "clean"], default="clean")
    parser.add_argument("--detectors", nargs="*", default=None, help="registry names (default: all defaults)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sharesafe-bench-batch-") as tmp:
        photos = pick_photos(args.count, args.generated, Path(tmp), args.distinct)
        paths_file = Path(tmp) / "photos.json"
        paths_file.write_text(json.dumps([str(p) for p in photos]))
        load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
        print(
            f"{len(photos)} photos ({len(set(photos))} distinct), mode {args.mode}, "
            f"{os.cpu_count()} cores, load average {' '.join(load)} at start"
        )
        print(
            "workers  photos/min  s/photo  errors  RSS after load  peak first 1/4  peak all  last  "
            "(MiB)  peak per quarter"
        )
        results = []
        for workers in args.workers:
            r = run(paths_file, workers, args.mode, args.detectors)
            results.append(r)
            print(
                f"{int(r['workers']):>7}  {r['photos'] / r['seconds'] * 60:>10.1f}  "
                f"{r['seconds'] / r['photos']:>7.2f}  {int(r['errors']):>6}  {r['after_load_mib']:>14.0f}  "
                f"{r['first_quarter_peak_mib']:>14.0f}  {r['peak_mib']:>8.0f}  {r['last_mib']:>4.0f}  "
                f"       {' '.join(f'{v:.0f}' for v in r['quarter_peaks_mib'])}"  # type: ignore[attr-defined]
            )
        if len(results) > 1:
            base = results[0]["photos"] / results[0]["seconds"]
            for r in results[1:]:
                speed = r["photos"] / r["seconds"] / base
                print(
                    f"workers {int(r['workers'])} vs {int(results[0]['workers'])}: {speed:.2f}x photos per minute"
                )
        load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
        print(f"load average at the end: {' '.join(load)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
