"""Image-level recall and false findings per negative image for the scene classes (issue 11).

Folders of real photos are given as positives or negatives of a class; every photo is scanned once
with the chosen detectors in registry order (each sees what the earlier ones found, as in a scan),
and the findings are cached as JSON lines so several classes can be scored from one run.

    PYTHONPATH=$PWD .venv/bin/python scripts/eval_scene.py --detectors coco \\
        --positive vehicle=../shared/evaldata/licence_plate --negative vehicle=../shared/evaldata/face

A class is `vehicle`, `police_vehicle` (a vehicle finding whose label says police, which is what
the policy profiles' police-vehicle rule matches), `screen`, `document`, `weapon`, `uniform`,
`police_uniform` (a uniform finding other than the hi-vis vest ones), `premises`, `badge`,
`person`; `CLASS@DETECTOR` counts only that detector's findings (e.g. `person@coco` against
`person@persons`, with `--coco-persons` adding COCO's person class to the coco detector).
`--reuse CACHE --detectors hints,cues,police_vehicle` re-runs only those late detectors, with the
other detectors' findings read from an earlier run's cache (minutes instead of an OCR pass).
Recall: share of positive photos with at least one finding of the class. False findings: findings
of the class on negative photos, per photo (and the share of negative photos with any).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".heic", ".heif", ".tif", ".tiff"}

Pred = Callable[[dict[str, Any]], bool]


def _cat(name: str) -> Pred:
    return lambda f: bool(f["category"] == name)


CLASSES: dict[str, Pred] = {
    "vehicle": _cat("vehicle"),
    "police_vehicle": lambda f: f["category"] == "vehicle" and "police" in f["label"].lower(),
    "screen": _cat("screen"),
    "document": _cat("document"),
    "weapon": _cat("weapon"),
    "uniform": _cat("uniform"),
    "police_uniform": lambda f: f["category"] == "uniform" and "vis" not in f["label"].lower(),
    "premises": _cat("premises"),
    "badge": _cat("badge"),
    "person": _cat("person"),
}


def predicate(spec: str) -> Pred:
    name, _, detector = spec.partition("@")
    if name not in CLASSES:
        raise SystemExit(f"unknown class {name!r}; known: {', '.join(CLASSES)}")
    base = CLASSES[name]
    if not detector:
        return base
    return lambda f: base(f) and f["detector"] == detector


def photos(folder: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    return files[:limit] if limit else files


def build_detectors(names: list[str], coco_persons: bool) -> list[Any]:
    from detectors import coco, registry

    out: list[Any] = []
    for name in [b.name for b in registry.BACKENDS if b.name in names]:
        if name == "coco" and coco_persons:
            out.append(coco.make(class_map={**coco.CLASS_MAP, "person": coco.PERSON_TARGET}))
        else:
            out.extend(registry.build([name]))
    return out


def _finding(d: dict[str, Any]) -> Any:
    from sharesafe.types import Box, Category, Finding

    return Finding(
        Category(d["category"]),
        d["label"],
        float(d["score"]),
        Box(*d["box"]),
        d["detector"],
        d.get("detail"),
        dict(d.get("extra") or {}),
    )


def rerun_late(
    paths: list[Path], reuse: Path, detectors: list[Any], cache: Path | None
) -> dict[str, list[dict[str, Any]]]:
    """Re-run only `detectors` (the last ones of the scan order) on each photo, with the findings of
    every other detector taken from `reuse` (a cache of an earlier run) as their context."""
    from sharesafe.image import load_image
    from sharesafe.resize import shared_resizes

    names = {d.name for d in detectors}
    earlier: dict[str, list[dict[str, Any]]] = {}
    for line in reuse.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        earlier[row["path"]] = [f for f in row["findings"] if f["detector"] not in names]
    key = "rerun:" + ",".join(d.name for d in detectors)
    done: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        if str(path) not in earlier:
            continue
        pixels = load_image(path).pixels
        found = list(earlier[str(path)])
        context = [_finding(f) for f in found]
        with shared_resizes(pixels):
            for det in detectors:
                new = det.detect(pixels, tuple(context))
                context.extend(new)
                found.extend(f.to_json() for f in new)
        done[str(path)] = found
        if cache is not None:
            with cache.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"path": str(path), "detectors": key, "findings": found}) + "\n")
    print(f"re-ran {key} on {len(done)} photos with the other findings from {reuse}")
    return done


def scan_photos(
    paths: list[Path], detectors: list[Any], cache: Path | None
) -> dict[str, list[dict[str, Any]]]:
    from sharesafe.image import load_image
    from sharesafe.pipeline import run_detectors

    key = ",".join(d.name for d in detectors)
    done: dict[str, list[dict[str, Any]]] = {}
    if cache is not None and cache.is_file():
        for line in cache.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["detectors"] == key:
                done[row["path"]] = row["findings"]
    todo = [p for p in paths if str(p) not in done]
    times: list[float] = []
    for i, path in enumerate(todo, 1):
        try:
            pixels = load_image(path).pixels
        except Exception as exc:  # noqa: BLE001 - an unreadable photo is reported and skipped
            print(f"skip {path}: {exc}", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        errors: dict[str, str] = {}
        found = [f.to_json() for f in run_detectors(pixels, detectors, errors)]
        times.append(time.perf_counter() - t0)
        if errors:
            print(f"detector errors on {path}: {errors}", file=sys.stderr)
        done[str(path)] = found
        if cache is not None:
            with cache.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"path": str(path), "detectors": key, "findings": found}) + "\n")
        if i % 25 == 0:
            print(f"  {i}/{len(todo)} scanned", file=sys.stderr)
    if times:
        times.sort()
        print(f"scanned {len(times)} photos, median {times[len(times) // 2]:.3f} s/photo ({key})")
    return done


def head_recall(
    findings: dict[str, list[dict[str, Any]]], labels: Path, classes: set[int], detectors: list[str]
) -> None:
    """Per-person recall from YOLO head labels (e.g. helmet / no_helmet boxes, one per worker): the
    share of heads whose centre lies inside a person box of each detector."""
    from PIL import Image

    heads = 0
    hit = dict.fromkeys(detectors, 0)
    for path, found in findings.items():
        label = labels / (Path(path).stem + ".txt")
        if not label.is_file():
            continue
        with Image.open(path) as im:
            w, h = im.size
        for line in label.read_text().splitlines():
            parts = line.split()
            if len(parts) < 5 or int(parts[0]) not in classes:
                continue
            cx, cy = float(parts[1]) * w, float(parts[2]) * h
            heads += 1
            for det in detectors:
                boxes = [f["box"] for f in found if f["category"] == "person" and f["detector"] == det]
                if any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes):
                    hit[det] += 1
    for det in detectors:
        print(
            f"person@{det:<15} per-head recall {hit[det]:>4}/{heads:<4} = {hit[det] / max(heads, 1):.3f}  {labels}"
        )


def parse_sets(items: list[str]) -> list[tuple[str, Path]]:
    out = []
    for item in items:
        cls, sep, folder = item.partition("=")
        if not sep:
            raise SystemExit(f"expected CLASS=FOLDER, got {item!r}")
        predicate(cls)
        out.append((cls, Path(folder)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detectors", default="coco", help="comma-separated detectors (run in registry order)")
    ap.add_argument("--positive", action="append", default=[], metavar="CLASS=FOLDER")
    ap.add_argument("--negative", action="append", default=[], metavar="CLASS=FOLDER")
    ap.add_argument("--limit", type=int, default=None, help="at most this many photos per folder")
    ap.add_argument("--coco-persons", action="store_true", help="let coco report COCO's person class too")
    ap.add_argument("--cache", type=Path, default=None, help="JSON-lines cache of findings per photo")
    ap.add_argument("--verbose", action="store_true", help="list missed positives and flagged negatives")
    ap.add_argument(
        "--head-labels",
        type=Path,
        default=None,
        help="YOLO label folder whose classes --head-classes mark one head per person: per-head "
        "person recall of each detector that reported people",
    )
    ap.add_argument("--head-classes", default="0,2", help="head class ids in --head-labels")
    ap.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="a cache of an earlier run: re-run only --detectors (the last ones of the scan order) "
        "with every other detector's findings taken from it",
    )
    args = ap.parse_args(argv)

    positives = parse_sets(args.positive)
    negatives = parse_sets(args.negative)
    folders = sorted({f for _, f in positives + negatives})
    listing = {f: photos(f, args.limit) for f in folders}
    all_paths = sorted({p for ps in listing.values() for p in ps})
    detectors = build_detectors(
        [n.strip() for n in args.detectors.split(",") if n.strip()], args.coco_persons
    )
    if args.reuse is not None:
        findings = rerun_late(all_paths, args.reuse, detectors, args.cache)
    else:
        findings = scan_photos(all_paths, detectors, args.cache)

    for cls, folder in positives:
        pred = predicate(cls)
        paths = [p for p in listing[folder] if str(p) in findings]
        hits = [p for p in paths if any(pred(f) for f in findings[str(p)])]
        rate = len(hits) / len(paths) if paths else 0.0
        print(f"{cls:<22} recall   {len(hits):>4}/{len(paths):<4} = {rate:.3f}  {folder}")
        if args.verbose:
            for p in sorted(set(paths) - set(hits)):
                print(f"    missed {p}")
    for cls, folder in negatives:
        pred = predicate(cls)
        paths = [p for p in listing[folder] if str(p) in findings]
        counts = {p: sum(1 for f in findings[str(p)] if pred(f)) for p in paths}
        total = sum(counts.values())
        flagged = sum(1 for c in counts.values() if c)
        n = max(len(paths), 1)
        print(
            f"{cls:<22} negative {total:>4} findings on {flagged}/{len(paths)} photos = "
            f"{total / n:.3f} per photo  {folder}"
        )
        if args.verbose:
            for p, c in sorted(counts.items()):
                if c:
                    labels = sorted({f["label"] for f in findings[str(p)] if pred(f)})
                    print(f"    flagged {p}: {labels}")
    if args.head_labels is not None:
        dets = sorted({f["detector"] for fs in findings.values() for f in fs if f["category"] == "person"})
        head_recall(findings, args.head_labels, {int(c) for c in args.head_classes.split(",")}, dets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
