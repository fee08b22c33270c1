"""Where a small-object detector looks in a photo: the whole photo, each person, and tiles of a large photo.

A detector that shrinks a 4032 px photo to 384 px sees a pistol 30 px long as 3 px: too small to find.
Weapons are held by people, so the places worth a closer look are the people (hands, belt, holster) and,
in a large photo, every part of it at a higher resolution. `plan_views` lists those regions (in photo
pixels); the detector runs on each crop at the crop's own resolution and maps its boxes back with
`View.to_photo`. Merging the findings of overlapping views is the caller's job (`sharesafe.findings.merge`).

A view is only planned where it magnifies: a person crop or tile is skipped unless the model sees it at
least `MIN_ZOOM` times larger than in the whole-photo pass. A planned tile then runs only where the
whole-photo pass left a candidate (`worth_a_tile`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sharesafe.geometry import is_on
from sharesafe.types import Box

#: A closer view must show things at least this many times larger than the whole-photo pass.
MIN_ZOOM = 1.5
#: Person boxes grow by this share of their width (each side) and height (top and bottom) before cropping:
#: an arm held out or a long gun reaches past the person box.
PERSON_PAD_X = 0.35
PERSON_PAD_Y = 0.10
#: At most this many people get a closer look (the largest first), to bound the time of a crowd photo.
MAX_PEOPLE = 6
#: Tiles overlap by this share of their size, so an object on a seam is whole in at least one tile.
TILE_OVERLAP = 0.2
#: Tiles of a large photo are about this many network sizes across (a 12 MP photo at 320 px: 2 x 2 tiles
#: of ~2200 px seen at the network size, 1.8x the whole-photo pass).
TILE_NETS = 5.0
#: At most this many tiles per side (each tile costs a model pass: a 12 MP photo gets 2 x 2).
MAX_TILES_PER_SIDE = 2
#: The whole-photo pass also lists candidates down to this score (a third of the usual thresholds):
#: a tile gets its own pass only where one of them lies (`worth_a_tile`). Measured on 36 large photos
#: (the eval set's, and 16 composites of its small labelled photos pasted into them, made by
#: scripts/make_composites.py): COCO's tiles and the weapon tiles kept every finding they gave
#: (109 and 17) while running 71 of 150 and 55 of 122 tiles; at 0.1 they lost 1 and 6 findings.
PLAN_CONF = 0.05


@dataclass(frozen=True, slots=True)
class View:
    """One region of the photo to run the detector on; `kind` is "photo", "person" or "tile"."""

    box: Box
    kind: str

    def to_photo(self, x1: float, y1: float, x2: float, y2: float) -> tuple[float, float, float, float]:
        """Crop coordinates -> photo coordinates."""
        return (x1 + self.box.x1, y1 + self.box.y1, x2 + self.box.x1, y2 + self.box.y1)


def zoom(view: Box, photo_width: int, photo_height: int) -> float:
    """How many times larger the model sees things in `view` than in the whole photo (same network size)."""
    longest = max(view.width, view.height)
    return max(photo_width, photo_height) / longest if longest else 0.0


def person_views(people: Sequence[Box], width: int, height: int, imgsz: int) -> list[View]:
    """Padded crops around people, largest first, that magnify by at least MIN_ZOOM (at most MAX_PEOPLE)."""
    views: list[View] = []
    for person in sorted(people, key=lambda b: -b.area):
        if person.is_empty:
            continue
        dx, dy = person.width * PERSON_PAD_X, person.height * PERSON_PAD_Y
        crop = Box.from_xyxy(person.x1 - dx, person.y1 - dy, person.x2 + dx, person.y2 + dy, width, height)
        # Never below the network size: a crop smaller than the network would only be upscaled.
        crop = _at_least(crop, imgsz, width, height)
        if zoom(crop, width, height) < MIN_ZOOM:
            continue
        if any(is_on(crop, v.box, 0.9) for v in views):
            continue  # already inside a larger person's crop
        views.append(View(crop, "person"))
        if len(views) >= MAX_PEOPLE:
            break
    return views


def tile_views(width: int, height: int, imgsz: int) -> list[View]:
    """An overlapping grid over a photo larger than TILE_NETS network sizes (none for smaller photos)."""
    target = TILE_NETS * imgsz
    nx = min(MAX_TILES_PER_SIDE, math.ceil(width / target)) if width > target else 1
    ny = min(MAX_TILES_PER_SIDE, math.ceil(height / target)) if height > target else 1
    if nx == 1 and ny == 1:
        return []
    # When only one side is long the grid is 1 x n, and the tiles must still magnify.
    tw = width / (nx - (nx - 1) * TILE_OVERLAP)
    th = height / (ny - (ny - 1) * TILE_OVERLAP)
    views = []
    for j in range(ny):
        for i in range(nx):
            x1 = i * tw * (1 - TILE_OVERLAP)
            y1 = j * th * (1 - TILE_OVERLAP)
            box = Box.from_xyxy(x1, y1, x1 + tw, y1 + th, width, height)
            if zoom(box, width, height) >= MIN_ZOOM:
                views.append(View(box, "tile"))
    return views


def plan_views(
    width: int, height: int, imgsz: int, people: Sequence[Box] = (), tiles: bool = True
) -> list[View]:
    """The whole photo first, then person crops, then tiles (see the module docstring)."""
    views = [View(Box(0, 0, width, height), "photo")]
    if width <= 0 or height <= 0:
        return views
    views += person_views(people, width, height, imgsz)
    if tiles:
        views += tile_views(width, height, imgsz)
    return views


def worth_a_tile(tile: Box, candidates: Sequence[Box]) -> bool:
    """Whether a tile needs its own pass: a whole-photo candidate (a box scoring at least
    PLAN_CONF, of a class the tiles look for) lies at least partly inside it.

    What a tile adds is mostly a closer look at something the whole-photo pass already half saw
    (a small car it scored 0.1, a pistol it scored 0.06); a tile where that pass saw nothing of
    the kind is skipped, which is what makes a plain photo cheap."""
    return any(tile.intersection(c) > 0 for c in candidates)


def _at_least(box: Box, side: int, width: int, height: int) -> Box:
    """Grow `box` about its centre to at least `side` x `side` (as far as the photo allows)."""
    w, h = max(box.width, side), max(box.height, side)
    cx, cy = (box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2
    x1 = min(max(cx - w / 2, 0), max(width - w, 0))
    y1 = min(max(cy - h / 2, 0), max(height - h, 0))
    return Box.from_xyxy(x1, y1, x1 + w, y1 + h, width, height)
