"""Stage labelled windows for the held-phone look (models/train_held_phone.py).

    PYTHONPATH=$PWD python scripts/stage_phone_windows.py --out DATA \\
        --yolo seatbelt=PHONES/bsaisoumith/train/images:0,1 --yolo webcam=PHONES/aitkherimed/train/images:1 \\
        --trust-empty webcam --photos smoking=SMOKERS --photos hivis=../shared/traindata/hivis_vest_helmet/images/train \\
        --cap hivis=200 --negatives hivis=8 --guard EVAL_SCREENS --guard ../shared/evaldata

What the head must judge is what `held_phones` looks at, so the crops are its own windows
(`detectors.held_phones.hand_windows`) over the people of COCO's whole-photo pass
(`held_phones.people_of`); a photo where COCO sees nobody gives windows over the whole photo instead
(a close-up of hands is still an example). Labels:
- on a photo of a labelled set (`--yolo NAME=IMAGES[:CLASS,...]`, YOLO labels in the sibling
  `labels/` folder; the listed classes are phones, boxes of phone and hand) a window that holds at least
  `HOLDS` of a phone box, which fills at least `FILLS` of the window, is a `phone` crop; a window
  that touches no phone box (under `TOUCHES` of it) is an `other` crop; the rest are not used. A photo
  with no phone label is skipped (public sets leave phones unlabelled), unless its set is named by
  `--trust-empty` (a set whose empty photos hold other things in a hand, checked by eye).
- on a phone-free photo (`--photos NAME=DIR`) every window is `other`.
`other` windows are sampled, at most `--negatives NAME=N` a photo (default 12, seeded).

Roboflow exports hold several augmented copies of one photo: one is used. Crops are JPEGs under
DATA/crops/SET/, listed in DATA/crops.csv (models/crop_head.py); a set already listed is skipped. A
photo within --radius dHash bits of an image in a --guard folder or --guard-git mirror is left out:
that is what keeps our screen evaluation photos and ../shared/evaldata out.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "models"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from crop_head import read_crops, write_crops  # noqa: E402  (models/ is not a package)
from stage_vehicle_crops import Guard  # noqa: E402  (scripts/ is on sys.path)
from stage_weapon_crops import (  # noqa: E402
    IMAGE_SUFFIXES,
    label_path,
    name_spec,
    one_per_photo,
    read_truths,
    stage_photos,
)

from sharesafe.geometry import share_inside  # noqa: E402
from sharesafe.types import Box  # noqa: E402

#: A window is a phone crop when it holds this share of a phone box and the box fills this share of it.
HOLDS = 0.6
FILLS = 0.04
#: A window is an `other` crop on a phone photo only when it holds less than this share of every phone box.
TOUCHES = 0.05
NEGATIVES = 12


def label_window(window: Box, phones: Sequence[Box]) -> str | None:
    """`phone`, `other`, or None (a window that cuts a phone: not used)."""
    best: Box | None = None
    for p in phones:
        if share_inside(p, window) >= HOLDS and (best is None or p.area > best.area):
            best = p
    if best is not None and best.area >= FILLS * window.area:
        return "phone"
    if all(share_inside(p, window) < TOUCHES for p in phones):
        return "other"
    return None


def windows_of(pixels: np.ndarray) -> list[Box]:
    """`held_phones`' windows over the people COCO sees, or over the whole photo when it sees nobody."""
    from detectors import held_phones

    h, w = pixels.shape[:2]
    people = held_phones.people_of(pixels) or [(0.0, 0.0, float(w), float(h))]
    return [Box.from_xyxy(*win, w, h) for p in people for win in held_phones.hand_windows(p, w, h)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--yolo",
        type=name_spec,
        action="append",
        default=[],
        help="NAME=IMAGES[:CLASS,...] (repeatable per NAME)",
    )
    ap.add_argument(
        "--photos", type=name_spec, action="append", default=[], help="NAME=DIR of phone-free photos"
    )
    ap.add_argument(
        "--trust-empty", action="append", default=[], help="labelled set whose empty photos are negatives"
    )
    ap.add_argument(
        "--cap", type=name_spec, action="append", default=[], help="NAME=N photos at most (seeded)"
    )
    ap.add_argument(
        "--negatives", type=name_spec, action="append", default=[], help="NAME=N other windows a photo"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--guard-git", action="append", default=[], help="bare git dir[:commit] to keep out")
    ap.add_argument("--guard", type=Path, action="append", default=[], help="image folder to keep out")
    ap.add_argument("--radius", type=int, default=10, help="dHash bits within which a photo is kept out")
    args = ap.parse_args(argv)

    guard = Guard.of(args.radius, args.guard_git, args.guard)
    caps = {name: int(n) for name, n in args.cap}
    negatives = {name: int(n) for name, n in args.negatives}
    rows = read_crops(args.out)
    done = {r["set"] for r in rows}
    jobs: dict[str, list[tuple[Path, set[int] | None, bool]]] = {}
    for name, spec in args.yolo:
        folder, _, classes = spec.partition(":")
        wanted = {int(c) for c in classes.split(",")} if classes else None
        jobs.setdefault(name, []).append((Path(folder), wanted, True))
    for name, folder in args.photos:
        jobs.setdefault(name, []).append((Path(folder), None, False))
    rng = random.Random(args.seed)
    for name, sources in jobs.items():
        if name in done:
            print(f"{name}: already staged", file=sys.stderr)
            continue
        kind: dict[Path, tuple[set[int] | None, bool]] = {}
        for folder, wanted, labelled in sources:
            for p in one_per_photo(q for q in folder.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES):
                kind[p] = (wanted, labelled)
        photos = list(kind)  # folder by folder, as given
        if name in caps and len(photos) > caps[name]:
            photos = sorted(rng.sample(photos, caps[name]))
        counts = {"phone": 0, "other": 0, "guarded": 0, "unlabelled": 0}

        def crops_for(
            path: Path,
            pixels: np.ndarray,
            name: str = name,
            kind: dict[Path, tuple[set[int] | None, bool]] = kind,
        ) -> list[tuple[Box, str]] | None:
            wanted, labelled = kind[path]
            h, w = pixels.shape[:2]
            phones = read_truths(label_path(path), w, h, wanted) if labelled else []
            if labelled and not phones and name not in args.trust_empty:
                return None
            labelled_windows = [(b, lab) for b in windows_of(pixels) if (lab := label_window(b, phones))]
            others = [t for t in labelled_windows if t[1] == "other"]
            rng.shuffle(others)
            return [t for t in labelled_windows if t[1] == "phone"] + others[: negatives.get(name, NEGATIVES)]

        rows += stage_photos(name, photos, args.out, guard, crops_for, counts)
        write_crops(args.out, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
