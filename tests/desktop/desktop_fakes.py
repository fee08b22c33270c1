"""A pixel-honest fake detector for the desktop tests (no model needed)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.types import Box, Category, Finding

#: Where the fake detector looks in sharesafe.samples.street_scene() (upright 1600 x 1200).
TEXT_BOX = Box(250, 215, 760, 320)  # the "POLICE" sign
PLATE_BOX = Box(700, 930, 1000, 1000)  # the number plate
FACE_BOX = Box(1300, 500, 1500, 700)  # a "face" across the skyline (always textured)


class FakeDetector:
    """Reports a finding at a fixed box only while that box still has detail in it, so a covered
    (solid-filled) region really disappears on the export's re-scan."""

    name = "fake"
    categories = frozenset({Category.TEXT, Category.PLATE, Category.FACE})
    info = ModelInfo(model="none", licence="n/a", version="0")

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.loaded = False

    def load(self) -> None:
        self.loaded = True

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        if self.delay:
            time.sleep(self.delay)
        h, w = image.shape[:2]
        out = []
        if (w, h) != (1600, 1200):
            return out
        for cat, box, label in (
            (Category.TEXT, TEXT_BOX, "POLICE"),
            (Category.PLATE, PLATE_BOX, "AB12 CDE"),
            (Category.FACE, FACE_BOX, "face"),
        ):
            crop = image[box.y1 : box.y2, box.x1 : box.x2]
            if float(np.std(crop)) > 10:
                # the text classifier tags "POLICE" as a police marking; policies cover those
                extra = {"text_class": "police_marking"} if cat is Category.TEXT else {}
                out.append(Finding(cat, label, 0.9, box, self.name, detail=label, extra=extra))
        return out


class SecondLook:
    """Finds nothing in the photo, and a face in every later image it is shown (the export)."""

    name = "second-look"
    categories = frozenset({Category.FACE})
    info = ModelInfo(model="none", licence="n/a", version="0")

    def __init__(self) -> None:
        self.calls = 0

    def load(self) -> None:
        pass

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.calls += 1
        if self.calls == 1:
            return []
        return [Finding(Category.FACE, "face", 0.95, Box(10, 10, 60, 60), self.name)]
