"""Cut person crops out of labelled public photos for the uniform head (issue 11), and draw contact sheets.

    PYTHONPATH=$PWD .venv/bin/python scripts/stage_uniform_crops.py crops --list FILES.txt --set NAME \\
        --out /work/data/scene/uniform [--label civilian]
    PYTHONPATH=$PWD .venv/bin/python scripts/stage_uniform_crops.py sheets --out /work/data/scene/uniform --set NAME

`crops` runs the `persons` detector (the one a scan uses) on every photo listed, pads each person box by
10 % and writes it to <out>/crops/<set>/<photo>__<k>.jpg, with one row per crop in <out>/crops.csv (set,
crop, source photo, box, label). A set whose label is known for every person (e.g. hi-vis construction
workers: `civilian`) is labelled at once; the others are labelled by looking at contact sheets
(`sheets`: numbered grids of 48 crops, <out>/sheets/<set>_<n>.png) and writing the numbers that show a
police, military or security uniform into <out>/labels/<set>_<n>.txt (`labels` merges them into crops.csv).
`guard` then marks `skip` every crop whose photo is within --radius bits (64-bit dHash) of an image in
the given folders or git mirrors (the evaluation photos), so no evaluated photo is trained on; run it
after `labels`, which would otherwise overwrite those marks.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crop_head import read_crops, write_crops  # models/ is not a package: found through sys.path

CROP_PAD = 0.10
MIN_HEIGHT = 64
MIN_SCORE = 0.4
PER_SHEET = 48


def crops(args: argparse.Namespace) -> None:
    from PIL import Image

    from detectors import persons
    from sharesafe.image import load_image

    det = persons.make()
    det.load()
    out: Path = args.out
    folder = out / "crops" / args.set
    folder.mkdir(parents=True, exist_ok=True)
    rows = [r for r in read_crops(out) if r["set"] != args.set]
    files = [Path(line.strip()) for line in args.list.read_text().splitlines() if line.strip()]
    for n, path in enumerate(files, 1):
        pixels = load_image(path).pixels
        h, w = pixels.shape[:2]
        people = [f for f in det.detect(pixels) if f.score >= MIN_SCORE and f.box.height >= MIN_HEIGHT]
        for k, f in enumerate(sorted(people, key=lambda f: -f.box.area)[: args.max_per_photo]):
            b = f.box.padded(CROP_PAD, w, h)
            name = f"{path.stem}__{k}.jpg"
            Image.fromarray(pixels[b.y1 : b.y2, b.x1 : b.x2]).save(folder / name, quality=90)
            rows.append(
                {
                    "set": args.set,
                    "crop": f"crops/{args.set}/{name}",
                    "source": str(path),
                    "x1": str(b.x1),
                    "y1": str(b.y1),
                    "x2": str(b.x2),
                    "y2": str(b.y2),
                    "label": args.label or "",
                }
            )
        if n % 50 == 0:
            print(f"{n}/{len(files)} photos", flush=True)
    write_crops(out, rows)
    print(f"{sum(r['set'] == args.set for r in rows)} crops from {len(files)} photos ({args.set})")


def sheets(args: argparse.Namespace) -> None:
    from PIL import Image, ImageDraw

    out: Path = args.out
    rows = [r for r in read_crops(out) if r["set"] == args.set]
    (out / "sheets").mkdir(exist_ok=True)
    side, cols = 150, 8
    for s in range(math.ceil(len(rows) / PER_SHEET)):
        part = rows[s * PER_SHEET : (s + 1) * PER_SHEET]
        sheet = Image.new("RGB", (cols * side, math.ceil(len(part) / cols) * side), "white")
        draw = ImageDraw.Draw(sheet)
        for i, r in enumerate(part):
            im = Image.open(out / r["crop"]).convert("RGB")
            im.thumbnail((side - 4, side - 14))
            x, y = (i % cols) * side, (i // cols) * side
            sheet.paste(im, (x + 2, y + 12))
            draw.text((x + 3, y), str(i), fill="red")
        sheet.save(out / "sheets" / f"{args.set}_{s}.png")
    print(f"{math.ceil(len(rows) / PER_SHEET)} sheets for {len(rows)} crops")


def labels(args: argparse.Namespace) -> None:
    """Sheet label files list the uniformed crops' numbers (and `x N` for unusable crops); every other crop
    of a labelled sheet is civilian."""
    out: Path = args.out
    rows = read_crops(out)
    by_set: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_set.setdefault(r["set"], []).append(r)
    for path in sorted((out / "labels").glob("*.txt")):
        name, _, num = path.stem.rpartition("_")
        part = by_set.get(name, [])[int(num) * PER_SHEET : (int(num) + 1) * PER_SHEET]
        uniform: set[int] = set()
        skip: set[int] = set()
        for tok in path.read_text().replace(",", " ").split():
            if tok.startswith("x"):
                skip.add(int(tok[1:]))
            else:
                uniform.add(int(tok))
        for i, r in enumerate(part):
            r["label"] = "skip" if i in skip else "uniform" if i in uniform else "civilian"
    write_crops(out, rows)
    for name, part in by_set.items():
        counts = {lab: sum(r["label"] == lab for r in part) for lab in ("uniform", "civilian", "skip", "")}
        print(name, counts)


def guard(args: argparse.Namespace) -> None:
    from stage_vehicle_crops import Guard, dhash_bytes

    out: Path = args.out
    rows = read_crops(out)
    near = Guard.of(args.radius, args.git, args.folder)
    kept_out = {src for src in {r["source"] for r in rows} if near.near(dhash_bytes(Path(src).read_bytes()))}
    for r in rows:
        if r["source"] in kept_out:
            r["label"] = "skip"
    write_crops(out, rows)
    print(f"{len(kept_out)} photos kept out: {sum(r['source'] in kept_out for r in rows)} crops marked skip")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("crops")
    c.add_argument("--list", type=Path, required=True, help="text file, one photo path a line")
    c.add_argument("--set", required=True)
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--label", default=None, help="label every crop of this set (e.g. civilian)")
    c.add_argument("--max-per-photo", type=int, default=4)
    s = sub.add_parser("sheets")
    s.add_argument("--set", required=True)
    s.add_argument("--out", type=Path, required=True)
    lab = sub.add_parser("labels")
    lab.add_argument("--out", type=Path, required=True)
    gd = sub.add_parser("guard")
    gd.add_argument("--out", type=Path, required=True)
    gd.add_argument("--folder", type=Path, action="append", default=[], help="evaluation photos to keep out")
    gd.add_argument("--git", action="append", default=[], help="GIT_DIR[:COMMIT] of a mirror to keep out")
    gd.add_argument("--radius", type=int, default=10)
    args = ap.parse_args(argv)
    {"crops": crops, "sheets": sheets, "labels": labels, "guard": guard}[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
