"""Build the merged training set for ShareSafe's `objects` detector from the staged public sets.

    python models/prepare_data.py --src ../shared/traindata --out /tmp/sharesafe-train

Writes, under --out (never inside the repository):
  images/{train,val}/<set>__<file>   symlinks to the source images
  labels/{train,val}/<set>__<stem>.txt  labels rewritten to our class map
  train.txt / val.txt                  image lists (train.txt may subsample / repeat, see below)
  data.yaml                            for ultralytics
  sources.json                         what went in, with licences, for the manifest

Class map (ours): 0 firearm  <- gun_single_class:gun (handguns and long guns)
                  1 hivis_vest <- hivis_vest_helmet:hivis_vest
helmet / no_helmet / no_vest boxes are dropped: hard hats are construction kit, not police kit, and "no vest"
is not something to cover. Images left without boxes stay as background images (they teach the model what
not to flag). Both sets' own validation splits are kept, unchanged, as the validation set.

--gun-train N takes a fixed random subset (seeded) of the gun training images, to fit a CPU time budget;
--vest-repeat K lists every vest training image K times (the vest set is 10x smaller than the gun set).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

CLASSES: tuple[str, ...] = ("firearm", "hivis_vest")

#: source set -> (source class id -> our class id); source ids not listed are dropped.
CLASS_MAPS: dict[str, dict[int, int]] = {
    "gun_single_class": {0: 0},
    "hivis_vest_helmet": {1: 1},
}

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def _licence(src: Path) -> dict[str, object]:
    info = json.loads((src / "SOURCE.json").read_text())
    return {
        "set": src.name,
        "repo": info.get("source_repo"),
        "commit": info.get("commit"),
        "licence": info.get("licence"),
        "source_classes": info.get("names"),
    }


def _link(src: Path, dst: Path) -> None:
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    try:
        dst.symlink_to(src.resolve())
    except OSError:  # file systems without symlinks
        import shutil

        shutil.copy2(src, dst)


def convert(
    src_root: Path, out: Path, gun_train: int | None, vest_repeat: int, seed: int
) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    lists: dict[str, list[str]] = {"train": [], "val": []}
    counts: dict[str, dict[str, dict[str, int]]] = {}
    sources = []
    for set_name, cmap in CLASS_MAPS.items():
        src = src_root / set_name
        if not (src / "data.yaml").is_file():
            raise SystemExit(f"missing {src / 'data.yaml'}")
        sources.append(_licence(src))
        for split in ("train", "val"):
            (out / "images" / split).mkdir(parents=True, exist_ok=True)
            (out / "labels" / split).mkdir(parents=True, exist_ok=True)
            images = sorted(
                p for p in (src / "images" / split).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
            )
            if split == "train" and set_name == "gun_single_class" and gun_train and gun_train < len(images):
                images = sorted(random.Random(seed).sample(images, gun_train))
            stat = counts.setdefault(set_name, {}).setdefault(split, {"images": 0, "background": 0})
            for image in images:
                name = f"{set_name}__{image.name}"
                dst = out / "images" / split / name
                _link(image, dst)
                rows = []
                label = src / "labels" / split / (image.stem + ".txt")
                if label.is_file():
                    for line in label.read_text().splitlines():
                        parts = line.split()
                        if len(parts) != 5:
                            continue
                        cls = int(float(parts[0]))
                        if cls in cmap:
                            rows.append(" ".join([str(cmap[cls]), *parts[1:]]))
                            key = CLASSES[cmap[cls]]
                            stat[key] = stat.get(key, 0) + 1
                (out / "labels" / split / (Path(name).stem + ".txt")).write_text(
                    "\n".join(rows) + ("\n" if rows else "")
                )
                stat["images"] += 1
                stat["background"] += 0 if rows else 1
                repeat = vest_repeat if (split == "train" and set_name == "hivis_vest_helmet") else 1
                lists[split].extend([str(dst)] * repeat)
    for split, items in lists.items():
        (out / f"{split}.txt").write_text("\n".join(items) + "\n")
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASSES))
    (out / "data.yaml").write_text(
        f"# built by models/prepare_data.py from {src_root.resolve()}\n"
        f"path: {out.resolve()}\ntrain: train.txt\nval: val.txt\nnc: {len(CLASSES)}\nnames:\n{names}\n"
    )
    summary: dict[str, object] = {
        "classes": list(CLASSES),
        "class_maps": {k: {str(a): CLASSES[b] for a, b in v.items()} for k, v in CLASS_MAPS.items()},
        "gun_train_subset": gun_train,
        "vest_repeat": vest_repeat,
        "seed": seed,
        "counts": counts,
        "train_list_length": len(lists["train"]),
        "sources": sources,
    }
    (out / "sources.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=here.parent.parent / "shared" / "traindata")
    ap.add_argument("--out", type=Path, default=Path("/tmp/sharesafe-train"))
    ap.add_argument("--gun-train", type=int, default=0, help="subset size of gun train images (0 = all)")
    ap.add_argument("--vest-repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    repo = here.parent.resolve()
    if repo == args.out.resolve() or repo in args.out.resolve().parents:
        raise SystemExit("--out must be outside the repository (third-party data stays out of it)")
    summary = convert(args.src, args.out, args.gun_train or None, args.vest_repeat, args.seed)
    summary["command"] = "python models/prepare_data.py " + " ".join(
        f"{k} {v}"
        for k, v in (
            ("--gun-train", args.gun_train),
            ("--vest-repeat", args.vest_repeat),
            ("--seed", args.seed),
        )
    )
    (args.out / "sources.json").write_text(json.dumps(summary, indent=1) + "\n")
    json.dump(summary["counts"], sys.stdout, indent=1)
    print(f"\ntrain list: {summary['train_list_length']} entries; data yaml: {args.out / 'data.yaml'}")
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    raise SystemExit(main())
