"""A learned head over EfficientNet-Lite0 embeddings of crops (person crops for `uniform`, vehicle crops
for `police_vehicle`, weapon boxes for `objects`' second look, windows over people for `held_phones`):
the JSON file `models/crop_head.py` fits, checked against its manifest sha256.

Crops are cut from one shared downscaled copy of the photo and embedded by the backbone that `hints`
and the force kit already use (L2-normalised 1280-d pooled features); the head turns an embedding into
P(positive class) by w . f + b -> sigmoid, over features standardised by the stored mean and scale (a
logistic regression), or with one hidden ReLU layer between (`hidden_weights`, `hidden_bias`; every
shipped head is a logistic regression so far: a hidden-layer weapon head was measured and not kept,
models/README.md). A head may look at more than the whole crop (`parts`, e.g. the whole vehicle and
its top half, where light bars and roof markings are): their embeddings are concatenated in the head's
order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from detectors import backbone
from detectors.model_manifest import MANIFEST, entry_version, shipped_file, verify_sha256
from detectors.model_manifest import entry as manifest_entry
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.resize import fit
from sharesafe.types import Box

#: The top part keeps this share of the crop's height.
TOP_SHARE = 0.55


def _top(crop: RGBImage) -> RGBImage:
    return crop[: max(8, round(crop.shape[0] * TOP_SHARE))]


#: What each named part of a crop is.
PARTS: dict[str, Callable[[RGBImage], RGBImage]] = {"whole": lambda crop: crop, "top": _top}


class CropHead:
    """w . h + b -> sigmoid over an L2-normalised embedding `f` standardised by the stored mean/scale:
    h is the standardised `f` itself (logistic regression) or relu(W1 . f + b1) (one hidden layer)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.weights = np.asarray(data["weights"], dtype=np.float64)
        self.bias = float(data["bias"])
        self.mean = np.asarray(data["mean"], dtype=np.float64)
        self.scale = np.asarray(data["scale"], dtype=np.float64)
        self.threshold = float(data["threshold"])
        self.classes = [str(c) for c in data.get("classes", ())]
        self.embedding = str(data.get("embedding", ""))
        self.parts = [str(p) for p in data.get("parts", ["whole"])]
        unknown = [p for p in self.parts if p not in PARTS]
        if unknown or not self.parts:
            raise ValueError(f"crop head: unknown crop parts {unknown or self.parts}")
        dim = backbone.EMBED_DIM * len(self.parts)
        if not (self.mean.shape == self.scale.shape == (dim,)):
            raise ValueError(f"crop head: expected {dim}-d mean and scale")
        self.hidden_weights: npt.NDArray[np.float64] | None = None
        self.hidden_bias: npt.NDArray[np.float64] | None = None
        width = dim
        if "hidden_weights" in data:
            self.hidden_weights = np.asarray(data["hidden_weights"], dtype=np.float64)
            self.hidden_bias = np.asarray(data["hidden_bias"], dtype=np.float64)
            width = self.hidden_bias.shape[0] if self.hidden_bias.ndim == 1 else -1
            if width < 1 or self.hidden_weights.shape != (dim, width):
                raise ValueError(f"crop head: expected a {dim} x n hidden layer and n biases")
        if self.weights.shape != (width,):
            raise ValueError(f"crop head: expected {width}-d output weights")

    @classmethod
    def from_file(cls, path: Path) -> CropHead:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def probability(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        h = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        if self.hidden_weights is not None and self.hidden_bias is not None:
            h = np.maximum(h @ self.hidden_weights + self.hidden_bias, 0.0)
        z = h @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def load_head(entry: str, manifest: Path = MANIFEST) -> CropHead:
    """The head a manifest entry names, after its sha256 check (raises WeightsIntegrityError)."""
    path, meta = shipped_file(entry, manifest)
    verify_sha256(path, str(meta["sha256"]))
    return CropHead.from_file(path)


#: How a photo is shrunk before crops are cut from it: `sharesafe.resize.fit` or `fit_cheap`.
Shrink = Callable[[RGBImage, int], tuple[RGBImage, float]]


def crops_of(image: RGBImage, boxes: Sequence[Box], work_side: int, shrink: Shrink = fit) -> list[RGBImage]:
    """The boxes (photo pixels) cut from a copy of `image` at most `work_side` pixels on its long side
    (`fit_cheap` as `shrink`: the scan's shared halving where it is close enough)."""
    small, k = shrink(image, work_side)
    sh, sw = small.shape[:2]
    out = []
    for b in boxes:
        x1, y1 = min(int(b.x1 * k), sw - 1), min(int(b.y1 * k), sh - 1)
        x2, y2 = max(int(np.ceil(b.x2 * k)), x1 + 1), max(int(np.ceil(b.y2 * k)), y1 + 1)
        out.append(small[y1:y2, x1:x2])
    return out


def part_features(crops: Sequence[RGBImage], parts: Sequence[str]) -> npt.NDArray[np.float32]:
    """The concatenated embeddings of each crop's parts (one backbone batch for all)."""
    pieces = [np.ascontiguousarray(PARTS[part](crop)) for part in parts for crop in crops]
    feats = backbone.get_backbone().features(pieces)
    n = len(crops)
    return np.hstack([feats[i * n : (i + 1) * n] for i in range(len(parts))])


def probabilities(
    head: CropHead, image: RGBImage, boxes: Sequence[Box], work_side: int, shrink: Shrink = fit
) -> npt.NDArray[np.float64]:
    """P(positive class) for each box."""
    if not boxes:
        return np.zeros(0)
    return head.probability(part_features(crops_of(image, boxes, work_side, shrink), head.parts))


class HeadDetector:
    """What a detector that judges crops with one head shares: the head its manifest entry names
    (loaded and sha256-checked on first use, with the backbone), its threshold (the head's own unless
    one is given), and the model line `sharesafe detectors` shows."""

    #: The manifest entry of the head, set by each detector class.
    entry: str = ""

    def __init__(self, manifest: Path, threshold: float | None, looks_at: str, trained_by: str) -> None:
        self.manifest = manifest
        self._threshold = threshold
        self.head: CropHead | None = None
        meta = manifest_entry(self.entry, manifest)
        self.info = ModelInfo(
            model=f"models/{meta['file']} (logistic head) on EfficientNet-Lite0 embeddings of {looks_at}",
            licence=str(meta.get("licence", "")),
            version=entry_version(meta),
            source=f"trained by {trained_by} (see models/manifest.toml)",
        )

    def load(self) -> None:
        if self.head is None:
            self.head = load_head(self.entry, self.manifest)
            backbone.get_backbone().load()

    @property
    def threshold(self) -> float:
        self.load()
        assert self.head is not None
        return self.head.threshold if self._threshold is None else self._threshold

    def head_scores(
        self, image: RGBImage, boxes: Sequence[Box], work_side: int, shrink: Shrink = fit
    ) -> npt.NDArray[np.float64]:
        """P(positive class) for each box (photo pixels)."""
        self.load()
        assert self.head is not None
        if not boxes:
            return np.zeros(0)
        return probabilities(self.head, image, boxes, work_side, shrink)
