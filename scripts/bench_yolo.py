"""Time a YOLO weights file as .pt against .onnx through ShareSafe's runner on CPU, on real photos.

    PYTHONPATH=$PWD python scripts/bench_yolo.py persons --photos ../shared/evaldata/metadata -n 8
    PYTHONPATH=$PWD python scripts/bench_yolo.py objects --photos ../shared/evaldata/metadata -n 8

Prints, per file format, the median seconds per photo of `detect()` (model already loaded, one warm-up),
the number of findings, and the file size. Photos are loaded upright with sharesafe.image.load_image.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from detectors.ultralytics_setup import cpu_threads
from detectors.yolo import YoloDetector
from sharesafe.image import load_image


def photos(folder: Path, n: int, min_side: int = 300) -> list[np.ndarray]:
    out = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in {".jpg", ".jpeg", ".png", ".heic", ".webp"}:
            continue
        try:
            img = load_image(path)
        except Exception:  # noqa: BLE001 - robustness samples in the folder are meant to fail
            continue
        if min(img.width, img.height) >= min_side:
            out.append(img.pixels)
        if len(out) >= n:
            break
    return out


def bench(det: YoloDetector, images: list[np.ndarray], repeats: int) -> tuple[float, int]:
    det.load()
    det.detect(images[0])
    times, found = [], 0
    for _ in range(repeats):
        for img in images:
            t = time.perf_counter()
            found += len(det.detect(img))
            times.append(time.perf_counter() - t)
    return statistics.median(times), found // repeats


def variants(which: str) -> list[YoloDetector]:
    if which == "persons":
        from detectors import persons

        return [
            persons.make("fall_detection/models/best.pt"),
            persons.make("fall_detection/models/best_fp16.onnx"),
        ]
    from detectors import objects

    return [objects.make(path) for path in objects.candidate_files()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=["persons", "objects"])
    ap.add_argument("--photos", type=Path, default=Path("../shared/evaldata/metadata"))
    ap.add_argument("-n", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    images = photos(args.photos, args.n)
    sizes = ", ".join(f"{i.shape[1]}x{i.shape[0]}" for i in images)
    print(f"{len(images)} photos ({sizes}); torch threads {cpu_threads()}")
    for det in variants(args.which):
        med, found = bench(det, images, args.repeats)
        mb = det.weights.stat().st_size / 1e6
        print(
            f"{det.weights.name:24s} imgsz {det.imgsz}: median {med:.3f} s/photo, {found} findings, {mb:.1f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
