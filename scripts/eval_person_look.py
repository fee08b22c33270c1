"""What the `persons` look-first changes: on which photos the COCO pass stops the person model, and what
the model would have boxed there, drawn on a contact sheet to be checked by eye.

    PYTHONPATH=$PWD python scripts/eval_person_look.py --sheet /tmp/stopped.png GLOB [GLOB ...]

For each glob: photos read, photos where the person model (run unconditionally) finds someone, and
photos where the look-first would stop it (no COCO person candidate >= regions.PLAN_CONF). The sheet
shows each stopped photo with the boxes the model drew there (red); docs/detectors.md, "persons",
gives the figures and what the boxes were.
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

import cv2
import numpy as np

from detectors import persons
from sharesafe.image import load_image

TILE = 360


def contact_sheet(tiles: list[np.ndarray], out: Path, per_row: int = 4) -> None:
    blank = np.full((TILE, TILE, 3), 255, np.uint8)
    tiles = tiles + [blank] * (-len(tiles) % per_row)
    rows = [np.hstack(tiles[i : i + per_row]) for i in range(0, len(tiles), per_row)]
    cv2.imwrite(str(out), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


def thumbnail(pixels: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    drawn = pixels.copy()
    for x1, y1, x2, y2 in boxes:
        cv2.rectangle(drawn, (x1, y1), (x2, y2), (255, 0, 0), max(2, drawn.shape[1] // 200))
    h, w = drawn.shape[:2]
    scale = TILE / max(h, w)
    small = cv2.resize(drawn, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    canvas = np.full((TILE, TILE, 3), 255, np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("globs", nargs="+", help="photo globs, one set each")
    parser.add_argument("--sheet", type=Path, help="contact sheet of the stopped photos (PNG)")
    args = parser.parse_args()
    model = persons.make(look_first=False)
    model.load()
    tiles = []
    for pattern in args.globs:
        read = with_people = stopped = 0
        for name in sorted(glob.glob(pattern)):
            try:
                pixels = load_image(name).pixels
            except Exception:  # noqa: BLE001 - unreadable samples are not part of the count
                continue
            read += 1
            found = model.detect(pixels, ())
            with_people += bool(found)
            if found and not persons.anyone_in(pixels):
                stopped += 1
                print(
                    f"  stopped: {name} ({len(found)} box(es), scores {[round(f.score, 2) for f in found]})"
                )
                tiles.append(thumbnail(pixels, [(f.box.x1, f.box.y1, f.box.x2, f.box.y2) for f in found]))
        print(
            f"{pattern}: {read} photos, {with_people} with a person box, the look stops the model on {stopped}"
        )
    if args.sheet and tiles:
        contact_sheet(tiles, args.sheet)
        print(f"contact sheet: {args.sheet} ({len(tiles)} photos)")


if __name__ == "__main__":
    main()
