"""Evaluate ShareSafe's own `objects` detector (firearms, hi-vis vests) and print the figures.

    PYTHONPATH=$PWD python scripts/eval_objects.py --evaldata ../shared/evaldata
    PYTHONPATH=$PWD python scripts/eval_objects.py --val /tmp/sharesafe-train/data.yaml   # re-run val too

Prints
1. validation per class (precision, recall, mAP50, mAP50-95): from models/manifest.toml (recorded by
   `models/train.py finalize`), or re-measured with ultralytics `val` on --val DATA_YAML;
2. image-level recall on evaldata/weapon (labels are image-level only: an image counts as found when the
   detector reports at least one firearm), at several score thresholds;
3. false findings per image on evaldata/metadata photos (ordinary camera photos, nearly none with weapons):
   findings per image of each class and the share of photos with any finding, at the same thresholds;
4. median latency per photo of `detect()` (shipped file, CPU).
Rows of the manifest whose category is neither `weapon` nor `metadata` are ignored.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

from detectors import objects
from sharesafe.image import load_image
from sharesafe.types import Category

THRESHOLDS = (0.1, 0.25, 0.4, 0.5)


def load_rows(evaldata: Path, category: str) -> list[dict[str, str]]:
    with (evaldata / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["category"] == category]


def run(
    det: objects.ObjectsDetector, files: list[Path]
) -> tuple[list[list[tuple[str, float]]], list[float], int]:
    """Per loadable image: (label, score) of every finding at the detector's lowest threshold."""
    found, times, failed = [], [], 0
    for path in files:
        try:
            img = load_image(path)
        except Exception:  # noqa: BLE001 - evaldata/metadata holds deliberately broken files
            failed += 1
            continue
        t = time.perf_counter()
        res = det.detect(img.pixels)
        times.append(time.perf_counter() - t)
        found.append([(f.category.value, f.score) for f in res])
    return found, times, failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evaldata", type=Path, default=Path("../shared/evaldata"))
    ap.add_argument("--val", type=Path, default=None, help="data yaml: re-run ultralytics val per class")
    ap.add_argument("--imgsz", type=int, default=None, help="inference size (default: the manifest's)")
    args = ap.parse_args()

    entry = objects.manifest_entry()
    print(f"model: models/{entry['file']} sha256 {entry['sha256'][:16]}… ({entry['bytes'] / 1e6:.1f} MB)")
    print(f"trained: {entry['epochs_run']} epoch(s), imgsz {entry['imgsz']}, {entry['train_seconds']} s")

    print("\n1. validation (held-out val splits of the training sets)")
    if args.val is not None:
        from detectors.ultralytics_setup import import_ultralytics

        ul = import_ultralytics()
        shipped = objects.MODELS_DIR / entry["file"]
        model = ul.YOLO(str(shipped), task="detect")
        m = model.val(
            data=str(args.val), imgsz=int(entry["imgsz"]), batch=1, device="cpu", plots=False, verbose=False
        )
        names = m.names
        validation = {
            names[int(c)]: {
                "precision": m.box.p[i],
                "recall": m.box.r[i],
                "mAP50": m.box.ap50[i],
                "mAP50_95": m.box.ap[i],
            }
            for i, c in enumerate(m.box.ap_class_index)
        }
        validation["all"] = {
            "precision": m.box.mp,
            "recall": m.box.mr,
            "mAP50": m.box.map50,
            "mAP50_95": m.box.map,
        }
    else:
        validation = entry["validation"]
        print("   (from models/manifest.toml; pass --val DATA_YAML to re-measure)")
    print(f"   {'class':12s} {'P':>6s} {'R':>6s} {'mAP50':>6s} {'mAP50-95':>8s}")
    for cls, v in validation.items():
        print(
            f"   {cls:12s} {float(v['precision']):6.3f} {float(v['recall']):6.3f} "
            f"{float(v['mAP50']):6.3f} {float(v['mAP50_95']):8.3f}"
        )

    det = objects.make(conf=min(THRESHOLDS), imgsz=args.imgsz)
    det.load()
    print(f"\n   detector imgsz {det.imgsz}, shipped default score threshold {objects.CONF}")

    weapon = [args.evaldata / r["file"] for r in load_rows(args.evaldata, "weapon")]
    found, w_times, w_failed = run(det, weapon)
    print(
        f"\n2. evaldata/weapon: {len(found)} images with a firearm (image-level labels), {w_failed} unreadable"
    )
    for thr in THRESHOLDS:
        hit = sum(any(c == Category.WEAPON.value and s >= thr for c, s in f) for f in found)
        print(
            f"   score >= {thr:.2f}: image-level recall {hit}/{len(found)} = {hit / max(len(found), 1):.3f}"
        )

    meta = [args.evaldata / r["file"] for r in load_rows(args.evaldata, "metadata")]
    found_m, m_times, m_failed = run(det, meta)
    n = max(len(found_m), 1)
    print(
        f"\n3. evaldata/metadata: {len(found_m)} photos scanned ({m_failed} not loadable as images, skipped)"
    )
    for thr in THRESHOLDS:
        weapons = sum(sum(c == Category.WEAPON.value and s >= thr for c, s in f) for f in found_m)
        vests = sum(sum(c == Category.UNIFORM.value and s >= thr for c, s in f) for f in found_m)
        any_img = sum(any(s >= thr for _, s in f) for f in found_m)
        print(
            f"   score >= {thr:.2f}: firearm findings/photo {weapons / n:.3f}, vest findings/photo {vests / n:.3f}, "
            f"photos with any finding {any_img}/{len(found_m)}"
        )
    times = w_times + m_times
    if times:
        print(f"\n4. latency: median {statistics.median(times):.3f} s/photo over {len(times)} photos (CPU)")
    print(json.dumps({"weapon_images": len(found), "metadata_photos": len(found_m)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
