"""Downscaled copies of the photo being scanned, shared by every detector in one scan.

Each detector works at its own size (OCR at 960 px, faces at 1280, YOLO at 640...). Shrinking a
12 MP photo costs tens of milliseconds each time; within `shared_resizes(image)` (the pipeline sets
it around a scan) a request is served from the smallest copy already made that is still larger,
so the full-size photo is read once or twice instead of once per detector. Outside that scope, or
for any other array, `resized` is a plain `cv2.resize`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

Pixels = npt.NDArray[np.uint8]


@dataclass
class _Cache:
    image: Pixels
    copies: dict[tuple[int, int], Pixels] = field(default_factory=dict)


_active: ContextVar[_Cache | None] = ContextVar("sharesafe_resize_cache", default=None)


@contextmanager
def shared_resizes(image: Pixels) -> Iterator[None]:
    """Share downscaled copies of exactly this array object for the duration of the block."""
    token = _active.set(_Cache(image))
    try:
        yield
    finally:
        _active.reset(token)


def resized(image: Pixels, width: int, height: int) -> Pixels:
    """`image` at `width` x `height`: INTER_AREA when shrinking, bilinear when enlarging."""
    width, height = max(1, int(width)), max(1, int(height))
    if (height, width) == image.shape[:2]:
        return image
    cache = _active.get()
    if cache is None or cache.image is not image:
        return _resize(image, width, height)
    key = (width, height)
    hit = cache.copies.get(key)
    if hit is not None:
        return hit
    # Start from the smallest copy that is still at least as large in both directions.
    source = image
    for (w, h), copy in cache.copies.items():
        if w >= width and h >= height and w * h < source.shape[0] * source.shape[1]:
            source = copy
    out = _resize(source, width, height)
    out.flags.writeable = False
    cache.copies[key] = out
    return out


def fit(image: Pixels, long_side: int) -> tuple[Pixels, float]:
    """`image` shrunk so its long side is at most `long_side` (never enlarged), and the scale used."""
    height, width = image.shape[:2]
    scale = min(1.0, long_side / max(width, height))
    if scale >= 1.0:
        return image, 1.0
    return resized(image, round(width * scale), round(height * scale)), scale


def _resize(image: Pixels, width: int, height: int) -> Pixels:
    shrinking = width * height < image.shape[0] * image.shape[1]
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, (width, height), interpolation=interp), dtype=np.uint8)
