"""Box geometry in one place: how much of a box lies inside others, "on" tests, non-maximum suppression.

`Box` (in `sharesafe.types`) knows its own area, intersection, IoU and union; what relates a box to
several others lives here, so that the detectors, the merge of raw findings, the export's re-check and
the evaluation all measure overlap the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from sharesafe.types import Box


def share_inside(inner: Box, outer: Box) -> float:
    """Share of `inner`'s area that lies inside `outer` (0.0 for an empty `inner`)."""
    if inner.area == 0:
        return 0.0
    return inner.intersection(outer) / inner.area


def is_on(inner: Box, outer: Box, fraction: float) -> bool:
    """Whether `inner` sits on `outer`: at least `fraction` of its area lies inside it (a word on a
    vehicle, a vest on a person). An empty `inner` is on nothing."""
    return inner.area > 0 and inner.intersection(outer) >= fraction * inner.area


def covered_share(box: Box, regions: Iterable[Box]) -> float:
    """Share of `box`'s area inside the union of `regions` (exact: rasterised on the box's own grid).
    An empty box has nothing inside anything: 0.0."""
    if box.is_empty:
        return 0.0
    mask = np.zeros((box.height, box.width), dtype=bool)
    for r in regions:
        x1, y1 = max(r.x1, box.x1) - box.x1, max(r.y1, box.y1) - box.y1
        x2, y2 = min(r.x2, box.x2) - box.x1, min(r.y2, box.y2) - box.y1
        if x2 > x1 and y2 > y1:
            mask[y1:y2, x1:x2] = True
    return float(mask.mean())


#: Offset that separates the classes in `nms` (boxes of different classes never overlap).
_CLASS_OFFSET = 1.0e5


def nms(
    boxes: npt.NDArray[np.floating] | npt.NDArray[np.integer],
    scores: npt.NDArray[np.floating],
    iou: float,
    classes: npt.NDArray[np.integer] | None = None,
) -> list[int]:
    """Greedy non-maximum suppression over xyxy `boxes`; the kept indices, best score first (ties in
    input order). A box is dropped when its IoU with a kept, higher-scoring box is above `iou`; with
    `classes`, only boxes of the same class suppress each other."""
    if len(boxes) == 0:
        return []
    b = np.asarray(boxes, dtype=np.float64)
    if classes is not None:
        b = b + np.asarray(classes, dtype=np.float64)[:, None] * _CLASS_OFFSET
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        union = areas[i] + areas[rest] - inter
        overlap = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
        order = rest[overlap <= iou]
    return keep


__all__ = ["covered_share", "is_on", "nms", "share_inside"]
