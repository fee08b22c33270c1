"""Where the weapon thresholds could sit: each weapon source's best score per photo on photos with and
without weapons, and how many photos each threshold flags.

    PYTHONPATH=$PWD python scripts/weapon_operating_points.py --positive 'GUN_VAL/*' \
        --negative 'HIVIS_VAL/*' --negative 'PLATE_PHOTOS/*' [--cache scores.jsonl]

The detectors run as in a scan (persons, then coco, then objects and hints with the people and
vehicles as context) but with their weapon floors lowered (objects 0.05, the hints' weapon group
0.005), so every photo's best score of each source is known: `objects` firearm, `objects` knife,
`hints` (revolver, rifle, assault rifle, holster), `coco` knife. Printed: photos flagged per source and
threshold, positives (recall) against negatives (false photos). Use your own splits here, never an
evaluation or independent test set.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
from pathlib import Path

from detectors import coco, hints, objects, persons
from sharesafe.image import load_image
from sharesafe.resize import shared_resizes
from sharesafe.types import Category

SOURCES = (
    "objects firearm",
    "objects knife",
    "hints weapon",
    "coco knife",
    "objects firearm, second look",
    "objects knife, second look",
)
#: The shipped thresholds of each source (a photo is flagged when any source reaches its own).
SHIPPED = {
    "objects firearm": objects.CONF,
    "objects knife": objects.FLOORS.get("knife", objects.CONF),
    "hints weapon": 0.05,
    "coco knife": 0.2,
}
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def build() -> list:
    person_det = persons.make()
    coco_det = coco.make()
    objects_det = objects.make(conf=0.05, floors=None)  # its boxes are taken before and after the second look
    hint_det = hints.create()
    hint_det.groups = tuple(
        dataclasses.replace(g, threshold=0.005) if g.category is Category.WEAPON else g for g in hints.GROUPS
    )
    dets = [person_det, coco_det, objects_det, hint_det]
    for d in dets:
        d.load()
    return dets


def best_scores(dets: list, path: str) -> dict[str, float]:
    person_det, coco_det, objects_det, hint_det = dets
    pixels = load_image(path).pixels
    best = dict.fromkeys(SOURCES, 0.0)
    with shared_resizes(pixels):
        people = person_det.detect(pixels, ())
        things = coco_det.detect(pixels, ())
        context = people + things
        for f in things:
            if f.category is Category.WEAPON:
                best["coco knife"] = max(best["coco knife"], f.score)
        weapons, _ = objects_det.weapons_and_vests(pixels, people)
        for suffix, found in (("", weapons), (", second look", objects_det.second_look(pixels, weapons))):
            for f in found:
                key = ("objects knife" if f.label == "knife" else "objects firearm") + suffix
                best[key] = max(best[key], f.score)
        for f in hint_det.detect(pixels, context):
            if f.category is Category.WEAPON:
                best["hints weapon"] = max(best["hints weapon"], f.score)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positive", action="append", default=[], help="glob of photos with weapons")
    parser.add_argument("--negative", action="append", default=[], help="glob of photos without weapons")
    parser.add_argument("--cache", type=Path, help="JSON lines of scores per photo, reused when present")
    args = parser.parse_args()
    cached: dict[str, dict[str, float]] = {}
    if args.cache and args.cache.is_file():
        for line in args.cache.read_text().splitlines():
            row = json.loads(line)
            cached[row["path"]] = dict.fromkeys(SOURCES, 0.0) | row["best"]
    dets: list | None = None
    scores: dict[str, list[dict[str, float]]] = {"positive": [], "negative": []}
    for kind, patterns in (("positive", args.positive), ("negative", args.negative)):
        for pattern in patterns:
            for path in sorted(glob.glob(pattern)):
                if path not in cached:
                    if dets is None:
                        dets = build()
                    try:
                        cached[path] = best_scores(dets, path)
                    except Exception as exc:  # noqa: BLE001 - an unreadable photo is left out
                        print(f"  skipped {path}: {exc}")
                        continue
                    if args.cache:
                        with args.cache.open("a") as fh:
                            fh.write(json.dumps({"path": path, "best": cached[path]}) + "\n")
                scores[kind].append(cached[path])
    pos, neg = scores["positive"], scores["negative"]
    print(f"{len(pos)} photos with weapons, {len(neg)} without")
    print("source            threshold  positives flagged  negatives flagged")
    for source in SOURCES:
        for t in THRESHOLDS:
            p = sum(s[source] >= t for s in pos)
            n = sum(s[source] >= t for s in neg)
            print(
                f"{source:17s} {t:9.2f}  {p:4d} ({p / max(1, len(pos)):.3f})  {n:4d} ({n / max(1, len(neg)):.3f})"
            )
    for suffix in ("", ", second look"):

        def flagged(s: dict[str, float], suffix: str = suffix) -> bool:
            return any(s[k + (suffix if k.startswith("objects") else "")] >= t for k, t in SHIPPED.items())

        p, n = sum(map(flagged, pos)), sum(map(flagged, neg))
        print(
            f"at the shipped thresholds{suffix or ', no second look'}: positives {p} ({p / max(1, len(pos)):.3f}), "
            f"negatives {n} ({n / max(1, len(neg)):.3f})"
        )


if __name__ == "__main__":
    main()
