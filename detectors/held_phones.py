"""`held_phones`: a phone held in someone's hand, by a learned look at windows over each person.

COCO's YOLOv8n (`coco`) sees a phone lying on a desk, but most phones held in a hand it misses: edge-on,
seen from the back, half hidden by fingers, or a few pixels of a 640 px pass. This detector looks at the
people instead. For the largest people of COCO's whole-photo pass (the scan's shared pass, person score
at least `PERSON_MIN_SCORE`, at most `PERSONS`), square windows of `SCALES` times the person's longer
side tile the upper part of the person box (`UPPER_SHARE`; hands with phones are rarely at the feet),
neighbours half a window apart (`hand_windows`). Each window is embedded by the EfficientNet-Lite0
backbone the other crop heads use and judged by a logistic head trained on public photos of people
holding phones against people holding other things (`models/held_phone_head.json`, sha256 checked
against models/manifest.toml; sources, licences and the command in its manifest entry). A window at or
above the head's threshold becomes a SCREEN finding, "screen: phone in a hand (learned look)", after
overlapping windows are thinned (`KEEP_IOU`) so a hand is not reported once per window.

The windows are as large as a hand with its phone and some arm, so the box over-covers, which is the
side a privacy tool errs on. Measured figures and what it misses: docs/detectors.md, "held_phones".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from detectors import coco
from detectors._onnx import nms
from detectors.crop_head import HeadDetector
from detectors.model_manifest import MANIFEST
from sharesafe.detector import RGBImage
from sharesafe.resize import fit_cheap
from sharesafe.types import Box, Category, Finding

ENTRY = "held_phone_head"
#: People looked at: COCO person score at least this, the largest `PERSONS` of them.
PERSON_MIN_SCORE = 0.3
PERSONS = 2
#: Window sides as shares of the person box's longer side, and the share of the box (from its top)
#: that windows cover.
SCALES = (0.3, 0.5)
UPPER_SHARE = 0.85
#: Windows are never smaller than this (photo pixels). A person who would need more than
#: `MAX_WINDOWS` windows of the smaller scale (a close-up) gets only the larger ones (at most 9).
MIN_SIDE = 32.0
MAX_WINDOWS = 24
#: Windows overlapping a better-scored reported window by more than this are not reported again.
KEEP_IOU = 0.3
#: Crops are cut from a copy of at most this size (the scan's shared halving where close enough).
WORK_SIDE = 1344

XYXY = tuple[float, float, float, float]


def _positions(start: float, length: float, side: float) -> list[float]:
    """Window starts along one axis: one centred window when the span fits in one, else windows half
    a side apart (evenly spread) whose first starts at `start` and last ends at `start + length`."""
    if length <= side:
        return [start + (length - side) / 2]
    n = math.ceil((length - side) / (side / 2)) + 1
    return [start + i * (length - side) / (n - 1) for i in range(n)]


def hand_windows(person: XYXY, width: int, height: int) -> list[XYXY]:
    """The square windows (photo pixels, clipped to the photo) looked at over one person box."""
    x1, y1, x2, y2 = person
    span_w, span_h = x2 - x1, (y2 - y1) * UPPER_SHARE
    longer = max(x2 - x1, y2 - y1)
    out: list[XYXY] = []
    for k, share in enumerate(SCALES):
        side = max(MIN_SIDE, share * longer)
        xs, ys = _positions(x1, span_w, side), _positions(y1, span_h, side)
        if k == 0 and len(xs) * len(ys) > MAX_WINDOWS:
            continue  # a close-up: the larger windows alone suffice
        for wy in ys:
            for wx in xs:
                box = (
                    max(0.0, wx),
                    max(0.0, wy),
                    min(float(width), wx + side),
                    min(float(height), wy + side),
                )
                if box[2] - box[0] >= 4 and box[3] - box[1] >= 4:
                    out.append(box)
    return out


def people_of(image: RGBImage) -> list[XYXY]:
    """The largest people of COCO's whole-photo pass (shared with `coco` and `persons` in a scan)."""
    model = coco.shared_model()
    model.load()
    person = next((i for i, n in model.class_names.items() if n == coco.PERSON_CLASS), None)
    boxes = [b for c, s, b in coco.whole_photo_pass(model, image) if c == person and s >= PERSON_MIN_SCORE]
    return sorted(boxes, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))[:PERSONS]


class HeldPhoneDetector(HeadDetector):
    name = "held_phones"
    categories = frozenset({Category.SCREEN})
    context_categories: frozenset[Category] = frozenset()
    entry = ENTRY

    def __init__(self, manifest: Path = MANIFEST, threshold: float | None = None) -> None:
        super().__init__(
            manifest,
            threshold,
            "windows over each person of the COCO YOLOv8n pass",
            "models/train_held_phone.py",
        )

    def load(self) -> None:
        super().load()
        coco.shared_model().load()

    def windows(self, image: RGBImage) -> list[Box]:
        h, w = int(image.shape[0]), int(image.shape[1])
        return [Box.from_xyxy(*win, w, h) for p in people_of(image) for win in hand_windows(p, w, h)]

    def scores(self, image: RGBImage, boxes: Sequence[Box]) -> npt.NDArray[np.float64]:
        """P(a phone in a hand) for each window (photo pixels)."""
        return self.head_scores(image, boxes, WORK_SIDE, fit_cheap)

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.load()
        boxes = self.windows(image)
        if not boxes:
            return []
        p = self.scores(image, boxes)
        threshold = self.threshold
        hot = [i for i in range(len(boxes)) if p[i] >= threshold]
        if not hot:
            return []
        xyxy = np.array([[boxes[i].x1, boxes[i].y1, boxes[i].x2, boxes[i].y2] for i in hot], dtype=np.float64)
        out: list[Finding] = []
        for j in nms(xyxy, p[hot], KEEP_IOU):
            i = hot[j]
            out.append(
                Finding(
                    Category.SCREEN,
                    "screen: phone in a hand (learned look)",
                    float(p[i]),
                    boxes[i],
                    self.name,
                    detail=f"a phone held in a hand, P={p[i]:.2f} (learned look at the people)",
                    extra={"p_held_phone": round(float(p[i]), 4)},
                )
            )
        return out


def create() -> HeldPhoneDetector:
    return HeldPhoneDetector()
