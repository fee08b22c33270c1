"""Stage an evaluation set for `python -m detectors.eval` from a YOLO or Pascal VOC data set in a git mirror.

    python scripts/stage_yolo_set.py --git-dir /work/.mirror/OWNER+NAME/repo --commit SHA \
        --images datasets/x/images/train --labels datasets/x/labels/train --cls face \
        --out /work/data/faces/wider_train --per-group 100 --group-by-prefix _ --licence "..."

Reads images and their labels (YOLO `.txt`: `class cx cy w h`, normalised; VOC `.xml` with
`--format voc`; or openalpr/benchmarks' `.txt`, a line `file x y w h plate-text` tab-separated in
pixels, with `--format openalpr`) straight from the git objects
(no work tree), samples up to `--per-group` images per group (the file-name prefix before the first
`--group-by-prefix` separator, e.g. a WIDER event class; no grouping when empty) with a fixed seed,
writes the images under `--out` and a `manifest.csv` in the format `detectors.eval` reads (one
row per image: file, category, source repo/commit/path, licence, sha256, labels_json with
`bbox_xyxy` in pixels). Staged data stays outside the repository.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import subprocess
from collections import defaultdict
from pathlib import Path

from PIL import Image


def git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def list_files(git_dir: Path, commit: str, folder: str) -> list[str]:
    out = git(git_dir, "ls-tree", "-r", "--name-only", commit, folder.rstrip("/") + "/")
    return [line for line in out.decode().splitlines() if line]


def yolo_boxes(text: str, width: int, height: int, classes: set[int] | None) -> list[list[float]]:
    """Pixel xyxy boxes from YOLO label lines (`class cx cy w h ...`, normalised)."""
    boxes = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        if classes is not None and int(float(parts[0])) not in classes:
            continue
        cx, cy, w, h = (float(v) for v in parts[1:5])
        boxes.append(
            [
                round((cx - w / 2) * width, 1),
                round((cy - h / 2) * height, 1),
                round((cx + w / 2) * width, 1),
                round((cy + h / 2) * height, 1),
            ]
        )
    return boxes


def voc_boxes(text: str | bytes) -> list[list[float]]:
    """Pixel xyxy boxes of every `<object>` in a Pascal VOC annotation."""
    import xml.etree.ElementTree as ET

    boxes = []
    for obj in ET.fromstring(text).iter("object"):
        bb = obj.find("bndbox")
        if bb is None:
            continue
        x1, y1, x2, y2 = (float(bb.findtext(k) or 0) for k in ("xmin", "ymin", "xmax", "ymax"))
        boxes.append([x1, y1, x2, y2])
    return boxes


def openalpr_boxes(text: str) -> list[list[float]]:
    """Pixel xyxy boxes of openalpr/benchmarks' labels: `file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>text` lines."""
    boxes = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 5:
            continue
        x, y, w, h = (float(v) for v in parts[1:5])
        boxes.append([x, y, x + w, y + h])
    return boxes


def mean_brightness(data: bytes) -> float:
    """Mean grey level (0-255) of the image, to tag night frames."""
    with Image.open(io.BytesIO(data)) as img:
        grey = img.convert("L")
        grey.thumbnail((256, 256))
        hist = grey.histogram()
    return sum(i * n for i, n in enumerate(hist)) / max(1, sum(hist))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--git-dir", type=Path, required=True)
    ap.add_argument("--repo", required=True, help="owner/name, recorded in the manifest")
    ap.add_argument("--commit", default="HEAD")
    ap.add_argument("--images", required=True, help="folder of images inside the repository")
    ap.add_argument("--labels", required=True, help="folder of label files inside the repository")
    ap.add_argument("--format", choices=("yolo", "voc", "openalpr"), default="yolo")
    ap.add_argument(
        "--night-below", type=float, default=0.0, help="tag images darker than this mean grey as night"
    )
    ap.add_argument(
        "--cls", required=True, help="label class name written to the manifest (face, licence_plate)"
    )
    ap.add_argument(
        "--yolo-classes", default="", help="comma-separated YOLO class ids to keep (default: all)"
    )
    ap.add_argument("--category", default="", help="manifest category column (default: --cls)")
    ap.add_argument("--licence", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--per-group", type=int, default=0, help="images per group (0: all)")
    ap.add_argument("--group-by-prefix", default="", help="group by the file-name part before this separator")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--append", action="store_true", help="add rows to an existing manifest.csv")
    args = ap.parse_args()

    commit = git(args.git_dir, "rev-parse", args.commit).decode().strip()
    images = [
        p
        for p in list_files(args.git_dir, commit, args.images)
        if p.lower().endswith((".jpg", ".jpeg", ".png"))
    ]
    suffix = ".xml" if args.format == "voc" else ".txt"
    labels = {Path(p).stem: p for p in list_files(args.git_dir, commit, args.labels) if p.endswith(suffix)}
    groups: dict[str, list[str]] = defaultdict(list)
    for path in sorted(images):
        name = Path(path).stem
        if name not in labels:
            continue
        key = name.split(args.group_by_prefix)[0] if args.group_by_prefix else ""
        groups[key].append(path)
    rng = random.Random(args.seed)
    chosen: list[str] = []
    for key in sorted(groups):
        members = groups[key]
        if args.per_group and len(members) > args.per_group:
            members = sorted(rng.sample(members, args.per_group))
        chosen.extend(members)
    keep = {int(c) for c in args.yolo_classes.split(",") if c} or None
    category = args.category or args.cls
    folder = args.out / category
    folder.mkdir(parents=True, exist_ok=True)
    manifest = args.out / "manifest.csv"
    fields = [
        "file",
        "category",
        "source_repo",
        "source_commit",
        "source_path",
        "licence",
        "bytes",
        "sha256",
        "labels_json",
        "condition",
    ]
    mode = "a" if args.append and manifest.exists() else "w"
    boxes_total = 0
    with manifest.open(mode, newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        if mode == "w":
            writer.writeheader()
        for path in chosen:
            data = git(args.git_dir, "show", f"{commit}:{path}")
            width, height = Image.open(io.BytesIO(data)).size
            text = git(args.git_dir, "show", f"{commit}:{labels[Path(path).stem]}").decode("utf-8", "replace")
            if args.format == "voc":
                boxes = voc_boxes(text)
            elif args.format == "openalpr":
                boxes = openalpr_boxes(text)
            else:
                boxes = yolo_boxes(text, width, height, keep)
            night = args.night_below > 0 and mean_brightness(data) < args.night_below
            boxes_total += len(boxes)
            target = folder / Path(path).name
            target.write_bytes(data)
            writer.writerow(
                {
                    "file": f"{category}/{target.name}",
                    "category": category,
                    "source_repo": args.repo,
                    "source_commit": commit,
                    "source_path": path,
                    "licence": args.licence,
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "labels_json": json.dumps([{"cls": args.cls, "bbox_xyxy": b} for b in boxes]),
                    "condition": "night" if night else "",
                }
            )
    print(f"{len(chosen)} images, {boxes_total} boxes -> {manifest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
