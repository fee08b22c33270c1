"""Licence plates the OCR could not read: OpenCV's plate cascades (shipped in opencv-python's cv2.data).

The `text` detector already reports every plate whose characters it reads and that fits a plate format
(the strongest evidence). This detector adds plate-shaped regions found by the two Haar cascades
OpenCV ships (trained on Russian plates, which share the common one-row European shape), for plates
too small, blurred or oddly lettered for the OCR. Hits that a plate found by the `text` detector
already covers are skipped. Recall first: the cascades' false hits are small boxes that get a solid
fill, which costs little.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detectors._onnx import nms
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.resize import resized
from sharesafe.types import Box, Category, Finding

CASCADES = ("haarcascade_russian_plate_number.xml", "haarcascade_license_plate_rus_16stages.xml")

#: A plate has characters: across the middle of its box, at least this share of neighbouring pixel
#: pairs differ strongly. Measured on ../shared/evaldata plates: true cascade hits >= 0.031 (5th
#: percentile 0.11); hits on the solid fill of an already-covered region 0.002-0.005; a quarter of
#: the false hits on cars and backgrounds < 0.024.
MIN_CHARACTER_TEXTURE = 0.025


def character_texture(gray: np.ndarray, box: Box) -> float:
    """Share of strong horizontal steps (> 25 grey levels) in the middle half of `box`."""
    quarter = box.height // 4
    band = gray[box.y1 + quarter : box.y2 - quarter, box.x1 : box.x2].astype(np.int16)
    if band.shape[0] == 0 or band.shape[1] < 2:
        return 0.0
    return float((np.abs(np.diff(band, axis=1)) > 25).mean())


class PlateCascadeDetector:
    name = "plates"
    categories = frozenset({Category.PLATE})

    def __init__(
        self, work_side: int = 1024, large_side: int = 1280, min_neighbors: int = 3, scale_factor: float = 1.2
    ) -> None:
        #: Photos are searched at `work_side` px on the long side; big photos (phone photos) at half
        #: their size up to `large_side`, because their plates are small: on 12 MP composites with
        #: plates 120-280 px wide, 1024 px found 5/8, 1600 px 6/8 and 2016 px 8/8 (0.23 / 0.49 /
        #: 0.93 s for the cascades on a loaded machine).
        self.work_side = work_side
        self.large_side = large_side
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.info = ModelInfo(
            model=" + ".join(f"cv2.data/{c}" for c in CASCADES),
            licence="BSD-3-Clause (OpenCV)",
            version=f"OpenCV {cv2.__version__}",
            source="opencv-python (PyPI)",
        )
        self._cascades: list[Any] = []
        self._load_lock = threading.Lock()  # a background preload and a scan may both call load()

    def load(self) -> None:
        with self._load_lock:
            self._load_unlocked()

    def _load_unlocked(self) -> None:
        if self._cascades:
            return
        root = Path(cv2.data.haarcascades)
        cascades = []
        for name in CASCADES:
            cascade = cv2.CascadeClassifier(str(root / name))
            if cascade.empty():
                raise FileNotFoundError(f"OpenCV cascade {name} is missing from {root}")
            cascades.append(cascade)
        self._cascades = cascades

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.load()
        height, width = image.shape[:2]
        long_side = max(width, height)
        side = max(self.work_side, min(self.large_side, long_side // 2))
        scale = min(1.0, side / long_side)
        small = resized(image, round(width * scale), round(height * scale)) if scale < 1.0 else image
        plain_gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        gray = cv2.equalizeHist(plain_gray)
        boxes: list[list[float]] = []
        scores: list[float] = []
        for index, cascade in enumerate(self._cascades):
            hits, _, weights = cascade.detectMultiScale3(
                gray,
                scaleFactor=self.scale_factor,
                minNeighbors=self.min_neighbors,
                minSize=(24, 8),
                outputRejectLevels=True,
            )
            for (x, y, w, h), weight in zip(hits, np.ravel(weights) if len(hits) else [], strict=False):
                boxes.append([x / scale, y / scale, (x + w) / scale, (y + h) / scale])
                # Map the stage weight to a rough 0..1 score; keep both cascades comparable.
                scores.append(float(1 / (1 + np.exp(-float(weight) / 2))) * (0.9 if index else 1.0))
        if not boxes:
            return []
        arr = np.asarray(boxes, dtype=np.float32)
        sc = np.asarray(scores, dtype=np.float32)
        known = [f.box for f in context if f.category is Category.PLATE]
        findings = []
        for i in nms(arr, sc, 0.3):
            box = Box.from_xyxy(*map(float, arr[i]), width, height)
            if box.is_empty or any(k.intersection(box) >= 0.5 * box.area for k in known):
                continue
            small_box = Box.from_xyxy(
                box.x1 * scale, box.y1 * scale, box.x2 * scale, box.y2 * scale, gray.shape[1], gray.shape[0]
            )
            if character_texture(plain_gray, small_box) < MIN_CHARACTER_TEXTURE:
                continue  # flat: a car body, a wall, or the solid fill of a covered region
            findings.append(
                Finding(
                    Category.PLATE,
                    "possible licence plate",
                    float(sc[i]),
                    box,
                    self.name,
                    extra={"model": "opencv plate cascade"},
                )
            )
        return findings


def create() -> PlateCascadeDetector:
    return PlateCascadeDetector()
