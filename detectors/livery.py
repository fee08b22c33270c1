"""Colour evidence that a vehicle crop is a police (or other emergency) vehicle, without any model.

Pure functions on an RGB crop of one vehicle (numpy + OpenCV), used by `detectors.police_vehicle`:

* `chequer_rows`: rows where two livery colours alternate in blocks at least `MIN_ALTERNATIONS`
  times (Battenburg: fluorescent yellow-green / blue; Sillitoe and many European liveries:
  blue / white; fire and ambulance Battenburg: yellow-green / red);
* `colour_shares`: share of the crop in each livery colour (retro-reflective yellow-green, blue, red);
* `light_bar`: a flat, wide, centred patch of bright saturated blue or red along the roof line whose
  colour does not cover the body (a shiny red car is not a light bar, nor are its tail lights).

Colour ranges are in OpenCV HSV (H 0-179). They were set by eye on the colours of the liveries (not
fitted to any evaluation photo); see docs/detectors.md for what they miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

RGB = npt.NDArray[np.uint8]

#: Working width of a crop (pixels): enough for a chequer block of a car seen across a street.
WORK_WIDTH = 192
NONE, HIVIS, BLUE, RED, WHITE = 0, 1, 2, 3, 4
COLOUR_NAMES = {HIVIS: "yellow-green", BLUE: "blue", RED: "red", WHITE: "white"}
#: Colour pairs whose alternation is a chequered livery, and what it suggests.
CHEQUER_PAIRS: dict[tuple[int, int], str] = {
    (HIVIS, BLUE): "police",
    (BLUE, WHITE): "police",
    (HIVIS, RED): "emergency",
}
#: A block is at least this share of the crop width (and 2 px); a row needs this many alternations.
MIN_BLOCK = 0.025
MIN_ALTERNATIONS = 4
#: Block lengths in a chequer are regular: coefficient of variation at most this.
MAX_BLOCK_CV = 0.7
#: A lamp pixel (light bar): saturated and bright; navy or maroon paint is darker than this.
LAMP_MIN_S = 140
LAMP_MIN_V = 150
#: A light bar lies in this top share of a (tight) vehicle box and spans this share of its width.
BAR_TOP = 0.2
BAR_MIN_WIDTH = 0.15
#: Share of the cabin band (roof line to 40 % of the height) in the bar's colour above which it is paint.
BAR_MAX_BODY = 0.1


@dataclass(frozen=True, slots=True)
class LightBar:
    colour: str  # "blue", "red" or "blue+red"
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in the crop's pixels
    score: float


def _work(crop: RGB) -> tuple[RGB, float]:
    h, w = crop.shape[:2]
    k = WORK_WIDTH / max(w, 1)
    if abs(k - 1.0) < 1e-6:
        return crop, 1.0
    size = (WORK_WIDTH, max(round(h * k), 1))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(np.ascontiguousarray(crop), size, interpolation=interp), np.uint8), k


def colour_classes(crop: RGB) -> npt.NDArray[np.uint8]:
    """Per-pixel livery colour class (NONE, HIVIS, BLUE, RED, WHITE) of an RGB crop."""
    hsv = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2HSV)
    h = hsv[..., 0].astype(np.int16)
    s = hsv[..., 1].astype(np.int16)
    v = hsv[..., 2].astype(np.int16)
    out = np.zeros(crop.shape[:2], np.uint8)
    out[(s <= 45) & (v >= 185)] = WHITE
    out[(h >= 22) & (h <= 45) & (s >= 110) & (v >= 130)] = HIVIS
    out[(h >= 97) & (h <= 130) & (s >= 110) & (v >= 60)] = BLUE
    out[((h <= 7) | (h >= 170)) & (s >= 120) & (v >= 80)] = RED
    return out


def _runs(row: npt.NDArray[np.uint8]) -> list[tuple[int, int]]:
    """(class, length) runs of a row of classes."""
    edges = np.flatnonzero(np.diff(row)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(row)]))
    return [(int(row[a]), int(b - a)) for a, b in zip(starts, ends, strict=True)]


def row_alternations(row: npt.NDArray[np.uint8], pair: tuple[int, int], min_block: int) -> int:
    """Most alternations between the pair's colours in one chain of blocks along a row.

    Blocks shorter than `min_block` are noise and are skipped; a gap of more than `min_block` pixels
    of any other colour ends the chain. Block lengths must be regular (`MAX_BLOCK_CV`).
    """
    best = 0
    chain: list[tuple[int, int]] = []
    gap = 0

    def score(blocks: list[tuple[int, int]]) -> int:
        if len(blocks) < 2:
            return 0
        lengths = np.array([n for _, n in blocks], dtype=np.float64)
        if lengths.std() > MAX_BLOCK_CV * lengths.mean():
            return 0
        return len(blocks) - 1

    for cls, n in _runs(row):
        if cls in pair and n >= min_block:
            if chain and chain[-1][0] == cls:
                chain[-1] = (cls, chain[-1][1] + n + gap)
            else:
                chain.append((cls, n))
            gap = 0
        else:
            gap += n
            if gap > min_block and chain:
                best = max(best, score(chain))
                chain, gap = [], 0
    return max(best, score(chain))


def chequer_rows(crop: RGB) -> dict[tuple[int, int], float]:
    """Share of the crop's rows (below the roof line) that are chequered, per colour pair."""
    work, _ = _work(crop)
    classes = colour_classes(work)
    h, w = classes.shape
    min_block = max(2, round(MIN_BLOCK * w))
    rows = range(int(h * 0.2), h)
    out: dict[tuple[int, int], float] = {}
    for pair in CHEQUER_PAIRS:
        if not ((classes == pair[0]).any() and (classes == pair[1]).any()):
            out[pair] = 0.0
            continue
        hits = sum(1 for y in rows if row_alternations(classes[y], pair, min_block) >= MIN_ALTERNATIONS)
        out[pair] = hits / max(len(rows), 1)
    return out


def colour_shares(crop: RGB) -> dict[str, float]:
    """Share of the crop's pixels in each livery colour."""
    classes = colour_classes(_work(crop)[0])
    n = max(classes.size, 1)
    return {name: float((classes == cls).sum()) / n for cls, name in COLOUR_NAMES.items()}


def bright_lamp_classes(crop: RGB) -> npt.NDArray[np.uint8]:
    """BLUE / RED where a pixel is bright and saturated enough to be a lamp (else NONE)."""
    hsv = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2HSV)
    h = hsv[..., 0].astype(np.int16)
    s = hsv[..., 1].astype(np.int16)
    v = hsv[..., 2].astype(np.int16)
    lit = (s >= LAMP_MIN_S) & (v >= LAMP_MIN_V)
    out = np.zeros(crop.shape[:2], np.uint8)
    out[lit & (h >= 97) & (h <= 130)] = BLUE
    out[lit & ((h <= 7) | (h >= 170))] = RED
    return out


def light_bar(crop: RGB) -> LightBar | None:
    """The most bar-like bright blue/red patch across the roof line of a vehicle crop, if any.

    A bar sits in the top `BAR_TOP` of the box, is centred (its middle in the central 60 % of the
    width), wide (at least `BAR_MIN_WIDTH` of the vehicle) and flat; the same bright colour must not
    cover the body below (a shiny blue or red car), and tail lights at the sides do not count.
    """
    work, k = _work(crop)
    classes = bright_lamp_classes(work)
    h, w = classes.shape
    top = max(int(h * BAR_TOP), 1)
    best: LightBar | None = None
    for name, wanted in (("blue", (BLUE,)), ("red", (RED,)), ("blue+red", (BLUE, RED))):
        mask = np.isin(classes[:top], wanted).astype(np.uint8)
        if mask.sum() < 6:
            continue
        # the cabin band under the roof line (a livery band lower down may share the colour)
        cabin = classes[top : max(int(h * 0.4), top + 1)]
        body = float(np.isin(cabin, wanted).mean()) if cabin.size else 0.0
        if body > BAR_MAX_BODY:
            continue
        mask = np.asarray(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 5), np.uint8)), np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            centre = (x + bw / 2) / w
            if bw < BAR_MIN_WIDTH * w or bh > 0.12 * h or bw < 2.5 * bh or area < 0.5 * bw * bh:
                continue
            if not 0.2 <= centre <= 0.8:
                continue
            score = min(1.0, bw / (0.3 * w)) * (1.0 - body / BAR_MAX_BODY)
            box = (int(x / k), int(y / k), int((x + bw) / k), int((y + bh) / k))
            if best is None or score > best.score:
                best = LightBar(name, box, score)
    return best
