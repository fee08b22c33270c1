"""Run read_metadata over every evaldata/metadata file and compare what it finds with manifest.csv.

Usage: PYTHONPATH=. python scripts/metadata_recall.py [--evaldata ../shared/evaldata] [-v]

Prints, per manifest column, how often the reader agrees (recall on the files that have the thing,
and false alarms on those that do not), and lists every disagreement with -v. Crashes are counted too.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sharesafe.metadata import read_metadata
from sharesafe.types import MetadataItem

Pred = Callable[[list[MetadataItem]], bool]

COLUMNS: dict[str, Pred] = {
    "has_exif": lambda items: any(i.group.startswith(("EXIF", "TIFF")) for i in items),
    "has_gps": lambda items: any(i.tag == "GPSPosition" for i in items),
    "has_gps_ifd": lambda items: any(i.group.endswith(":GPS") for i in items),
    "has_xmp": lambda items: any(i.group.startswith("XMP") for i in items),
    "has_iptc": lambda items: any(i.group == "IPTC" for i in items),
    "has_makernotes": lambda items: any(i.tag == "MakerNote" for i in items),
    "has_exif_thumbnail": lambda items: any(
        i.tag == "ThumbnailImage" and i.group.endswith("IFD1") for i in items
    ),
    "has_icc": lambda items: any(i.tag == "ICC_Profile" for i in items),
    "has_photoshop_irb": lambda items: any(i.tag == "PhotoshopIRB" for i in items),
    "has_png_time": lambda items: any(i.group == "PNG:tIME" for i in items),
}


def default_evaldata() -> Path:
    """../shared/evaldata next to the checkout, or /work/shared/evaldata for a worktree."""
    repo = Path(__file__).resolve().parents[1]
    for candidate in (repo.parent / "shared/evaldata", repo.parents[1] / "shared/evaldata"):
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared/evaldata"


def load_manifest(evaldata: Path) -> list[dict[str, str]]:
    with open(evaldata / "manifest.csv", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row["category"] == "metadata"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaldata", type=Path, default=default_evaldata())
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    rows = load_manifest(args.evaldata)
    counts = {
        col: [0, 0, 0, 0] for col in [*COLUMNS, "png_text_keys", "gps_position_within_1e-4"]
    }  # tp fn fp tn
    misses: list[str] = []
    crashes = 0
    seconds: list[float] = []
    for row in rows:
        path = args.evaldata / row["file"]
        data = path.read_bytes()
        t0 = time.perf_counter()
        try:
            items = read_metadata(data)
        except Exception as exc:  # noqa: BLE001 - counted and shown: the reader must never raise
            crashes += 1
            misses.append(f"CRASH {path.name}: {exc!r}")
            continue
        seconds.append(time.perf_counter() - t0)
        for col, pred in COLUMNS.items():
            truth = row.get(col, "0") == "1"
            got = pred(items)
            counts[col][(0 if got else 1) if truth else (2 if got else 3)] += 1
            if truth != got:
                misses.append(f"{col:20s} manifest={int(truth)} reader={int(got)} {path.name}")
        keys = {k for k in row.get("png_text_keys", "").split("|") if k}
        found = {i.tag.lower() for i in items if i.group in ("PNG:tEXt", "PNG:iTXt", "PNG:zTXt")}
        for key in keys:
            counts["png_text_keys"][0 if key.lower() in found else 1] += 1
            if key.lower() not in found:
                misses.append(f"png_text_keys missing {key!r} in {path.name}")
        if row.get("has_gps") == "1" and row.get("gps_lat"):
            pos = next((i.value for i in items if i.tag == "GPSPosition"), "")
            try:
                lat, lon = (float(v) for v in pos.split(","))
                ok = abs(lat - float(row["gps_lat"])) < 1e-4 and abs(lon - float(row["gps_lon"])) < 1e-4
            except ValueError:
                ok = False
            counts["gps_position_within_1e-4"][0 if ok else 1] += 1
            if not ok:
                misses.append(f"gps value {pos!r} vs {row['gps_lat']}, {row['gps_lon']} {path.name}")
    print(f"files: {len(rows)}  read crashes: {crashes}")
    if seconds:
        seconds.sort()
        print(
            f"read time per file: median {seconds[len(seconds) // 2] * 1000:.1f} ms, "
            f"max {seconds[-1] * 1000:.1f} ms"
        )
    print(f"{'column':28s} {'recall':>12s} {'false alarms':>14s} {'agreement':>10s}")
    for col, (tp, fn, fp, tn) in counts.items():
        total = tp + fn + fp + tn
        recall = f"{tp}/{tp + fn}" if tp + fn else "-"
        agree = f"{(tp + tn) / total:.1%}" if total else "-"
        print(f"{col:28s} {recall:>12s} {fp:>8d}/{fp + tn:<5d} {agree:>10s}")
    if args.verbose or len(misses) <= 40:
        for line in misses:
            print("  ", line)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
