"""Downscaled copies of the photo being scanned, shared by every detector in one scan.

Each detector works at its own size (OCR at 960 px, faces at 1280, YOLO at 640...). Shrinking a
12 MP photo costs tens of milliseconds each time; within `shared_resizes(image)` (the pipeline sets
it around a scan) every requested size is made once and shared, and small sizes are made
from a halving pyramid rather than from the full photo: the photo at 1/2, 1/4, ... of its size
(each level made from the one above, when first needed), and a requested size from the smallest
level at least 1.5 times as large in both directions (`LEVEL_MARGIN`; sizes over two thirds of the
photo come from the photo itself). Every copy is then an area average over at least 1.5 x 1.5 level
pixels, which sees the same picture as one made from the full photo, give or take rounding: on a
12 MP photo the 1280 px copy made from the 2016 px half differs from one made from the photo by 0.35
grey levels on average (99 % of values within 3), about what a 960 px copy made from the half
already differed by (0.26, within 2), and it costs 5 ms instead of 28.

The source of every copy depends only on the photo's size and the size asked for, never on which
detector asked first, so a scan gives the same pixels to each detector whatever order (or thread)
they run in. Requests may come from several threads at once (`sharesafe.schedule` runs independent
detectors concurrently): each size is made by one of them while the others wait for it.

Outside that scope, or for any other array, `resized` is a plain `cv2.resize`.

The same scope also shares other work on the photo that more than one detector needs (`shared`): a
model pass whose output two detectors read (the COCO model's whole-photo pass serves `coco` and the
check `persons` makes before it runs its own, larger model) is made once, by whichever asks first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import cv2
import numpy as np
import numpy.typing as npt

Pixels = npt.NDArray[np.uint8]
Size = tuple[int, int]  # (width, height)
T = TypeVar("T")

#: A copy is made from a pyramid level at least this many times its size in both directions.
LEVEL_MARGIN = 1.5


class _Cache:
    """The copies of one photo made during one scan; safe to use from several threads."""

    def __init__(self, image: Pixels) -> None:
        self.image = image
        self.copies: dict[Size, Pixels] = {}
        self._pending: dict[Any, threading.Event] = {}
        self._lock = threading.Lock()
        self.results: dict[Hashable, Any] = {}
        self._pending_results: dict[Any, threading.Event] = {}

    def pyramid(self) -> Iterator[Size]:
        """The sizes of the halving pyramid below the photo, largest first (the photo not included)."""
        h, w = self.image.shape[:2]
        while w > 1 and h > 1:
            w, h = max(1, round(w / 2)), max(1, round(h / 2))
            yield (w, h)

    def source(self, size: Size) -> Pixels:
        """What a copy of `size` is made from: the smallest pyramid level at least `LEVEL_MARGIN`
        times as large in both directions, or the photo (a level itself comes from the level above)."""
        best: Size | None = None
        for level in self.pyramid():
            if level[0] < LEVEL_MARGIN * size[0] or level[1] < LEVEL_MARGIN * size[1]:
                break
            best = level
        return self.image if best is None else self.get(best)

    def get(self, size: Size) -> Pixels:
        def make() -> Pixels:
            out = _resize(self.source(size), *size)
            out.flags.writeable = False
            return out

        return self._once(self.copies, self._pending, size, make)

    def result(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()` once per key for this photo."""
        return self._once(self.results, self._pending_results, key, make)

    def _once(
        self, store: dict[Any, Any], pending: dict[Any, threading.Event], key: Hashable, make: Callable[[], T]
    ) -> T:
        """`store[key]`, made by `make()` the first time; a thread asking while another makes it waits."""
        with self._lock:
            if key in store:
                return store[key]  # type: ignore[no-any-return]
            event = pending.get(key)
            owner = event is None
            if owner:
                event = pending[key] = threading.Event()
        assert event is not None
        if not owner:
            event.wait()
            with self._lock:
                if key in store:
                    return store[key]  # type: ignore[no-any-return]
            # The thread making it failed (e.g. out of memory): try once more here.
            return self._once(store, pending, key, make)
        try:
            value = make()
            with self._lock:
                store[key] = value
            return value
        finally:
            with self._lock:
                pending.pop(key, None)
            event.set()


_active: ContextVar[_Cache | None] = ContextVar("sharesafe_resize_cache", default=None)


@contextmanager
def shared_resizes(image: Pixels) -> Iterator[None]:
    """Share downscaled copies of exactly this array object for the duration of the block.

    Threads started inside the block see the cache when they run in a copy of its context
    (`contextvars.copy_context()`), as `sharesafe.schedule` does."""
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
    return cache.get((width, height))


def shared(image: Pixels, key: Hashable, make: Callable[[], T]) -> T:
    """`make()`, made once per scan of exactly this array object and `key` (inside `shared_resizes`);
    elsewhere simply `make()`. `key` must name everything the result depends on besides the photo."""
    cache = _active.get()
    if cache is None or cache.image is not image:
        return make()
    return cache.result(key, make)


def fit(image: Pixels, long_side: int) -> tuple[Pixels, float]:
    """`image` shrunk so its long side is at most `long_side` (never enlarged), and the scale used."""
    height, width = image.shape[:2]
    scale = min(1.0, long_side / max(width, height))
    if scale >= 1.0:
        return image, 1.0
    return resized(image, round(width * scale), round(height * scale)), scale


def fit_cheap(image: Pixels, long_side: int, slack: float = 0.1) -> tuple[Pixels, float]:
    """Like `fit`, but when the photo halved (or quartered...) has a long side within `slack` below
    `long_side`, that exact halving is used: in a scan it is shared and costs a fraction of an
    arbitrary shrink of the full photo (a 4032x3024 photo asked at 2048 px gets 2016x1512)."""
    height, width = image.shape[:2]
    long_now = max(width, height)
    if long_now <= long_side:
        return image, 1.0
    w, h = width, height
    while max(w, h) > long_side:
        w, h = max(1, round(w / 2)), max(1, round(h / 2))
    if max(w, h) >= (1.0 - slack) * long_side:
        return resized(image, w, h), w / width
    return fit(image, long_side)


def _resize(image: Pixels, width: int, height: int) -> Pixels:
    shrinking = width * height < image.shape[0] * image.shape[1]
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, (width, height), interpolation=interp), dtype=np.uint8)
