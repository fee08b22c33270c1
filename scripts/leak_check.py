"""Clean every photo in ../shared/evaldata/metadata with the `sharesafe clean` CLI and look for leaks with
exiftool, an independent reader.

Usage: PYTHONPATH=. python scripts/leak_check.py [--mode reencode|lossless|both] [--evaldata DIR]
                                                  [--detectors NAMES] [--keep DIR]

Prints: files, exported, errors (with reasons), leaks per kind found by exiftool in the exports (GPS,
serials, owner/artist/copyright, XMP, IPTC, MakerNotes, thumbnails/previews, PNG text, trailers, comments),
whether the originals are byte-identical afterwards, and the reader's recall against manifest.csv.
Exit status 0 only with zero leaks, no unexpected errors and untouched originals.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exiftool_leaks import EXIFTOOL, LEAK_KINDS, classify, exiftool_records, trailing_bytes

REPO = Path(__file__).resolve().parents[1]


def default_evaldata() -> Path:
    for candidate in (REPO.parent / "shared/evaldata", REPO.parents[1] / "shared/evaldata"):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared/evaldata"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_clean(
    files: list[Path], out: Path, lossless: bool, detectors: str | None
) -> tuple[int, dict[str, Any]]:
    cmd = [sys.executable, "-m", "sharesafe", "clean", *map(str, files), "--out", str(out), "--json", "-q"]
    cmd += ["--detectors", detectors] if detectors else ["--no-detectors"]
    if lossless:
        cmd.append("--metadata-only")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    try:
        doc: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit(f"`sharesafe clean` printed no JSON (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.returncode, doc


def check_mode(
    name: str, files: list[Path], manifest: dict[str, dict[str, str]], args: argparse.Namespace, workdir: Path
) -> int:
    out = workdir / name
    out.mkdir(parents=True, exist_ok=True)
    before = {p: sha256(p) for p in files}
    t0 = time.perf_counter()
    code, doc = run_clean(files, out, lossless=(name == "lossless"), detectors=args.detectors)
    seconds = time.perf_counter() - t0
    changed = [p for p in files if sha256(p) != before[p]]
    records = doc.get("files", [])
    errors: Counter[str] = Counter()
    error_files: list[str] = []
    unexpected = 0
    outputs: dict[Path, dict[str, Any]] = {}
    modes: Counter[str] = Counter()
    for rec in records:
        export = rec.get("export") or {}
        err = rec.get("error") or export.get("error")
        if err:
            reason = err.split(":")[0] if "unexpected" not in err else err
            errors[reason[:90]] += 1
            error_files.append(f"{Path(rec['path']).name}: {err[:160]}")
            unexpected += "unexpected" in err
            continue
        if export.get("output") and export.get("verified"):
            outputs[Path(export["output"])] = rec
            modes[str(export.get("mode"))] += 1
    exif = exiftool_records(sorted(outputs)) if outputs else {}
    leaks: dict[str, list[str]] = {k: [] for k in LEAK_KINDS}
    for path, rec in sorted(outputs.items()):
        found = classify(exif.get(str(path), {}))
        extra = trailing_bytes(path.read_bytes())
        if extra > 0:
            found.setdefault("trailer", []).append(f"{extra} bytes after the picture")
        for kind, tags in found.items():
            leaks.setdefault(kind, []).append(
                f"{Path(rec['path']).name} -> {path.name}: {', '.join(tags[:4])}"
            )
    total_leaks = sum(len(v) for v in leaks.values())
    print(f"\n=== mode: {name} ({seconds:.1f} s, CLI exit {code}) ===")
    print(
        f"files: {len(files)}  reported: {len(records)}  exported+verified: {len(outputs)} {dict(modes)}  "
        f"errors: {sum(errors.values())} (unexpected: {unexpected})"
    )
    for reason, n in errors.most_common():
        print(f"  error x{n}: {reason}")
    if args.verbose:
        for line in error_files:
            print(f"    {line}")
    print(f"leaks found by exiftool in the exports: {total_leaks}")
    for kind in LEAK_KINDS:
        print(f"  {kind:11s} {len(leaks.get(kind, []))}")
        for line in leaks.get(kind, [])[:10]:
            print(f"      {line}")
    print(f"originals changed: {len(changed)}")
    if name != "lossless":
        recall(records, manifest)
    return total_leaks + unexpected + len(changed) + (len(records) != len(files))


def recall(records: list[dict[str, Any]], manifest: dict[str, dict[str, str]]) -> None:
    checks = {
        "has_gps": lambda md: any(m["tag"] == "GPSPosition" for m in md),
        "has_xmp": lambda md: any(m["group"].startswith("XMP") for m in md),
        "has_iptc": lambda md: any(m["group"] == "IPTC" for m in md),
        "has_makernotes": lambda md: any(m["tag"] == "MakerNote" for m in md),
        "has_exif_thumbnail": lambda md: any(m["tag"] == "ThumbnailImage" for m in md),
    }
    opened = [r for r in records if not r.get("error")]
    print(
        f"reader recall in the CLI's scan report, on the {len(opened)} files it could open "
        "(manifest column: found/expected; scripts/metadata_recall.py covers every file):"
    )
    for col, pred in checks.items():
        expected = [r for r in opened if manifest.get(Path(r["path"]).name, {}).get(col) == "1"]
        hit = sum(1 for r in expected if pred(r.get("metadata") or []))
        print(f"  {col:20s} {hit}/{len(expected)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaldata", type=Path, default=default_evaldata())
    parser.add_argument("--mode", choices=["reencode", "lossless", "both"], default="both")
    parser.add_argument("--detectors", default=None, help="detectors to run too (default: metadata only)")
    parser.add_argument("--keep", type=Path, default=None, help="write the exports here and keep them")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every failed file")
    args = parser.parse_args(argv)
    if EXIFTOOL is None:
        sys.exit("exiftool is not installed (Debian: libimage-exiftool-perl)")
    folder = args.evaldata / "metadata"
    files = sorted(p for p in folder.iterdir() if p.is_file())
    with open(args.evaldata / "manifest.csv", newline="") as fh:
        manifest = {Path(r["file"]).name: r for r in csv.DictReader(fh) if r["category"] == "metadata"}
    modes = ["reencode", "lossless"] if args.mode == "both" else [args.mode]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="sharesafe-leaks-") as tmp:
        workdir = args.keep or Path(tmp)
        for mode in modes:
            failures += check_mode(mode, files, manifest, args, workdir)
    print(f"\nRESULT: {'PASS' if failures == 0 else 'FAIL'}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
