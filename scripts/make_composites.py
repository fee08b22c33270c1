"""Build a labelled set of large photos with small faces, plates and pistols in them, from an eval folder.

    python scripts/make_composites.py --data ../shared/evaldata --out /work/data/speed/composites [--seed 0]

The eval set's labelled photos are mostly small (under 1280 px), so a search pass that only runs on
large photos (tiles, crops of people and vehicles, face zoom tiles) is never exercised by
`python -m detectors.eval` on it. This script pastes them, reduced, into the set's own large photos
(its unlabelled `metadata` photos over `--min-side` px), so that what they show is small in a 12 MP
photo, and writes a `manifest.csv` in the same format (labels moved and scaled with the paste).
Pistol photos carry an image-level label in the source; here the label is the pasted photo's box, so
"image recall" counts a weapon finding touching it.

The output is for comparing detector versions (before / after a change), never for training or for
choosing thresholds: it is made from evaluation photos.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

from PIL import Image

from sharesafe.image import load_image

#: Long side of a pasted photo, as a share of the background's long side (min, max).
PASTE_SHARE = {"licence_plate": (0.16, 0.24), "face": (0.14, 0.2), "weapon": (0.18, 0.25)}
PICKS = (("licence_plate", 2), ("face", 1), ("weapon", 1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/evaldata"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--min-side", type=int, default=2000, help="backgrounds: metadata photos at least this long"
    )
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    with (args.data / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_cat: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_cat.setdefault(r["category"], []).append(r)
    backgrounds = []
    for r in by_cat.get("metadata", []):
        try:
            img = load_image(args.data / r["file"])
        except Exception:  # noqa: BLE001 - RAW files, damaged samples: not a background
            continue
        if max(img.width, img.height) >= args.min_side:
            backgrounds.append((r["file"], img.pixels))
    args.out.mkdir(parents=True, exist_ok=True)
    out_rows = []
    for n, (bg_name, pixels) in enumerate(backgrounds):
        canvas = Image.fromarray(pixels)
        width, height = canvas.size
        long_side = max(width, height)
        # One paste per cell of a 2 x 2 grid, at a random place inside the cell.
        cells = [(cx, cy) for cy in range(2) for cx in range(2)]
        rng.shuffle(cells)
        labels: list[dict[str, object]] = []
        sources = []
        picks = [cat for cat, k in PICKS for _ in range(k)]
        for cat, (cx, cy) in zip(picks, cells, strict=False):
            row = rng.choice(by_cat[cat])
            tile = Image.fromarray(load_image(args.data / row["file"]).pixels)
            lo, hi = PASTE_SHARE[cat]
            scale = rng.uniform(lo, hi) * long_side / max(tile.size)
            tw, th = max(1, round(tile.width * scale)), max(1, round(tile.height * scale))
            tw, th = min(tw, width // 2 - 2), min(th, height // 2 - 2)
            sx, sy = tw / tile.width, th / tile.height
            tile = tile.resize((tw, th), Image.Resampling.LANCZOS)
            x0 = cx * width // 2 + rng.randint(0, max(0, width // 2 - tw - 1))
            y0 = cy * height // 2 + rng.randint(0, max(0, height // 2 - th - 1))
            canvas.paste(tile, (x0, y0))
            sources.append(row["file"])
            for lab in json.loads(row["labels_json"] or "[]"):
                if "bbox_xyxy" in lab:
                    x1, y1, x2, y2 = lab["bbox_xyxy"]
                    moved = dict(lab, bbox_xyxy=[x0 + x1 * sx, y0 + y1 * sy, x0 + x2 * sx, y0 + y2 * sy])
                else:  # an image-level label: the pasted photo's box
                    moved = {k: v for k, v in lab.items() if k != "image_level"}
                    moved["bbox_xyxy"] = [x0, y0, x0 + tw, y0 + th]
                labels.append(moved)
        name = f"composite-{n:02d}.jpg"
        canvas.save(args.out / name, quality=92)
        out_rows.append(
            {
                "file": name,
                "category": "composite",
                "labels_json": json.dumps(labels),
                "notes": f"background {bg_name}; pasted {', '.join(sources)}",
            }
        )
        print(f"{name}: {width}x{height}, {len(labels)} labels")
    with (args.out / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "category", "labels_json", "notes"])
        writer.writeheader()
        writer.writerows(out_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
