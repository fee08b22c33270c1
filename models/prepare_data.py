"""Build the merged training set for ShareSafe's `objects` detector from staged public sets.

    python models/prepare_data.py --src ../shared/traindata --src /work/data/weapons \
        --out /work/data/weapons/merged --cap pistol_longgun_cctv=2000 --repeat hivis_vest_helmet=2

Every --src folder holds staged sets in the ultralytics layout (images/{train,val}, labels/{train,val},
SOURCE.json with repo, commit and licence), as `../shared/traindata` and `models/stage_git_set.py` write
them. Writes, under --out (never inside the repository):
  images/{train,val}/<set>__<file>      symlinks to the source images
  labels/{train,val}/<set>__<stem>.txt  labels rewritten to our class map
  train.txt / val.txt                   image lists (train may be capped / repeated per set)
  data.yaml                             for ultralytics
  sources.json                          what went in (licences, counts, dropped near-duplicates)

Class map (ours): 0 firearm    <- gun_single_class:gun, pistol_longgun_cctv:Pistol + long weapon
                  1 knife
                  2 hivis_vest <- hivis_vest_helmet:hivis_vest
Other source classes are dropped; images left without boxes stay in as background (they teach the model
what not to flag).

A staged set not named in CLASS_MAPS is taken when its SOURCE.json says `"premapped": true`: its labels
already use our class ids. Such a set may be flat (images/, labels/ and a split.csv of `file,upstream_split`
rows); its upstream validation images become our validation images, and a set without any gets a seeded
--val-share of its images as validation.

Near-duplicates: public sets leak video frames across their own splits, so every validation image whose
64-bit dHash lies within --dhash-radius bits of a training image (of any set) is dropped from validation.
Training images that nearly match an image under --guard (evaluation photos, never trained on) are dropped
from training.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES: tuple[str, ...] = ("firearm", "knife", "hivis_vest")

#: staged set -> (source class id -> our class id); sets not listed are ignored, unlisted ids dropped.
CLASS_MAPS: dict[str, dict[int, int]] = {
    "gun_single_class": {0: 0},
    "pistol_longgun_cctv": {0: 0, 1: 0},
    "hivis_vest_helmet": {1: 2},
}
IDENTITY: dict[int, int] = {i: i for i in range(len(CLASSES))}

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def dhash(path: Path, size: int = 8) -> int | None:
    """64-bit difference hash of an image (grey, (size+1) x size, left-right gradient signs); None if unreadable."""
    try:
        with Image.open(path) as img:
            small = np.asarray(img.convert("L").resize((size + 1, size), Image.Resampling.BILINEAR), np.int16)
    except Exception:  # noqa: BLE001 - any undecodable file (ultralytics patches Image.open, raising others)
        return None
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def near(hashes: Sequence[int], pool: Sequence[int], radius: int) -> list[bool]:
    """For each hash, whether some hash in `pool` is within `radius` differing bits."""
    if not pool:
        return [False] * len(hashes)
    p = np.array(pool, dtype=np.uint64)
    out = []
    for h in hashes:
        x = np.bitwise_xor(p, np.uint64(h))
        bits = np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
        out.append(bool(bits.min() <= radius))
    return out


def _licence(src: Path) -> dict[str, object]:
    info = json.loads((src / "SOURCE.json").read_text())
    return {
        "set": src.name,
        "repo": info.get("source_repo") or info.get("repo"),
        "commit": info.get("commit"),
        "licence": info.get("licence"),
        "attribution": info.get("attribution", ""),
        "source_classes": info.get("names") or info.get("class_mapping"),
    }


def _link(src: Path, dst: Path) -> None:
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    try:
        dst.symlink_to(src.resolve())
    except OSError:  # file systems without symlinks
        import shutil

        shutil.copy2(src, dst)


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _remap(label: Path, cmap: dict[int, int]) -> list[str]:
    rows = []
    if label.is_file():
        for line in label.read_text().splitlines():
            parts = line.split()
            if len(parts) != 5:
                continue
            cls = int(float(parts[0]))
            if cls in cmap:
                rows.append(" ".join([str(cmap[cls]), *parts[1:]]))
    return rows


def _limit_background(
    imgs: list[Path], src: Path, split: str, cmap: dict[int, int], limit: int, seed: int
) -> list[Path]:
    """At most `limit` images without a box of ours (0: none). Some exports leave weapons unlabelled in
    their "background" images, and others hold hundreds of near-identical empty CCTV frames."""
    empty = [p for p in imgs if not _remap(label_path(src, split, p), cmap)]
    if len(empty) <= limit:
        return imgs
    kept = set(random.Random(f"{seed}:{src.name}:bg").sample(empty, limit))
    return [p for p in imgs if p in kept or p not in set(empty)]


def find_sets(roots: Iterable[Path]) -> dict[str, Path]:
    """Staged sets under the roots: those named in CLASS_MAPS, and any whose SOURCE.json is premapped."""
    found: dict[str, Path] = {}
    for root in roots:
        for d in sorted(p for p in root.iterdir() if (p / "SOURCE.json").is_file()):
            if d.name in found:
                continue
            if d.name in CLASS_MAPS or json.loads((d / "SOURCE.json").read_text()).get("premapped"):
                found[d.name] = d
    return found


def class_map(name: str) -> dict[int, int]:
    return CLASS_MAPS.get(name, IDENTITY)


def split_images(src: Path, split: str, val_share: float, seed: int) -> list[Path]:
    """A set's images of one split: images/<split>/, or the flat images/ divided by split.csv."""
    if (src / "images" / split).is_dir() or (src / "images" / "train").is_dir():
        return _images(src / "images" / split)
    flat = _images(src / "images")
    upstream: dict[str, str] = {}
    listing = src / "split.csv"
    if listing.is_file():
        import csv

        with listing.open(newline="") as fh:
            for row in csv.DictReader(fh):
                upstream[Path(row["file"]).name] = row.get("upstream_split", "")
    is_val = {p.name: upstream.get(p.name, "") in {"val", "valid", "validation", "test"} for p in flat}
    if not any(is_val.values()):
        rng = random.Random(f"{seed}:{src.name}")
        is_val = {p.name: rng.random() < val_share for p in flat}
    return [p for p in flat if is_val[p.name] == (split == "val")]


def label_path(src: Path, split: str, image: Path) -> Path:
    nested = src / "labels" / split / (image.stem + ".txt")
    return nested if nested.parent.is_dir() else src / "labels" / (image.stem + ".txt")


def convert(
    roots: Sequence[Path],
    out: Path,
    caps: dict[str, int],
    repeats: dict[str, int],
    seed: int,
    radius: int,
    guard: Sequence[Path] = (),
    val_share: float = 0.1,
    max_background: dict[str, int] | None = None,
) -> dict[str, object]:
    max_background = max_background or {}
    sets = find_sets(roots)
    missing = [n for n in caps | repeats if n not in sets]
    if missing:
        raise SystemExit(f"sets not found under {', '.join(map(str, roots))}: {missing}")
    # 1. pick the images, hash them
    picked: dict[tuple[str, str], list[Path]] = {}
    for name, src in sets.items():
        for split in ("train", "val"):
            imgs = split_images(src, split, val_share, seed)
            if name in max_background and (split == "train" or max_background[name] == 0):
                imgs = _limit_background(imgs, src, split, class_map(name), max_background[name], seed)
            if split == "train" and name in caps and caps[name] < len(imgs):
                imgs = sorted(random.Random(seed).sample(imgs, caps[name]))
            picked[(name, split)] = imgs
    hashes = {key: [dhash(p) for p in imgs] for key, imgs in picked.items()}
    unreadable = {f"{n}/{s}": sum(h is None for h in hs) for (n, s), hs in hashes.items()}
    picked = {k: [p for p, h in zip(v, hashes[k], strict=True) if h is not None] for k, v in picked.items()}
    hashes = {k: [h for h in v if h is not None] for k, v in hashes.items()}
    guard_all = [dhash(p) for g in guard for p in sorted(g.rglob("*")) if p.suffix.lower() in IMAGE_SUFFIXES]
    guard_hashes = [h for h in guard_all if h is not None]
    train_pool = [h for (n, s), hs in hashes.items() if s == "train" for h in hs]
    dropped: dict[str, dict[str, int]] = {}
    keep: dict[tuple[str, str], list[Path]] = {}
    for (name, split), imgs in picked.items():
        hs = hashes[(name, split)]
        flags = near(hs, train_pool, radius) if split == "val" else near(hs, guard_hashes, radius)
        keep[(name, split)] = [p for p, f in zip(imgs, flags, strict=True) if not f]
        dropped.setdefault(name, {})[split] = sum(flags)
    # 2. write links, labels, lists
    out.mkdir(parents=True, exist_ok=True)
    lists: dict[str, list[str]] = {"train": [], "val": []}
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for (name, split), imgs in sorted(keep.items()):
        src = sets[name]
        cmap = class_map(name)
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
        stat = counts.setdefault(name, {}).setdefault(split, {"images": 0, "background": 0})
        for image in imgs:
            dst_name = f"{name}__{image.name}"
            dst = out / "images" / split / dst_name
            _link(image, dst)
            rows = _remap(label_path(src, split, image), cmap)
            for r in rows:
                key = CLASSES[int(r.split()[0])]
                stat[key] = stat.get(key, 0) + 1
            (out / "labels" / split / (Path(dst_name).stem + ".txt")).write_text(
                "\n".join(rows) + ("\n" if rows else "")
            )
            stat["images"] += 1
            stat["background"] += 0 if rows else 1
            lists[split].extend([str(dst)] * (repeats.get(name, 1) if split == "train" else 1))
    for split, items in lists.items():
        (out / f"{split}.txt").write_text("\n".join(items) + "\n")
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASSES))
    (out / "data.yaml").write_text(
        f"# built by models/prepare_data.py from {', '.join(str(r.resolve()) for r in roots)}\n"
        f"path: {out.resolve()}\ntrain: train.txt\nval: val.txt\nnc: {len(CLASSES)}\nnames:\n{names}\n"
    )
    return {
        "classes": list(CLASSES),
        "class_maps": {k: {str(a): CLASSES[b] for a, b in class_map(k).items()} for k in sorted(sets)},
        "caps": caps,
        "repeats": repeats,
        "max_background": max_background,
        "seed": seed,
        "dhash_radius": radius,
        "dropped_near_duplicates": dropped,
        "guard_images": len(guard_hashes),
        "unreadable_dropped": unreadable,
        "counts": counts,
        "train_list_length": len(lists["train"]),
        "sources": [_licence(sets[n]) for n in sorted(sets)],
    }


def _pairs(items: Sequence[str]) -> dict[str, int]:
    out = {}
    for item in items:
        k, _, v = item.partition("=")
        out[k] = int(v)
    return out


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--src", type=Path, action="append", help="folder of staged sets (repeatable)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/sharesafe-train"))
    ap.add_argument("--cap", action="append", default=[], help="SET=N: at most N training images of SET")
    ap.add_argument("--repeat", action="append", default=[], help="SET=K: list SET's training images K times")
    ap.add_argument(
        "--guard", type=Path, action="append", default=[], help="never train on near-copies of these"
    )
    ap.add_argument("--dhash-radius", type=int, default=6)
    ap.add_argument(
        "--max-background",
        action="append",
        default=[],
        help="SET=N: at most N training images without a box of ours (0: none, in validation too)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--val-share", type=float, default=0.1, help="validation share of sets without a val split"
    )
    args = ap.parse_args(argv)
    roots = args.src or [here.parent.parent / "shared" / "traindata"]
    repo = here.parent.resolve()
    if repo == args.out.resolve() or repo in args.out.resolve().parents:
        raise SystemExit("--out must be outside the repository (third-party data stays out of it)")
    summary = convert(
        roots,
        args.out,
        _pairs(args.cap),
        _pairs(args.repeat),
        args.seed,
        args.dhash_radius,
        args.guard,
        args.val_share,
        _pairs(args.max_background),
    )
    summary["command"] = "python " + " ".join(["models/prepare_data.py", *(argv or sys.argv[1:])])
    (args.out / "sources.json").write_text(json.dumps(summary, indent=1) + "\n")
    json.dump(
        {"counts": summary["counts"], "dropped": summary["dropped_near_duplicates"]}, sys.stdout, indent=1
    )
    print(f"\ntrain list: {summary['train_list_length']} entries; data yaml: {args.out / 'data.yaml'}")
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    raise SystemExit(main())
