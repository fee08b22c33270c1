"""Stage a folder of whole photos from a git mirror, for image-level checks with scripts/eval_scene.py.

    python scripts/stage_photo_set.py --git-dir /work/.mirror/MiguelARD+DoorDetect-Dataset/repo \\
        --repo MiguelARD/DoorDetect-Dataset --commit 1db107fe1b808fc5712f898b35bde0976ba0c0af \\
        --list scripts/sets/screen_openimages_pos.txt --out /work/data/scene2/eval/screen/pos_openimages \\
        --licence "Open Images (listed CC BY 2.0)" --label "screen in view (by eye)"

    python scripts/stage_photo_set.py --git-dir /work/.mirror/faisalthaheem+open-lpr-dataset-plate-detection/repo \\
        --repo faisalthaheem/open-lpr-dataset-plate-detection --commit 7251620bb3405a230eea1516a361dd7367818b88 \\
        --folder val --first 150 --out /work/data/scene2/eval/street/openlpr_val \\
        --licence Apache-2.0 --label "a vehicle (plate photo)"

The photos are read straight from the git objects (no work tree) at `--commit`, either the paths of
`--list` (one a line, `#` comments allowed; the by-eye labels live in scripts/sets/) or the first
`--first` images of `--folder` in name order. Each is written unchanged under `--out` and gets a row
in `--out/manifest.csv` (file, repo, commit, source path, licence, label, sha256), so a figure can be
traced to its sources. Staged data stays outside the repository.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import subprocess
from pathlib import Path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
FIELDS = ["file", "repo", "commit", "source_path", "licence", "label", "sha256"]


def git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def read_list(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def folder_images(git_dir: Path, commit: str, folder: str, first: int | None) -> list[str]:
    out = git(git_dir, "ls-tree", "-r", "--name-only", commit, folder.rstrip("/") + "/")
    names = sorted(p for p in out.decode().splitlines() if p.lower().endswith(IMAGE_SUFFIXES))
    return names[:first] if first else names


def stage(args: argparse.Namespace) -> int:
    if args.list is not None:
        paths = read_list(args.list)
    elif args.folder is not None:
        paths = folder_images(args.git_dir, args.commit, args.folder, args.first)
    else:
        raise SystemExit("give --list or --folder")
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = args.out / "manifest.csv"
    rows: dict[str, dict[str, str]] = {}
    if manifest.is_file():
        with manifest.open(newline="", encoding="utf-8") as fh:
            rows = {r["file"]: r for r in csv.DictReader(fh)}
    for path in paths:
        data = git(args.git_dir, "show", f"{args.commit}:{path}")
        name = args.prefix + Path(path).name
        (args.out / name).write_bytes(data)
        rows[name] = {
            "file": name,
            "repo": args.repo,
            "commit": args.commit,
            "source_path": path,
            "licence": args.licence,
            "label": args.label,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    with manifest.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows[k] for k in sorted(rows))
    print(f"staged {len(paths)} photos in {args.out} ({len(rows)} in its manifest)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--git-dir", type=Path, required=True, help="bare git directory of the mirror")
    ap.add_argument("--repo", required=True, help="owner/name, recorded in the manifest")
    ap.add_argument("--commit", required=True)
    ap.add_argument("--list", type=Path, default=None, help="repository paths, one a line")
    ap.add_argument("--folder", default=None, help="take the images of this repository folder")
    ap.add_argument("--first", type=int, default=None, help="with --folder: the first N in name order")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--prefix", default="", help="prefix for the staged file names")
    ap.add_argument("--licence", required=True)
    ap.add_argument("--label", required=True, help="what the photos show (recorded per photo)")
    return stage(ap.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
