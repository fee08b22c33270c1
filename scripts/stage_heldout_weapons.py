"""Stage the weapons held-out set (image-level labels) from fetched git mirrors, outside the repository.

    PYTHONPATH=$PWD python scripts/stage_heldout_weapons.py --mirrors /work/.mirror \
        --out /work/data/weapons/heldout --train-list /work/data/weapons/merged/train.txt \
        --staged ../shared/traindata/gun_single_class /work/data/weapons/pistol_longgun_cctv

Sources never used in training, for evaluation only (not redistributed, never committed):
  fidass         github.com/FiDaSS/FiDaSS_dataset DatasetSamples/*.jpg: 16 CCTV robbery frames (768x480), each
                 with an armed person; the repository's sample images carry the annotators' drawn boxes.
  stars_handgun  github.com/yatinmanuel/stars-vthacks (newest commit, a different Roboflow project from the
                 one in ../shared/traindata) images named Handgun_*: close-up handgun photos.
  stars_knife    the same, images named Knife_*: kitchen and combat knives, mostly close up.
Every image whose dHash is within 6 bits of a training image (the trained list and the full staged sets)
is left out. Writes <out>/<set>/*.jpg and <out>/manifest.csv (file, label, scene, repo, commit, path,
licence).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

from prepare_data import IMAGE_SUFFIXES, dhash, near

SETS = {
    "fidass": (
        "FiDaSS/FiDaSS_dataset",
        "DatasetSamples/",
        "",
        "firearm",
        "wide",
        "no licence file; evaluation only",
    ),
    "stars_handgun": (
        "yatinmanuel/stars-vthacks",
        "packages/star-ai-model/model/",
        "Handgun_",
        "firearm",
        "close",
        "Roboflow project marked Private in its data.yaml (no licence granted); evaluation only",
    ),
    "stars_knife": (
        "yatinmanuel/stars-vthacks",
        "packages/star-ai-model/model/",
        "Knife_",
        "knife",
        "close",
        "Roboflow project marked Private in its data.yaml (no licence granted); evaluation only",
    ),
}


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--out", type=Path, default=Path("/work/data/weapons/heldout"))
    ap.add_argument("--train-list", type=Path, required=True)
    ap.add_argument("--staged", type=Path, nargs="*", default=[], help="staged sets whose images to avoid")
    ap.add_argument("--radius", type=int, default=6)
    args = ap.parse_args(argv)
    trained = sorted({Path(p) for p in args.train_list.read_text().split()})
    staged = [
        p
        for s in args.staged
        for p in sorted((s / "images").rglob("*"))  # images/train/ (split layout) or images/ (flat)
        if p.suffix.lower() in IMAGE_SUFFIXES
    ]
    pool = [h for h in (dhash(p) for p in [*trained, *staged]) if h is not None]
    rows, dropped = [], 0
    for name, (repo, folder, prefix, label, scene, licence) in SETS.items():
        git_dir = args.mirrors / repo.replace("/", "+") / "repo"
        commit = _git(git_dir, "rev-parse", "HEAD").decode().strip()
        paths = [
            p
            for p in _git(git_dir, "ls-tree", "-r", "--name-only", commit, folder).decode().splitlines()
            if Path(p).suffix.lower() in IMAGE_SUFFIXES and Path(p).name.startswith(prefix)
        ]
        (args.out / name).mkdir(parents=True, exist_ok=True)
        for p in sorted(paths):
            dst = args.out / name / Path(p).name
            dst.write_bytes(_git(git_dir, "show", f"{commit}:{p}"))
            h = dhash(dst)
            if h is None or near([h], pool, args.radius)[0]:
                dst.unlink()
                dropped += 1
                continue
            rows.append(
                {
                    "file": f"{name}/{dst.name}",
                    "label": label,
                    "scene": scene,
                    "source_repo": f"github.com/{repo}",
                    "commit": commit,
                    "source_path": p,
                    "licence": licence,
                }
            )
    with (args.out / "manifest.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} held-out images, {dropped} left out as near-copies of training images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
