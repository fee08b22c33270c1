"""Cut vehicle crops out of public photos for the police-vehicle head (issue 11).

    PYTHONPATH=$PWD .venv/bin/python scripts/stage_vehicle_crops.py yolo --git-dir MIRROR/repo \\
        --repo OWNER/NAME --commit SHA --folder datasets/train --folder datasets/valid --police 0,5 \\
        --civilian 3 --set NAME --guard-git OTHER_MIRROR/repo --out /work/data/pv/crops
    PYTHONPATH=$PWD .venv/bin/python scripts/stage_vehicle_crops.py detect --folder PHOTOS --set NAME \\
        --label civilian --out /work/data/pv/crops

`yolo` reads a YOLO-layout set (images/ and labels/ side by side under each --folder) straight from the
git objects at --commit and crops every box of a class named in --police or --civilian. Roboflow exports
hold several augmented copies of one photo (`<stem>.rf.<hash>.jpg`, also across their train/valid/test
folders): only the copy with the least blacked-out area (cutout augmentation) is used, and the stem is the crop's group, so that
cross-validation keeps one photo's crops in one fold. `detect` crops the vehicle boxes that the `coco`
detector (the one a scan uses) finds in a folder of photos whose vehicles mostly have one known label
(e.g. ordinary street photos: civilian); `relabel` corrects the exceptions found by looking at the
crops (e.g. a police car in a street photo), from a list of crop paths.

A photo within --radius dHash bits of any image in a --guard-git mirror or a --guard folder is left
out (the project's independent test sets must not leak into training). Each box is padded by
`CROP_PAD` of its size (as the detector crops) and written to <out>/crops/<set>/<photo>__<k>.jpg, with
a row in <out>/crops.csv: set, crop, source, box, label. Staged data stays outside the repository.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

import numpy as np
from crop_head import read_crops, write_crops  # models/ is not a package: found through sys.path

CROP_PAD = 0.10
#: Boxes smaller than this (either side, pixels) carry no readable livery; the detector skips them too.
MIN_SIDE = 40
#: Crops of an augmented export with more than this share of pure black (cutout squares) are not used.
MAX_BLACK = 0.3
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(git_dir), *args], check=True, capture_output=True).stdout


def _git_files(git_dir: Path, commit: str, folder: str = "") -> list[str]:
    out = _git(git_dir, "ls-tree", "-r", "-z", "--name-only", commit, *([folder] if folder else []))
    return [p for p in out.decode("utf-8", "replace").split("\0") if p]


def dhash_bytes(data: bytes, size: int = 8) -> int | None:
    """64-bit difference hash (as models/prepare_data.py computes it) of encoded image bytes."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            small = np.asarray(img.convert("L").resize((size + 1, size), Image.Resampling.BILINEAR), np.int16)
    except Exception:  # noqa: BLE001 - an undecodable file simply has no hash
        return None
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


class Guard:
    """dHashes of every image in the guarded sources; `near` says whether a photo is (nearly) one of them."""

    def __init__(self, radius: int) -> None:
        self.radius = radius
        self.pool: list[int] = []
        self.absent = 0  # files a snapshot lists but does not hold (large blobs)

    def add_git(self, spec: str) -> None:
        git_dir, _, commit = spec.partition(":")
        commit = commit or "HEAD"
        for path in _git_files(Path(git_dir), commit):
            if path.lower().endswith(IMAGE_SUFFIXES):
                try:
                    h = dhash_bytes(_git(Path(git_dir), "show", f"{commit}:{path}"))
                except subprocess.CalledProcessError:
                    self.absent += 1
                    continue
                if h is not None:
                    self.pool.append(h)

    def add_folder(self, folder: Path) -> None:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                h = dhash_bytes(path.read_bytes())
                if h is not None:
                    self.pool.append(h)

    @classmethod
    def of(cls, radius: int, git_specs: Iterable[str], folders: Iterable[Path]) -> Guard:
        """A guard over these mirrors (`GIT_DIR[:COMMIT]`) and image folders, its size printed."""
        guard = cls(radius)
        for spec in git_specs:
            guard.add_git(spec)
        for folder in folders:
            guard.add_folder(folder)
        print(f"guard: {len(guard.pool)} images kept out ({guard.absent} listed but absent)", file=sys.stderr)
        return guard

    def near(self, h: int | None) -> bool:
        if h is None or not self.pool:
            return False
        x = np.bitwise_xor(np.array(self.pool, dtype=np.uint64), np.uint64(h))
        bits = np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
        return bool(bits.min() <= self.radius)


def padded(box: tuple[float, float, float, float], w: int, h: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    px, py = (x2 - x1) * CROP_PAD, (y2 - y1) * CROP_PAD
    return (
        max(0, int(x1 - px)),
        max(0, int(y1 - py)),
        min(w, int(np.ceil(x2 + px))),
        min(h, int(np.ceil(y2 + py))),
    )


def _save_crops(
    pixels: np.ndarray,
    boxes: Iterable[tuple[tuple[float, float, float, float], str]],
    out: Path,
    set_name: str,
    stem: str,
    source: str,
    max_black: float = 1.0,
) -> list[dict[str, str]]:
    from PIL import Image

    h, w = pixels.shape[:2]
    rows = []
    for k, (box, label) in enumerate(boxes):
        x1, y1, x2, y2 = padded(box, w, h)
        if min(box[2] - box[0], box[3] - box[1]) < MIN_SIDE:
            continue
        if float((pixels[y1:y2, x1:x2].max(axis=2) < 8).mean()) > max_black:
            continue  # mostly blacked out by an augmentation: nothing left to learn from
        rel = Path("crops") / set_name / f"{stem}__{k}.jpg"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels[y1:y2, x1:x2]).save(out / rel, quality=92)
        rows.append(
            {
                "set": set_name,
                "crop": rel.as_posix(),
                "source": source,
                "x1": str(x1),
                "y1": str(y1),
                "x2": str(x2),
                "y2": str(y2),
                "label": label,
            }
        )
    return rows


def _classes(spec: str) -> set[int]:
    return {int(c) for c in spec.split(",") if c.strip()}


def _black_share(data: bytes) -> float:
    """Share of (nearly) pure-black pixels: Roboflow's cutout and blackout augmentations."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            grey = np.asarray(img.convert("L").resize((128, 128)))
    except Exception:  # noqa: BLE001
        return 1.0
    return float((grey < 8).mean())


def _least_augmented(git_dir: Path, commit: str, copies: list[str]) -> tuple[str, bytes, list[int | None]]:
    """Of a photo's augmented copies, the one with the least blacked-out area (first on a tie), and the
    dHash of every copy."""
    best: tuple[float, str, bytes] | None = None
    hashes: list[int | None] = []
    for path in copies:
        data = _git(git_dir, "show", f"{commit}:{path}")
        hashes.append(dhash_bytes(data))
        share = _black_share(data)
        if best is None or share < best[0]:
            best = (share, path, data)
    assert best is not None
    return best[1], best[2], hashes


def yolo(args: argparse.Namespace, guard: Guard) -> tuple[list[dict[str, str]], dict[str, int]]:
    from PIL import Image

    labels = {c: "police" for c in _classes(args.police)} | {c: "civilian" for c in _classes(args.civilian)}
    rows: list[dict[str, str]] = []
    counts = {"photos": 0, "copies_skipped": 0, "guarded": 0, "unreadable": 0}
    by_stem: dict[str, list[str]] = {}
    for folder in args.folder:
        files = _git_files(args.git_dir, args.commit, folder)
        for path in sorted(p for p in files if "/images/" in p and p.lower().endswith(IMAGE_SUFFIXES)):
            name = Path(path).name
            stem = name.split(".rf.")[0] if ".rf." in name else Path(name).stem
            by_stem.setdefault(stem, []).append(path)
    for stem, copies in sorted(by_stem.items()):
        counts["copies_skipped"] += len(copies) - 1
        path, data, hashes = _least_augmented(args.git_dir, args.commit, copies)
        if any(guard.near(h) for h in hashes):  # any copy of the photo near a kept-out image
            counts["guarded"] += 1
            continue
        label_path = path.replace("/images/", "/labels/").rsplit(".", 1)[0] + ".txt"
        try:
            text = _git(args.git_dir, "show", f"{args.commit}:{label_path}").decode()
        except subprocess.CalledProcessError:
            text = ""
        try:
            with Image.open(io.BytesIO(data)) as img:
                pixels = np.asarray(img.convert("RGB"))
        except Exception:  # noqa: BLE001
            counts["unreadable"] += 1
            continue
        h, w = pixels.shape[:2]
        boxes = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) != 5 or int(parts[0]) not in labels:
                continue
            cx, cy, bw, bh = (float(v) for v in parts[1:])
            box = ((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h)
            boxes.append((box, labels[int(parts[0])]))
        counts["photos"] += 1
        rows += _save_crops(pixels, boxes, args.out, args.set, stem, f"{args.set}:{stem}", MAX_BLACK)
    return rows, counts


def detect(args: argparse.Namespace, guard: Guard) -> tuple[list[dict[str, str]], dict[str, int]]:
    from detectors import coco
    from sharesafe.image import load_image

    det = coco.make()
    det.load()
    photos = sorted(p for p in args.folder_path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if args.first:
        photos = photos[: args.first]
    rows: list[dict[str, str]] = []
    counts = {"photos": 0, "guarded": 0, "unreadable": 0}
    for path in photos:
        if guard.near(dhash_bytes(path.read_bytes())):
            counts["guarded"] += 1
            continue
        try:
            pixels = load_image(path).pixels
        except Exception:  # noqa: BLE001
            counts["unreadable"] += 1
            continue
        found = [f for f in det.detect(pixels) if f.category.value == "vehicle" and f.score >= args.min_score]
        boxes = [((f.box.x1, f.box.y1, f.box.x2, f.box.y2), args.label) for f in found]
        counts["photos"] += 1
        rows += _save_crops(pixels, boxes, args.out, args.set, path.stem, f"{args.set}:{path.stem}")
    return rows, counts


def relabel(out: Path, listing: Path, label: str) -> int:
    """Set the label of the crops listed (crop paths as in crops.csv, one a line) after looking at them."""
    wanted = {line.split()[-1] for line in listing.read_text().splitlines() if line.strip()}
    rows = read_crops(out)
    changed = 0
    for r in rows:
        if r["crop"] in wanted and r["label"] != label:
            r["label"] = label
            changed += 1
    unknown = wanted - {r["crop"] for r in rows}
    write_crops(out, rows)
    print(f"{changed} crops now {label}; {len(unknown)} listed crops not in crops.csv")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("yolo", "detect"):
        p = sub.add_parser(name)
        p.add_argument("--set", required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--guard-git", action="append", default=[], help="bare git dir[:commit] to keep out")
        p.add_argument("--guard", type=Path, action="append", default=[], help="image folder to keep out")
        p.add_argument("--radius", type=int, default=6)
    y = sub.choices["yolo"]
    y.add_argument("--git-dir", type=Path, required=True)
    y.add_argument("--repo", required=True)
    y.add_argument("--commit", required=True)
    y.add_argument("--folder", action="append", required=True)
    y.add_argument("--police", default="")
    y.add_argument("--civilian", default="")
    d = sub.choices["detect"]
    d.add_argument("--folder", dest="folder_path", type=Path, required=True)
    d.add_argument("--first", type=int, default=0)
    d.add_argument("--label", choices=("police", "civilian"), required=True)
    d.add_argument("--min-score", type=float, default=0.4)
    r = sub.add_parser("relabel", help="label listed crops by eye: police, civilian or skip")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--list", type=Path, required=True)
    r.add_argument("--label", choices=("police", "civilian", "skip"), required=True)
    args = ap.parse_args(argv)
    if args.cmd == "relabel":
        return relabel(args.out, args.list, args.label)

    guard = Guard.of(args.radius, args.guard_git, args.guard)
    new, counts = yolo(args, guard) if args.cmd == "yolo" else detect(args, guard)
    rows = [r for r in read_crops(args.out) if r["set"] != args.set] + new
    write_crops(args.out, rows)
    by_label = {lab: sum(1 for r in new if r["label"] == lab) for lab in ("police", "civilian")}
    print(f"{args.set}: {counts}, crops {by_label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
