"""Stage a Roboflow-style YOLO export from a fetched (bare) git mirror into the ultralytics layout.

    python models/stage_git_set.py --git-dir /work/.mirror/OWNER+NAME/repo --repo github.com/OWNER/NAME \
        --name pistol_longgun_cctv --licence "CC BY 4.0 (README.dataset.txt)" --out /work/data/weapons

Writes <out>/<name>/{images,labels}/{train,val}, data.yaml, SOURCE.json (repo, commit, licence, counts) and
manifest.csv (every file traced to its path and blob in the source commit), like ../shared/traindata.
Only data is copied, never code. Roboflow exports list every source image up to three times (augmented
copies named `<source>_<ext>.rf.<hash>`): one copy per source is kept (the first by name). Video-frame groups
(`<video>-opencv0-<time>`) are capped at --max-per-video frames, evenly spaced, so a few clips do not dominate.
Upstream "test" images join "val". Long side is limited to 640 px (JPEG q85).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

from PIL import Image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
SPLITS = {"train": "train", "valid": "val", "val": "val", "test": "val"}
_RF = re.compile(r"^(?P<src>.+?)_(?:jpg|jpeg|png)\.rf\.[0-9a-f]+$", re.IGNORECASE)
_VIDEO = re.compile(r"^(?P<video>.+?-opencv\d+)-")


def source_key(stem: str) -> str:
    """The upstream image a Roboflow file was made from (`x_jpg.rf.abc` -> `x`)."""
    m = _RF.match(stem)
    return m.group("src") if m else stem


def video_key(src: str) -> str | None:
    m = _VIDEO.match(src)
    return m.group("video") if m else None


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def _tree(git_dir: Path, commit: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in _git(git_dir, "ls-tree", "-r", commit).decode().splitlines():
        meta, path = line.split("\t", 1)
        out[path] = meta.split()[2]
    return out


def select(paths: list[str], max_per_video: int) -> list[str]:
    """One file per source image; at most `max_per_video` evenly spaced frames per video group."""
    by_src: dict[str, str] = {}
    for p in sorted(paths):
        by_src.setdefault(source_key(Path(p).stem), p)
    videos: dict[str, list[str]] = {}
    keep: list[str] = []
    for src, p in sorted(by_src.items()):
        v = video_key(src)
        if v is None:
            keep.append(p)
        else:
            videos.setdefault(v, []).append(p)
    for frames in videos.values():
        if len(frames) <= max_per_video:
            keep.extend(frames)
        else:
            step = len(frames) / max_per_video
            keep.extend(frames[int(i * step)] for i in range(max_per_video))
    return sorted(keep)


def stage(args: argparse.Namespace) -> dict[str, object]:
    git_dir = Path(args.git_dir)
    commit = _git(git_dir, "rev-parse", args.commit).decode().strip()
    tree = _tree(git_dir, commit)
    root = args.root.strip("/") + "/" if args.root else ""
    out = Path(args.out) / args.name
    rows = []
    counts: dict[str, dict[str, int]] = {}
    for up_split, split in SPLITS.items():
        prefix = f"{root}{up_split}/images/"
        images = [p for p in tree if p.startswith(prefix) and p.lower().endswith(IMAGE_SUFFIXES)]
        if not images:
            continue
        cap = args.max_per_video if split == "train" else args.max_per_video_val
        chosen = select(images, cap)
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
        stat = counts.setdefault(split, {"images": 0, "boxes": 0, "background": 0})
        for path in chosen:
            stem = Path(path).stem
            label_path = f"{root}{up_split}/labels/{stem}.txt"
            label = _git(git_dir, "cat-file", "blob", tree[label_path]).decode() if label_path in tree else ""
            lines = [ln for ln in label.splitlines() if len(ln.split()) == 5]
            img = Image.open(io.BytesIO(_git(git_dir, "cat-file", "blob", tree[path]))).convert("RGB")
            if max(img.size) > 640:
                img.thumbnail((640, 640))
            name = f"{stem}.jpg"
            img.save(out / "images" / split / name, quality=85)
            (out / "labels" / split / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
            rows.append({"split": split, "file": name, "source_path": path, "blob": tree[path]})
            stat["images"] += 1
            stat["boxes"] += len(lines)
            stat["background"] += 0 if lines else 1
    names = args.names.split(",")
    (out / "data.yaml").write_text(
        f"# staged from {args.repo}@{commit}\n# licence: {args.licence}\n"
        "train: images/train\nval: images/val\n"
        f"nc: {len(names)}\nnames:\n" + "".join(f"  {i}: {n}\n" for i, n in enumerate(names))
    )
    with (out / "manifest.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["split", "file", "source_path", "blob"])
        w.writeheader()
        w.writerows(rows)
    info: dict[str, object] = {
        "source_repo": args.repo,
        "commit": commit,
        "root": args.root,
        "licence": args.licence,
        "names": names,
        "max_per_video": args.max_per_video,
        "counts": counts,
        "command": " ".join(sys.argv),
    }
    (out / "SOURCE.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--git-dir", required=True)
    ap.add_argument("--commit", default="HEAD")
    ap.add_argument("--repo", required=True, help="github.com/owner/name (recorded)")
    ap.add_argument("--root", default="", help="folder holding train/valid/test inside the repo")
    ap.add_argument("--name", required=True)
    ap.add_argument("--names", required=True, help="upstream class names, comma-separated, in id order")
    ap.add_argument("--licence", required=True)
    ap.add_argument("--out", default="/work/data/weapons")
    ap.add_argument("--max-per-video", type=int, default=40)
    ap.add_argument("--max-per-video-val", type=int, default=10)
    info = stage(ap.parse_args(argv))
    print(json.dumps(info["counts"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
