"""`uniform`: is each person wearing a police, military or security uniform? A learned head on person crops.

Every person box an earlier detector found (`persons`, in `context`) is padded by 10 %, cut from the
scan's shared 1344 px copy and embedded by the EfficientNet-Lite0 backbone that `hints` and the force
kit already use (L2-normalised 1280-d pooled features). A logistic-regression head trained by
`models/train_uniform.py` on labelled person crops of public photos turns the embedding into
P(uniform); a person at or above the head's threshold gets a UNIFORM finding on its box, labelled
"uniform (learned head)".

The head is a small JSON file in models/ (`uniform_head.json`), checked against the sha256 recorded in
models/manifest.toml before it is used, like every model ShareSafe trained itself. Its manifest entry
names the data sources (repository, commit, licence), the training command and the scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from detectors.crop_head import HeadDetector
from detectors.model_manifest import MANIFEST
from sharesafe.detector import RGBImage
from sharesafe.types import Box, Category, Finding

ENTRY = "uniform_head"
#: Person boxes are padded by this share of their size before cropping (as in training).
CROP_PAD = 0.10
#: People smaller than this (height, photo pixels) carry no readable clothing.
MIN_HEIGHT = 48
#: At most this many people are judged per photo, largest first.
MAX_PERSONS = 12
#: Crops are cut from a copy of at most this size (shared with `hints`).
WORK_SIDE = 1344


class UniformDetector(HeadDetector):
    name = "uniform"
    categories = frozenset({Category.UNIFORM})
    entry = ENTRY

    def __init__(self, manifest: Path = MANIFEST, threshold: float | None = None) -> None:
        super().__init__(manifest, threshold, "person crops", "models/train_uniform.py")

    def people(self, image: RGBImage, context: Sequence[Finding]) -> list[Box]:
        h, w = image.shape[:2]
        boxes = [
            f.box.padded(CROP_PAD, w, h)
            for f in context
            if f.category is Category.PERSON and f.box.height >= MIN_HEIGHT
        ]
        return sorted(boxes, key=lambda b: -b.area)[:MAX_PERSONS]

    def scores(self, image: RGBImage, boxes: Sequence[Box]) -> npt.NDArray[np.float64]:
        """P(uniform) for each box (photo pixels)."""
        return self.head_scores(image, boxes, WORK_SIDE)

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        boxes = self.people(image, context)
        if not boxes:
            return []
        threshold = self.threshold
        out: list[Finding] = []
        for box, p in zip(boxes, self.scores(image, boxes), strict=True):
            if p >= threshold:
                out.append(
                    Finding(
                        Category.UNIFORM,
                        "uniform (learned head)",
                        float(p),
                        box,
                        self.name,
                        detail=f"police/military/security uniform on a person, P={p:.2f} (learned head)",
                        extra={"p_uniform": round(float(p), 4)},
                    )
                )
        return out


def create() -> UniformDetector:
    return UniformDetector()
