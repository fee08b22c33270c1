"""Cover regions of an image: solid fill, pixelate or blur, as rectangles or ellipses.

Every function works on a copy and returns a new array; the input is never modified and the result
never shares memory with it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import cv2
import numpy as np
import numpy.typing as npt

from sharesafe.types import SOLID_FILL_CATEGORIES, Box, Category

Pixels = npt.NDArray[np.uint8]


class Style(enum.StrEnum):
    FILL = "fill"
    PIXELATE = "pixelate"
    BLUR = "blur"


class Shape(enum.StrEnum):
    RECTANGLE = "rectangle"
    ELLIPSE = "ellipse"


FILL_COLOUR = (0, 0, 0)


def style_for(category: Category, requested: Style) -> Style:
    """Text, plates, badges and codes are always filled: blur and pixelate can leave them legible."""
    return Style.FILL if category in SOLID_FILL_CATEGORIES else requested


def _u8(array: object) -> Pixels:
    return np.asarray(array, dtype=np.uint8)


def _mask(shape: Shape, h: int, w: int) -> npt.NDArray[np.bool_]:
    if shape is Shape.RECTANGLE:
        return np.ones((h, w), dtype=bool)
    mask = np.zeros((h, w), dtype=np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (max(w // 2, 1), max(h // 2, 1)), 0, 0, 360, 1, -1)
    return mask.astype(bool)


def _pixelate(region: Pixels, rng: np.random.Generator) -> Pixels:
    h, w = region.shape[:2]
    # About 8 cells across the short side: enough to hide a face, never a readable mosaic.
    cell = max(4, min(h, w) // 8)
    small = _u8(cv2.resize(region, (max(1, w // cell), max(1, h // cell)), interpolation=cv2.INTER_AREA))
    # Noise stops the cell averages from being inverted back to detail.
    noise = rng.integers(-12, 13, size=small.shape, dtype=np.int16)
    small = _u8(np.clip(small.astype(np.int16) + noise, 0, 255))
    return _u8(cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST))


def _blur(region: Pixels) -> Pixels:
    h, w = region.shape[:2]
    k = max(3, (min(h, w) // 3) | 1)
    blurred = _u8(cv2.GaussianBlur(region, (k, k), sigmaX=k / 2.5, borderType=cv2.BORDER_REPLICATE))
    # A second pass at the same scale removes what a single gaussian leaves at the edges.
    blurred = _u8(cv2.GaussianBlur(blurred, (k, k), sigmaX=k / 2.5, borderType=cv2.BORDER_REPLICATE))
    return blurred


def cover(
    image: Pixels,
    regions: Iterable[tuple[Box, Style]],
    *,
    shape: Shape = Shape.RECTANGLE,
    seed: int = 0,
) -> Pixels:
    """Return a copy of `image` with each (box, style) region covered. Boxes are used as given."""
    out: Pixels = np.array(image, dtype=np.uint8, copy=True)
    rng = np.random.default_rng(seed)
    height, width = out.shape[:2]
    for box, style in regions:
        clipped = Box.from_xyxy(box.x1, box.y1, box.x2, box.y2, width, height)
        if clipped.is_empty:
            continue
        ys, xs = slice(clipped.y1, clipped.y2), slice(clipped.x1, clipped.x2)
        region = out[ys, xs]
        if style is Style.FILL:
            replacement = np.empty_like(region)
            replacement[...] = FILL_COLOUR
        elif style is Style.PIXELATE:
            replacement = _pixelate(region, rng)
        else:
            replacement = _blur(region)
        mask = _mask(shape, clipped.height, clipped.width)
        region[mask] = replacement[mask]
    return out
