"""Embedding path for non-planar kit references (uniforms, vehicle liveries, premises).

Crops of the scene (person boxes -> uniform, vehicle boxes -> vehicle, whole image and sliding
windows -> premises) are embedded with the EfficientNet-Lite0 backbone and compared by cosine
similarity with every reference of the matching category (nearest neighbour). The ImageNet embedding
alone says "a figure in a uniform" rather than "this force's uniform": on generated scenes two liveries
differing only in colour scored 0.85-0.89, above many true pairs (0.63-0.80). So the score is the
embedding cosine times the Bhattacharyya coefficient of hue-saturation histograms of the crops' centres,
which separated them (uniform: true >= 0.52, other livery <= 0.28; vehicle: >= 0.70 vs <= 0.22).
Thresholds were chosen on generated scenes (`scripts/bench_kit.py --embedding`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sharesafe.detector import RGBImage
from sharesafe.types import Box

#: Cosine similarity a crop needs with a reference of its category.
THRESHOLDS: dict[str, float] = {"uniform": 0.35, "vehicle": 0.40, "premises": 0.30}


@dataclass(frozen=True, slots=True)
class Window:
    box: Box
    source: str  # "person", "vehicle", "image", "window"


def premises_windows(width: int, height: int) -> list[Window]:
    """The whole image plus a 3x3 grid of half-size windows (50 % overlap)."""
    out = [Window(Box(0, 0, width, height), "image")]
    ww, wh = width // 2, height // 2
    if ww < 32 or wh < 32:
        return out
    for gy in range(3):
        for gx in range(3):
            x0, y0 = gx * width // 4, gy * height // 4
            out.append(Window(Box(x0, y0, min(x0 + ww, width), min(y0 + wh, height)), "window"))
    return out


def crop(image: RGBImage, box: Box) -> RGBImage:
    return image[box.y1 : box.y2, box.x1 : box.x2]


def colour_hist(image: RGBImage) -> npt.NDArray[np.float32]:
    """Square-rooted, normalised 18x8 hue-saturation histogram of the central 75 % of `image`."""
    import cv2

    h, w = image.shape[:2]
    centre = np.ascontiguousarray(image[h // 8 : h - h // 8 or h, w // 8 : w - w // 8 or w])
    hsv = cv2.cvtColor(centre, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [18, 8], [0, 180, 0, 256]).ravel()
    return np.asarray(np.sqrt(hist / max(float(hist.sum()), 1.0)), dtype=np.float32)


def colour_hists(images: list[RGBImage]) -> npt.NDArray[np.float32]:
    return np.stack([colour_hist(i) for i in images]) if images else np.zeros((0, 144), np.float32)


def nearest(
    queries: npt.NDArray[np.float32],
    refs: npt.NDArray[np.float32],
    query_hists: npt.NDArray[np.float32],
    ref_hists: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """For each query: index of the most similar reference and its score (cosine x colour overlap)."""
    sims = np.clip(queries @ refs.T, 0, 1) * (query_hists @ ref_hists.T)
    idx = sims.argmax(axis=1)
    return idx, sims[np.arange(len(queries)), idx]
