"""Stage a licence-plate TRAINING set (one class, `plate`) in the ultralytics layout from git mirrors.

    python scripts/stage_plate_train.py --mirror-root /work/.mirror --out /work/data/plates/train_yolo \
        --cap openimages_train=1050 --cap openlpr=380 --guard ../shared/evaldata

Sources are listed in SOURCES below (repository, commit, licence, where images and boxes live). Every image
is read straight from the git objects (no work tree), scaled so its long side is at most --long-side px
(never up), re-encoded as JPEG (--quality) and written under images/{train,val}; boxes become YOLO rows (class 0).

Selection per source (capped by --cap): dark photos (mean grey < 70) and photos with a plate under 24 px
wide at the staged size come first, then a seeded random fill. Validation is a seeded ~--val share of each
source; a validation image whose 64-bit dHash (as models/prepare_data.py computes it) lies within
--dhash-radius bits of any training image is dropped, and any image that nearly matches an image under a
--guard folder (evaluation photos, never trained on) is dropped from both splits.
Writes data.yaml, SOURCES.md (repo, commit, licence, counts per source) and stats.json.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shlex
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import stage_yolo_set

from models.prepare_data import near

Box = tuple[float, float, float, float]


@dataclass
class Source:
    name: str
    repo: str
    commit: str
    licence: str
    kind: str  # "voc" (images + VOC xml folders), "openlpr" (images + imanno sqlite db), "yolo"
    images: tuple[str, ...]
    labels: tuple[str, ...] = ()
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)


SOURCES: tuple[Source, ...] = (
    Source(
        "openimages_train",
        "unknowncz/LP_recognition",
        "ecd25180ff577a39e4cf06cabb123771d503422c",
        "Open Images V6 photos CC BY 2.0, boxes CC BY 4.0 (Roboflow 'Google Licence Plates' export)",
        "voc",
        ("LP_Detection/train",),
        ("LP_Detection/trainlabels",),
        note="street, traffic and parking photos from many countries; many small and distant plates; "
        "its *valid* split is the project's Open Images evaluation set: photos whose Open Images id is also "
        "in valid are left out",
        extra={"exclude_ids_in": "LP_Detection/valid"},
    ),
    Source(
        "openlpr",
        "faisalthaheem/open-lpr-dataset-plate-detection",
        "7251620bb3405a230eea1516a361dd7367818b88",
        "Apache-2.0",
        "openlpr",
        ("train", "val"),
        ("train.db", "val.db"),
        note="car photos (Gulf states, Pakistan, UK, India, Australia and others), close to mid range",
    ),
)


def sources_record(counts: dict[str, dict[str, int]], argv: list[str] | None) -> dict[str, Any]:
    """What `models/train.py` copies into a run's record and the manifest: each source used, with its
    repository, commit and licence, and the command that staged the set."""
    args = sys.argv[1:] if argv is None else argv
    return {
        "sources": [
            {
                "set": src.name,
                "repo": f"github.com/{src.repo}",
                "commit": src.commit,
                "licence": src.licence,
                "attribution": f"{src.licence}; {src.note}",
                "counts": counts[src.name],
            }
            for src in SOURCES
            if src.name in counts
        ],
        "command": " ".join(["python", "scripts/stage_plate_train.py", *(shlex.quote(a) for a in args)]),
    }


class Blobs:
    """Reads many blobs of one git mirror through a single `git cat-file --batch`."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.proc = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def read(self, rev_path: str) -> bytes | None:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(rev_path.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            return None
        size = int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)
        return data

    def ls(self, commit: str, folder: str) -> list[str]:
        out = subprocess.run(
            [
                "git",
                f"--git-dir={self.git_dir}",
                "ls-tree",
                "-r",
                "--name-only",
                commit,
                folder.rstrip("/") + "/",
            ],
            check=True,
            capture_output=True,
        ).stdout.decode()
        return [line for line in out.splitlines() if line]


def voc_boxes(text: bytes) -> list[Box]:
    return [(b[0], b[1], b[2], b[3]) for b in stage_yolo_set.voc_boxes(text)]


def items(src: Source, blobs: Blobs) -> Iterator[tuple[str, list[Box]]]:
    """(path inside the repository, pixel xyxy boxes in the stored image's frame) for every labelled image."""
    if src.kind == "voc":
        for img_dir, lab_dir in zip(src.images, src.labels, strict=True):
            labels = {Path(p).stem: p for p in blobs.ls(src.commit, lab_dir) if p.endswith(".xml")}
            for path in blobs.ls(src.commit, img_dir):
                stem = Path(path).stem
                if path.lower().endswith((".jpg", ".jpeg", ".png")) and stem in labels:
                    text = blobs.read(f"{src.commit}:{labels[stem]}")
                    if text is not None:
                        yield path, voc_boxes(text)
    elif src.kind == "openlpr":
        for img_dir, db_path in zip(src.images, src.labels, strict=True):
            data = blobs.read(f"{src.commit}:{db_path}")
            assert data is not None, db_path
            with tempfile.NamedTemporaryFile(suffix=".db") as tmp:
                tmp.write(data)
                tmp.flush()
                con = sqlite3.connect(tmp.name)
                rows = con.execute(
                    "select filename, imgareas from annotations where isdeleted = 0 and isreviewed = 1"
                ).fetchall()
                con.close()
            for filename, areas in rows:
                boxes = []
                for a in json.loads(areas or "[]"):
                    if str(a.get("lbltxt", "plate")).lower() != "plate":
                        continue
                    x, y, w, h = (float(a[k]) for k in ("x", "y", "width", "height"))
                    boxes.append((x, y, x + w, y + h))
                yield f"{img_dir}/{filename}", boxes
    else:
        raise ValueError(src.kind)


def dhash_image(img: Image.Image, size: int = 8) -> int:
    small = np.asarray(img.convert("L").resize((size + 1, size), Image.Resampling.BILINEAR), np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def guard_hashes(folders: list[Path]) -> list[int]:
    out = []
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".bmp", ".webp"}:
                try:
                    with Image.open(p) as img:
                        out.append(dhash_image(ImageOps.exif_transpose(img)))
                except Exception:  # noqa: BLE001 - unreadable guard files are skipped
                    continue
    return out


@dataclass
class Staged:
    source: str
    src_path: str
    jpeg: bytes
    rows: list[str]
    dhash: int
    dark: bool
    min_width: float
    split: str = "train"


def prepare(
    data: bytes, boxes: list[Box], long_side: int, min_px: float, quality: int
) -> tuple[bytes, list[str], Image.Image, float] | None:
    with Image.open(io.BytesIO(data)) as raw:
        raw.load()
        img = raw.convert("RGB")
    w, h = img.size
    scale = min(1.0, long_side / max(w, h))
    if scale < 1.0:
        img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    nw = img.size[0]
    rows = []
    widths = []
    for x1, y1, x2, y2 in boxes:
        x1, x2 = sorted((max(0.0, min(w, x1)), max(0.0, min(w, x2))))
        y1, y2 = sorted((max(0.0, min(h, y1)), max(0.0, min(h, y2))))
        bw, bh = (x2 - x1) * scale, (y2 - y1) * scale
        if bw < min_px or bh < min_px:
            continue
        widths.append(bw)
        rows.append(
            f"0 {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}"
        )
    if not rows:
        return None
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue(), rows, img, min(widths) if widths else float(nw)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cap", action="append", default=[], help="source=N (images kept from that source)")
    ap.add_argument("--only", action="append", default=[], help="stage only these sources")
    ap.add_argument("--val", type=float, default=0.12)
    ap.add_argument("--long-side", type=int, default=640)
    ap.add_argument(
        "--quality", type=int, default=72, help="JPEG quality (the GPU transfer limit is ~64 MiB)"
    )
    ap.add_argument("--min-box", type=float, default=3.0, help="drop boxes under this many px (staged size)")
    ap.add_argument("--dhash-radius", type=int, default=6)
    ap.add_argument("--guard", type=Path, action="append", default=[])
    ap.add_argument(
        "--guard-git", action="append", default=[], help="MIRROR_DIR:COMMIT:FOLDER images to guard"
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    caps = {k: int(v) for k, v in (c.split("=", 1) for c in args.cap)}
    rng = random.Random(args.seed)
    guard = guard_hashes(args.guard)
    for spec in args.guard_git:
        git_dir, commit, folder = spec.split(":", 2)
        b = Blobs(Path(git_dir))
        for p in b.ls(commit, folder):
            if p.lower().endswith((".jpg", ".jpeg", ".png")):
                data = b.read(f"{commit}:{p}")
                if data:
                    with Image.open(io.BytesIO(data)) as img:
                        guard.append(dhash_image(img))
    print(f"guard: {len(guard)} images", flush=True)

    staged: list[Staged] = []
    stats: dict[str, dict[str, object]] = {}
    for src in SOURCES:
        if args.only and src.name not in args.only:
            continue
        git_dir = args.mirror_root / (src.repo.replace("/", "+")) / "repo"
        blobs = Blobs(git_dir)
        cand: list[Staged] = []
        seen: set[str] = set()
        excluded = 0
        if "exclude_ids_in" in src.extra:
            other = {
                Path(p).name.split("_jpg.rf.")[0] for p in blobs.ls(src.commit, src.extra["exclude_ids_in"])
            }
        else:
            other = set()
        n_items = unreadable = guarded = 0
        for path, boxes in items(src, blobs):
            n_items += 1
            key = Path(path).name.split("_jpg.rf.")[0]  # Roboflow augmentations share the source name
            if key in seen:
                continue
            if key in other:
                excluded += 1
                continue
            data = blobs.read(f"{src.commit}:{path}")
            if not data:
                unreadable += 1
                continue
            try:
                got = prepare(data, boxes, args.long_side, args.min_box, args.quality)
            except Exception:  # noqa: BLE001 - undecodable image
                unreadable += 1
                continue
            if got is None:
                continue
            jpeg, rows, img, min_w = got
            h = dhash_image(img)
            if guard and near([h], guard, args.dhash_radius)[0]:
                guarded += 1
                continue
            seen.add(key)
            grey = float(np.asarray(img.convert("L").resize((128, 128))).mean())
            cand.append(Staged(src.name, path, jpeg, rows, h, grey < 70, min_w))
        cap = caps.get(src.name, len(cand))
        hard = [c for c in cand if c.dark or c.min_width < 24]
        easy = [c for c in cand if not (c.dark or c.min_width < 24)]
        rng.shuffle(hard)
        rng.shuffle(easy)
        picked = (hard + easy)[:cap]
        rng.shuffle(picked)
        n_val = round(len(picked) * args.val)
        for c in picked[:n_val]:
            c.split = "val"
        staged.extend(picked)
        stats[src.name] = {
            "labelled_in_source": n_items,
            "candidates": len(cand),
            "unreadable": unreadable,
            "same_photo_in_eval_split": excluded,
            "guarded_near_eval": guarded,
            "picked": len(picked),
            "dark_picked": sum(c.dark for c in picked),
            "small_plate_picked": sum(c.min_width < 24 for c in picked),
        }
        print(src.name, stats[src.name], flush=True)

    train_hashes = [c.dhash for c in staged if c.split == "train"]
    val = [c for c in staged if c.split == "val"]
    dup = near([c.dhash for c in val], train_hashes, args.dhash_radius)
    dropped_val = 0
    for c, d in zip(val, dup, strict=True):
        if d:
            c.split = "drop"
            dropped_val += 1
    # near-duplicates inside validation itself: keep the first
    kept_val: list[int] = []
    for c in [c for c in staged if c.split == "val"]:
        if kept_val and near([c.dhash], kept_val, args.dhash_radius)[0]:
            c.split = "drop"
            dropped_val += 1
        else:
            kept_val.append(c.dhash)

    out = args.out
    for split in ("train", "val"):
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    for i, c in enumerate(staged):
        if c.split == "drop":
            continue
        stem = f"{c.source}__{i:05d}"
        (out / "images" / c.split / f"{stem}.jpg").write_bytes(c.jpeg)
        (out / "labels" / c.split / f"{stem}.txt").write_text("\n".join(c.rows) + "\n")
        per = counts.setdefault(c.source, {"train": 0, "val": 0, "boxes": 0})
        per[c.split] += 1
        per["boxes"] += len(c.rows)
    (out / "data.yaml").write_text(
        "# no `path:` key: ultralytics then takes this file's folder as the root, wherever it is copied\n"
        "train: images/train\nval: images/val\nnc: 1\nnames:\n  0: plate\n"
    )
    total_train = sum(v["train"] for v in counts.values())
    total_val = sum(v["val"] for v in counts.values())
    lines = [
        "# Sources of the licence-plate training set",
        "",
        f"Staged by `scripts/stage_plate_train.py` (seed {args.seed}, long side <= {args.long_side} px, JPEG q{args.quality},",
        f"validation share {args.val}, dHash radius {args.dhash_radius}; {dropped_val} validation images dropped as",
        "near-duplicates of training images or of each other; images near any guard image dropped from both).",
        f"Guards: {', '.join(str(g) for g in args.guard + args.guard_git) or 'none'}.",
        "",
        "| source | repository | commit | licence | train | val | boxes | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for src in SOURCES:
        if src.name in counts:
            c = counts[src.name]
            lines.append(
                f"| {src.name} | {src.repo} | {src.commit} | {src.licence} | {c['train']} | {c['val']} | "
                f"{c['boxes']} | {src.note} |"
            )
    lines += ["", f"Total: {total_train} train, {total_val} val images; one class, 0 = plate.", ""]
    lines += ["Selection per source:", "", "```", json.dumps(stats, indent=1), "```", ""]
    (out / "SOURCES.md").write_text("\n".join(lines))
    (out / "stats.json").write_text(
        json.dumps({"counts": counts, "selection": stats, "dropped_val": dropped_val}, indent=1)
    )
    (out / "sources.json").write_text(json.dumps(sources_record(counts, argv), indent=1) + "\n")
    print(f"train {total_train}, val {total_val}, dropped from val {dropped_val} -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
