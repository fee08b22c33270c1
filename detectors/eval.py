"""Score detectors against a folder of labelled photos.

    python -m detectors.eval [--data ../shared/evaldata] [--detectors faces text plates] [--limit-negatives 40]

The folder holds a `manifest.csv` with at least the columns `file` (relative path), `category` and
`labels_json` (a JSON list of {"cls": ..., "bbox_xyxy": [x1, y1, x2, y2], "ignore": bool, "text": ...}).
For every labelled class the script prints:

- coverage recall: share of ground-truth boxes whose area is >= 80 % covered by the union of the
  (padded) finding boxes of the matching category;
- image-level recall: share of images with that class where at least one finding of the category
  touches a ground-truth box;
- false findings per negative image: findings of the category on images that carry no label of that
  class (other folders of the manifest, e.g. metadata photos, are the negatives);
- coverage recall by box size: faces binned on the labelled box's height (< 16, 16-32, 32-64,
  >= 64 px), plates on its width (< 40, 40-80, 80-160, >= 160 px), other classes on height;
- unmatched findings per positive image (findings touching no ground-truth box; sets like the plate
  benchmark leave some objects unlabelled, so this over-counts);
- false findings per image: findings touching no ground-truth box, on positive and negative images
  together, divided by all scored images (the figure a user sees: boxes to untick per photo);
- median latency per image of the selected detectors run in turn, as a scan runs them.

Findings are padded before scoring exactly as a scan pads them (`sharesafe.findings.pad`, per-category
factors times `--padding-scale`) so the figures describe what an export would actually cover.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from detectors import registry
from sharesafe.detector import Detector
from sharesafe.errors import ShareSafeError
from sharesafe.findings import pad as pad_finding
from sharesafe.geometry import covered_share as shared_covered_share
from sharesafe.image import load_image
from sharesafe.pipeline import run_detectors as pipeline_run_detectors
from sharesafe.types import Box, Category, Finding

#: Label class names in manifests -> the finding category that should cover them.
CLASS_CATEGORY: dict[str, Category] = {
    "face": Category.FACE,
    "licence_plate": Category.PLATE,
    "license_plate": Category.PLATE,
    "plate": Category.PLATE,
    "pistol": Category.WEAPON,
    "gun": Category.WEAPON,
    "weapon": Category.WEAPON,
    "person": Category.PERSON,
    "qr": Category.CODE,
    "code": Category.CODE,
    "text": Category.TEXT,
}

COVERED_SHARE = 0.8


@dataclass(frozen=True)
class SizeBins:
    """Bins of a labelled box's size in pixels: `edges` (a, b, c) make < a, a-b, b-c, >= c."""

    dimension: str  # "height" or "width"
    edges: tuple[int, ...]

    def measure(self, box: Box) -> int:
        return box.width if self.dimension == "width" else box.height

    def labels(self) -> list[str]:
        e = self.edges
        return [f"<{e[0]}", *(f"{lo}-{hi}" for lo, hi in pairwise(e)), f">={e[-1]}"]

    def label(self, box: Box) -> str:
        size = self.measure(box)
        for edge, name in zip(self.edges, self.labels(), strict=False):
            if size < edge:
                return name
        return self.labels()[-1]


#: Face sizes as WIDER FACE reports them (height); plates by width, the size a plate reader needs.
SIZE_BINS: dict[Category, SizeBins] = {
    Category.FACE: SizeBins("height", (16, 32, 64)),
    Category.PLATE: SizeBins("width", (40, 80, 160)),
}
DEFAULT_SIZE_BINS = SizeBins("height", (16, 32, 64))


@dataclass
class Sample:
    path: Path
    category: str
    labels: list[dict[str, object]]


@dataclass
class ClassStats:
    boxes: int = 0
    covered: int = 0
    images: int = 0
    images_hit: int = 0
    unmatched: int = 0
    texts: int = 0
    texts_read: int = 0
    negatives: int = 0
    false_findings: int = 0
    false_images: int = 0
    by_size: dict[str, list[int]] = field(default_factory=dict)  # bin -> [boxes, covered]
    misses: list[str] = field(default_factory=list)

    def count_size(self, bin_label: str, covered: bool) -> None:
        row = self.by_size.setdefault(bin_label, [0, 0])
        row[0] += 1
        row[1] += covered


def read_manifest(root: Path, where: dict[str, str] | None = None) -> list[Sample]:
    """The manifest's rows, only those whose columns equal `where`'s values when given."""
    with (root / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    samples = []
    for row in rows:
        if where and any(row.get(k, "") != v for k, v in where.items()):
            continue
        labels = json.loads(row["labels_json"]) if row.get("labels_json") else []
        samples.append(Sample(root / row["file"], row.get("category", ""), labels))
    return samples


def covered_share(gt: Box, boxes: list[Box]) -> float:
    """Share of `gt`'s area inside the union of `boxes` (an empty ground-truth box counts as covered)."""
    return 1.0 if gt.is_empty else shared_covered_share(gt, boxes)


def _label_box(label: dict[str, object], width: int, height: int) -> Box:
    coords = label["bbox_xyxy"]
    assert isinstance(coords, list | tuple) and len(coords) == 4, coords
    x1, y1, x2, y2 = (float(v) for v in coords)
    return Box.from_xyxy(x1, y1, x2, y2, width, height)


def _norm(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def run_detectors(detectors: list[Detector], pixels: np.ndarray) -> tuple[list[Finding], dict[str, str]]:
    """Run the detectors in turn as a scan does (each sees what the earlier ones found)."""
    errors: dict[str, str] = {}
    findings = pipeline_run_detectors(pixels, detectors, errors)
    return findings, errors


def evaluate(
    root: Path,
    detectors: list[Detector],
    padding_scale: float = 1.0,
    limit_negatives: int | None = 40,
    seed: int = 0,
    verbose: bool = False,
    limit_positives: int | None = None,
    findings_log: Path | None = None,
    where: dict[str, str] | None = None,
) -> dict[str, object]:
    samples = read_manifest(root, where)
    emitted = {cat for det in detectors for cat in det.categories}
    classes = sorted(
        {
            str(lab["cls"])
            for s in samples
            for lab in s.labels
            if str(lab["cls"]) in CLASS_CATEGORY and CLASS_CATEGORY[str(lab["cls"])] in emitted
        }
    )
    positives = [s for s in samples if s.labels]
    negatives = [s for s in samples if not s.labels]
    if limit_positives is not None and len(positives) > limit_positives:
        positives = random.Random(seed).sample(positives, limit_positives)
    if limit_negatives is not None and len(negatives) > limit_negatives:
        negatives = random.Random(seed).sample(negatives, limit_negatives)
    for det in detectors:
        det.load()
    stats = {cls: ClassStats() for cls in classes}
    latencies: list[float] = []
    errors: dict[str, int] = defaultdict(int)
    other_categories: dict[str, int] = defaultdict(int)
    log = findings_log.open("w", encoding="utf-8") if findings_log else None
    for sample in positives + negatives:
        try:
            pixels = load_image(sample.path).pixels
        except ShareSafeError as exc:  # unreadable files are skipped, as a scan would report them
            errors[f"load: {type(exc).__name__}"] += 1
            continue
        height, width = pixels.shape[:2]
        start = time.perf_counter()
        findings, det_errors = run_detectors(detectors, pixels)
        latencies.append(time.perf_counter() - start)
        for name in det_errors:
            errors[name] += 1
        if log is not None:
            row = {"file": str(sample.path), "findings": [f.to_json() for f in findings]}
            log.write(json.dumps(row) + "\n")
        by_cat: dict[Category, list[Box]] = defaultdict(list)
        for f in findings:
            by_cat[f.category].append(pad_finding(f, width, height, padding_scale).box)
        labelled_classes = {str(lab["cls"]) for lab in sample.labels}
        for cls in classes:
            st = stats[cls]
            cat = CLASS_CATEGORY[cls]
            boxes = by_cat.get(cat, [])
            if cls not in labelled_classes:
                st.negatives += 1
                st.false_findings += len(boxes)
                st.false_images += bool(boxes)
                continue
            boxed = [
                lab
                for lab in sample.labels
                if str(lab["cls"]) == cls and not lab.get("ignore") and "bbox_xyxy" in lab
            ]
            gts = [_label_box(lab, width, height) for lab in boxed]
            st.images += 1
            # Image-level labels (no box): any finding of the category counts as a hit.
            hit = bool(boxes) if not boxed else False
            for lab, gt in zip(boxed, gts, strict=True):
                st.boxes += 1
                share = covered_share(gt, boxes)
                st.count_size(SIZE_BINS.get(cat, DEFAULT_SIZE_BINS).label(gt), share >= COVERED_SHARE)
                if share >= COVERED_SHARE:
                    st.covered += 1
                else:
                    st.misses.append(f"{sample.path.name} {gt.as_list()} covered {share:.2f}")
                hit = hit or any(b.intersection(gt) > 0 for b in boxes)
                if lab.get("text"):
                    st.texts += 1
                    want = _norm(str(lab["text"]))
                    read = [
                        _norm(f.detail or "") for f in findings if f.detail and f.box.intersection(gt) > 0
                    ]
                    st.texts_read += any(want and want in r for r in read)
            st.images_hit += hit
            # Ignored labels (crowds, unreadable plates) are still real objects: a finding on one is not false.
            every_gt = [
                _label_box(lab, width, height)
                for lab in sample.labels
                if str(lab["cls"]) == cls and "bbox_xyxy" in lab
            ]
            st.unmatched += sum(1 for b in boxes if not any(b.intersection(g) > 0 for g in every_gt))
        for f in findings:
            other_categories[f.category.value] += 1
    if log is not None:
        log.close()
    report: dict[str, object] = {
        "images": len(latencies),
        "median_latency_s": statistics.median(latencies) if latencies else None,
        "p90_latency_s": float(np.percentile(latencies, 90)) if latencies else None,
        "errors": dict(errors),
        "findings_by_category": dict(other_categories),
        "padding_scale": padding_scale,
        "classes": {},
    }
    for cls, st in stats.items():
        bins = SIZE_BINS.get(CLASS_CATEGORY[cls], DEFAULT_SIZE_BINS)
        scored = st.images + st.negatives
        report["classes"][cls] = {  # type: ignore[index]
            "category": CLASS_CATEGORY[cls].value,
            "gt_boxes": st.boxes,
            "coverage_recall": st.covered / st.boxes if st.boxes else None,
            f"coverage_recall_by_{bins.dimension}_px": {
                name: {
                    "boxes": st.by_size.get(name, [0, 0])[0],
                    "recall": (st.by_size[name][1] / st.by_size[name][0]) if st.by_size.get(name) else None,
                }
                for name in bins.labels()
            },
            "false_findings_per_image": (st.unmatched + st.false_findings) / scored if scored else None,
            "image_recall": st.images_hit / st.images if st.images else None,
            "positive_images": st.images,
            "unmatched_findings_per_positive_image": st.unmatched / st.images if st.images else None,
            "negative_images": st.negatives,
            "false_findings_per_negative_image": st.false_findings / st.negatives if st.negatives else None,
            "negative_images_with_false_finding": st.false_images,
            "text_read_rate": st.texts_read / st.texts if st.texts else None,
            "misses": st.misses if verbose else len(st.misses),
        }
    return report


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m detectors.eval", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/evaldata"))
    parser.add_argument(
        "--detectors", nargs="*", default=None, help="names from the registry (default: all defaults)"
    )
    parser.add_argument("--padding-scale", type=float, default=1.0, help="as ScanOptions.padding_scale")
    parser.add_argument(
        "--limit-negatives", type=int, default=40, help="sample this many unlabelled images (-1: all)"
    )
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--verbose", action="store_true", help="list every missed ground-truth box")
    parser.add_argument(
        "--limit-positives", type=int, default=-1, help="sample this many labelled images (-1: all)"
    )
    parser.add_argument(
        "--findings-log", type=Path, default=None, help="write every image's findings (JSON lines)"
    )
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="only manifest rows with this value",
    )
    args = parser.parse_args(argv)
    if not (args.data / "manifest.csv").is_file():
        print(f"no manifest.csv in {args.data}", file=sys.stderr)
        return 2
    detectors = registry.build(args.detectors)
    limit = None if args.limit_negatives < 0 else args.limit_negatives
    report = evaluate(
        args.data,
        detectors,
        padding_scale=args.padding_scale,
        limit_negatives=limit,
        verbose=args.verbose,
        limit_positives=None if args.limit_positives < 0 else args.limit_positives,
        findings_log=args.findings_log,
        where=dict(w.split("=", 1) for w in args.where) or None,
    )
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"detectors: {', '.join(d.name for d in detectors)}   images: {report['images']}   padding scale: {args.padding_scale}"
    )
    print(
        f"median latency per image: {_fmt(report['median_latency_s'])} s   p90: {_fmt(report['p90_latency_s'])} s"
    )
    if report["errors"]:
        print(f"errors: {report['errors']}")
    for cls, row in report["classes"].items():  # type: ignore[attr-defined]
        print(f"\n[{cls}] -> {row['category']}")
        for key, value in row.items():
            if key in ("category",) or (key == "misses" and isinstance(value, list)):
                continue
            if isinstance(value, dict):
                cells = "  ".join(f"{name}: {_fmt(v['recall'])} ({v['boxes']})" for name, v in value.items())
                print(f"  {key:40s} {cells}")
                continue
            print(f"  {key:40s} {_fmt(value)}")
        if isinstance(row["misses"], list):
            for miss in row["misses"]:
                print(f"  missed: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
