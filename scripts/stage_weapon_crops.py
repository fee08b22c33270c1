"""Stage labelled crops of weapon candidates for the weapon second look (models/train_weapon_check.py).

    PYTHONPATH=$PWD python scripts/stage_weapon_crops.py --out DATA \\
        --yolo gun=../shared/traindata/gun_single_class/images/train:0 --cap gun=1000 \\
        --photos hivis=../shared/traindata/hivis_vest_helmet/images/train ...

What the head must judge is what `objects` reports, so the crops are `objects`' own weapon boxes
(after `persons`, as in a scan: whole photo, person crops and tiles, merged and padded), without the
second look and with one threshold for every class (`--conf`, default 0.15; the shipped weapon-free
sets were staged at 0.05, so the head also learns the weak candidates):
- on a photo of a labelled set (`--yolo NAME=IMAGES[:CLASS,...]`, YOLO labels beside the images in
  `labels/`; the listed classes are weapons, default every class) a box that overlaps a labelled
  weapon is a `weapon` crop; a box that overlaps none is left out (public sets leave some weapons
  unlabelled, so it is not trusted as a negative). Each labelled weapon is also cut out itself
  (padded 10 %), so weapons the model misses are learnt too. Photos with no weapon label are not
  used (public sets hold unlabelled weapons in their "background" photos).
- on a weapon-free photo (`--photos NAME=DIR`) every box is an `other` crop: a false alarm.

Roboflow exports hold several augmented copies of one photo (`NAME_jpg.rf.HASH.jpg`): one is used.
Crops are JPEGs under DATA/crops/SET/, listed in DATA/crops.csv (models/crop_head.py); a set already
listed there is skipped, so an interrupted run goes on where it stopped. A photo within --radius
dHash bits of an image in a --guard-git mirror or a --guard folder is left out: that is what keeps
the project's independent weapon test sets and ../shared/evaldata out of the crops.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "models"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from crop_head import read_crops, write_crops  # noqa: E402  (models/ is not a package)
from stage_vehicle_crops import Guard, dhash_bytes  # noqa: E402  (scripts/ is on sys.path)

from sharesafe.geometry import share_inside  # noqa: E402
from sharesafe.types import Box  # noqa: E402

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
#: A candidate is a weapon crop when it overlaps a labelled weapon this much (IoU), or holds half of it.
MATCH_IOU = 0.2
MATCH_INSIDE = 0.5
#: Labelled weapons are cut out padded by this share of their size on each side (as `objects` pads).
TRUTH_PAD = 0.10
#: Boxes smaller than this (pixels, shorter side) are not cut out.
MIN_SIDE = 8


def roboflow_base(name: str) -> str:
    """The photo a Roboflow-exported file was made from: `a_jpg.rf.123.jpg` -> `a_jpg`."""
    return name.split(".rf.")[0] if ".rf." in name else Path(name).stem


def one_per_photo(paths: Iterable[Path]) -> list[Path]:
    """The first file (by name) of each photo's augmented copies."""
    seen: dict[str, Path] = {}
    for p in sorted(paths):
        seen.setdefault(roboflow_base(p.name), p)
    return sorted(seen.values())


def label_path(image: Path) -> Path:
    """The YOLO label file of an image: SET/images/SPLIT/x.jpg -> SET/labels/SPLIT/x.txt (ultralytics
    layout) or SPLIT/images/x.jpg -> SPLIT/labels/x.txt (Roboflow export)."""
    if image.parent.name == "images":
        return image.parent.parent / "labels" / f"{image.stem}.txt"
    return image.parent.parent.parent / "labels" / image.parent.name / f"{image.stem}.txt"


def read_truths(label_file: Path, width: int, height: int, weapon_classes: set[int] | None) -> list[Box]:
    """The labelled weapon boxes of one YOLO label file, in photo pixels."""
    boxes = []
    if not label_file.is_file():
        return boxes
    for line in label_file.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        cls = int(float(parts[0]))
        if weapon_classes is not None and cls not in weapon_classes:
            continue
        cx, cy, w, h = (float(v) for v in parts[1:5])
        boxes.append(
            Box.from_xyxy(
                (cx - w / 2) * width,
                (cy - h / 2) * height,
                (cx + w / 2) * width,
                (cy + h / 2) * height,
                width,
                height,
            )
        )
    return boxes


def label_candidate(box: Box, truths: Sequence[Box]) -> str | None:
    """`weapon`, `other` (a weapon-free photo) or None (a weapon photo's unlabelled part: not used)."""
    if not truths:
        return "other"
    for t in truths:
        if box.iou(t) >= MATCH_IOU or share_inside(t, box) >= MATCH_INSIDE:
            return "weapon"
    return None


def save_crops(
    pixels: np.ndarray, boxes: Sequence[tuple[Box, str]], out: Path, set_name: str, stem: str
) -> list[dict[str, str]]:
    from PIL import Image

    rows = []
    for k, (box, label) in enumerate(boxes):
        if min(box.width, box.height) < MIN_SIDE:
            continue
        rel = Path("crops") / set_name / f"{stem}__{k}.jpg"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels[box.y1 : box.y2, box.x1 : box.x2]).save(out / rel, quality=92)
        rows.append(
            {
                "set": set_name,
                "crop": rel.as_posix(),
                "source": f"{set_name}:{roboflow_base(stem)}",
                "x1": str(box.x1),
                "y1": str(box.y1),
                "x2": str(box.x2),
                "y2": str(box.y2),
                "label": label,
            }
        )
    return rows


def stage_photos(
    name: str,
    photos: Sequence[Path],
    out: Path,
    guard: Guard,
    crops_for: Callable[[Path, np.ndarray], list[tuple[Box, str]] | None],
    counts: dict[str, int],
) -> list[dict[str, str]]:
    """Each photo of one set, unless the guard keeps it out or it does not load, cut into the labelled
    crops `crops_for` gives (None: a photo without the labels it needs, counted `unlabelled`); the
    new crops.csv rows. `counts` (per label, `guarded`, `unlabelled`) is updated and printed."""
    from sharesafe.errors import ShareSafeError
    from sharesafe.image import load_image

    rows: list[dict[str, str]] = []
    for i, path in enumerate(photos):
        if guard.near(dhash_bytes(path.read_bytes())):
            counts["guarded"] += 1
            continue
        try:
            pixels = load_image(path).pixels
        except ShareSafeError as exc:
            print(f"  skipped {path.name}: {exc}", file=sys.stderr)
            continue
        boxes = crops_for(path, pixels)
        if boxes is None:
            counts["unlabelled"] += 1
            continue
        new = save_crops(pixels, boxes, out, name, path.stem)
        for r in new:
            counts[r["label"]] += 1
        rows += new
        if (i + 1) % 100 == 0:
            print(f"  {name}: {i + 1}/{len(photos)} photos, {counts}", file=sys.stderr, flush=True)
    print(f"{name}: {len(photos)} photos -> {counts}", file=sys.stderr, flush=True)
    return rows


def name_spec(text: str) -> tuple[str, str]:
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, rest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--yolo", type=name_spec, action="append", default=[], help="NAME=IMAGES[:CLASS,...]")
    ap.add_argument(
        "--photos", type=name_spec, action="append", default=[], help="NAME=DIR of weapon-free photos"
    )
    ap.add_argument(
        "--cap", type=name_spec, action="append", default=[], help="NAME=N photos at most (seeded sample)"
    )
    ap.add_argument("--conf", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--guard-git", action="append", default=[], help="bare git dir[:commit] to keep out")
    ap.add_argument("--guard", type=Path, action="append", default=[], help="image folder to keep out")
    ap.add_argument("--radius", type=int, default=10, help="dHash bits within which a photo is kept out")
    args = ap.parse_args(argv)

    from detectors import objects, registry
    from sharesafe.pipeline import run_detectors
    from sharesafe.types import Category

    # the candidates as the model gives them: no second look (it is what is being trained), one threshold
    dets = [registry.build(["persons"])[0], objects.make(conf=args.conf, second_look=False, floors=None)]
    for d in dets:
        d.load()
    guard = Guard.of(args.radius, args.guard_git, args.guard)
    caps = {name: int(n) for name, n in args.cap}
    rows = read_crops(args.out)
    done = {r["set"] for r in rows}
    jobs: list[tuple[str, Path, set[int] | None, bool]] = []
    for name, spec in args.yolo:
        folder, _, classes = spec.partition(":")
        wanted = {int(c) for c in classes.split(",")} if classes else None
        jobs.append((name, Path(folder), wanted, True))
    jobs += [(name, Path(folder), None, False) for name, folder in args.photos]
    for name, folder, wanted, labelled in jobs:
        if name in done:
            print(f"{name}: already staged", file=sys.stderr)
            continue
        photos = one_per_photo(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if name in caps and len(photos) > caps[name]:
            photos = sorted(random.Random(args.seed).sample(photos, caps[name]))
        counts = {"weapon": 0, "other": 0, "guarded": 0, "unlabelled": 0}

        def crops_for(
            path: Path, pixels: np.ndarray, wanted: set[int] | None = wanted, labelled: bool = labelled
        ) -> list[tuple[Box, str]] | None:
            h, w = pixels.shape[:2]
            truths = read_truths(label_path(path), w, h, wanted) if labelled else []
            if labelled and not truths:
                return None
            found = [f.box for f in run_detectors(pixels, dets) if f.category is Category.WEAPON]
            boxes = [(b, lab) for b in found if (lab := label_candidate(b, truths)) is not None]
            return boxes + [(t.padded(TRUTH_PAD, w, h, minimum=2), "weapon") for t in truths]

        rows += stage_photos(name, photos, args.out, guard, crops_for, counts)
        write_crops(args.out, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
