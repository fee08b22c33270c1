"""Write an image-level weapons manifest (file,label,scene) for a folder of YOLO-labelled photos.

    PYTHONPATH=$PWD python scripts/manifest_from_yolo.py --images DIR/images --labels DIR/labels \
        --map 0=knife --out /work/data/weapons/eval/SET

For measuring `scripts/eval_weapons.py --heldout` on a public test set as it is published: every
image with a box of a mapped class gets that label (firearm or knife; the first mapped box decides),
images without one are `none` when --negatives is given and left out otherwise (published test sets
often leave weapons unlabelled on purpose-free photos). The scene is `wide` when the largest weapon
box covers under 2 % of the photo (a person holding it in a scene), else `close`. The images are
symlinked into --out so the manifest's file names are unique.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from PIL import Image

SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
WIDE_SHARE = 0.02


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--images", type=Path, action="append", required=True)
    ap.add_argument("--labels", type=Path, action="append", default=[], help="default: images/../labels")
    ap.add_argument("--map", action="append", required=True, help="CLASS_ID=firearm|knife")
    ap.add_argument("--negatives", action="store_true", help="keep images without a mapped box as none")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--source", default="", help="recorded in the manifest's repo column")
    args = ap.parse_args(argv)
    cmap = {int(k): v for k, _, v in (m.partition("=") for m in args.map)}
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, images in enumerate(args.images):
        labels = args.labels[n] if n < len(args.labels) else images.parent / "labels"
        for img in sorted(p for p in images.iterdir() if p.suffix.lower() in SUFFIXES):
            label_file = labels / f"{img.stem}.txt"
            label, share = "none", 0.0
            if label_file.is_file():
                for line in label_file.read_text().splitlines():
                    parts = line.split()
                    if len(parts) >= 5 and int(float(parts[0])) in cmap:
                        if label == "none":
                            label = cmap[int(float(parts[0]))]
                        share = max(share, float(parts[3]) * float(parts[4]))
            if label == "none" and not args.negatives:
                continue
            try:
                with Image.open(img) as im:
                    im.size  # noqa: B018 - readable?
            except OSError:
                continue
            name = f"{n}_{img.name}"
            link = args.out / name
            if not link.exists():
                link.symlink_to(img.resolve())
            scene = "none" if label == "none" else ("wide" if share < WIDE_SHARE else "close")
            rows.append({"file": name, "label": label, "scene": scene, "repo": args.source, "path": str(img)})
    with (args.out / "manifest.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["file", "label", "scene", "repo", "path"])
        w.writeheader()
        w.writerows(rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[f"{r['label']}/{r['scene']}"] = counts.get(f"{r['label']}/{r['scene']}", 0) + 1
    print(f"{args.out / 'manifest.csv'}: {len(rows)} images {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
