"""Planar matching of kit references (crests, patches, logos, signs) with SIFT, a ratio test and RANSAC.

The scene's SIFT features are computed once per scan and indexed with FLANN; each reference then
costs a k-NN query, a ratio test and one or a few RANSAC homographies. A match must have enough
inliers spread over the reference, and its homography must map the reference to a plausible shape
(convex, not collapsed, not wildly stretched); the projected outline's bounding box is the finding box.

Measured with `scripts/bench_kit.py` (10 made-up crests, one reference each, composited onto real
evaldata photos at 2-30 % of the width with rotation, perspective, blur, noise and JPEG 50-95):
photos with short side >= 600 px: coverage recall 0.967 (58/60), 0.067 false findings per crest-free
photo, scene features ~1.4 s per photo, 26 ms per reference. Crests under ~40 px across are missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from sharesafe.detector import RGBImage

#: Scenes are scaled so their long side is at most this before SIFT (a 12 MP photo -> ~3 MP).
SCENE_MAX_SIDE = 2000
#: Small scenes are upscaled to at least this long side so small crests still give keypoints.
SCENE_MIN_SIDE = 1600
SCENE_MAX_FEATURES = 20000
RATIO = 0.8
MIN_INLIERS = 8
MIN_INLIER_RATIO = 0.25
#: Inliers must spread over at least this fraction of the reference's area (convex hull).
MIN_SPREAD = 0.04
MAX_INSTANCES = 3


@dataclass(slots=True)
class Features:
    points: npt.NDArray[np.float32]  # (N, 2) in the original image's pixel coordinates
    descriptors: npt.NDArray[np.float32]  # (N, 128)
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PlanarMatch:
    corners: npt.NDArray[np.float32]  # (4, 2) projected reference corners, scene pixels
    inliers: int
    matches: int

    @property
    def score(self) -> float:
        """An honest-ish confidence: saturates towards 1 as inliers grow past the minimum."""
        return (
            float(1.0 - np.exp(-(self.inliers - MIN_INLIERS + 3) / 10.0))
            if self.inliers >= MIN_INLIERS
            else 0.0
        )


def _sift(n_features: int = 0) -> cv2.SIFT:
    return cv2.SIFT.create(nfeatures=n_features, contrastThreshold=0.03)


def _gray(image: RGBImage) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def compute(image: RGBImage, max_side: int, min_side: int = 0, n_features: int = 0) -> Features:
    """SIFT keypoints/descriptors of `image` resized into [min_side, max_side]; points in original px."""
    h, w = image.shape[:2]
    long_side = max(h, w)
    scale = 1.0
    if long_side > max_side:
        scale = max_side / long_side
    elif min_side and long_side < min_side:
        scale = min_side / long_side
    gray = _gray(image)
    if scale != 1.0:
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        gray = np.asarray(cv2.resize(gray, size, interpolation=interp), dtype=np.uint8)
    kps, desc = _sift(n_features).detectAndCompute(gray, None)
    if desc is None or not kps:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32), w, h)
    pts = np.array([kp.pt for kp in kps], np.float32) / scale
    return Features(pts, desc.astype(np.float32), w, h)


#: References are described at several long sides so a crest seen small still finds its keypoints.
REF_SIDES = (384, 192, 96, 64)


def reference_features(image: RGBImage) -> Features:
    parts = [compute(image, side, min_side=side) for side in REF_SIDES]
    h, w = image.shape[:2]
    return Features(
        np.concatenate([p.points for p in parts]), np.concatenate([p.descriptors for p in parts]), w, h
    )


def scene_features(image: RGBImage) -> Features:
    return compute(image, SCENE_MAX_SIDE, min_side=SCENE_MIN_SIDE, n_features=SCENE_MAX_FEATURES)


class SceneIndex:
    """A FLANN index over one scene's descriptors, queried once per reference."""

    def __init__(self, scene: Features) -> None:
        self.scene = scene
        self._flann: cv2.FlannBasedMatcher | None = None
        if len(scene.descriptors) >= 2:
            self._flann = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 32})
            self._flann.add([scene.descriptors])
            self._flann.train()

    def match(self, ref: Features) -> list[PlanarMatch]:
        """Every plausible instance of `ref` in the scene (at most MAX_INSTANCES)."""
        if self._flann is None or len(ref.descriptors) < MIN_INLIERS:
            return []
        knn = self._flann.knnMatch(ref.descriptors, k=2)
        good = [
            (m.queryIdx, m.trainIdx)
            for m, n in (p for p in knn if len(p) == 2)
            if m.distance < RATIO * n.distance
        ]
        if len(good) < MIN_INLIERS:
            return []
        pairs = np.array(good, np.int32)
        found: list[PlanarMatch] = []
        # Reprojection tolerance in scene px: ~1 % of the scene's long side, at least 4 px.
        tol = max(4.0, 0.006 * max(self.scene.width, self.scene.height))
        for _ in range(MAX_INSTANCES):
            if len(pairs) < MIN_INLIERS:
                break
            src = ref.points[pairs[:, 0]].reshape(-1, 1, 2)
            dst = self.scene.points[pairs[:, 1]].reshape(-1, 1, 2)
            hom, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, tol, maxIters=2000, confidence=0.995)
            if hom is None or mask is None:
                break
            inl = mask.ravel().astype(bool)
            n_in = int(inl.sum())
            if n_in < MIN_INLIERS:
                break
            accepted = n_in / len(pairs) >= MIN_INLIER_RATIO or n_in >= 2 * MIN_INLIERS
            corners = _project(np.asarray(hom, dtype=np.float64), ref.width, ref.height)
            if (
                accepted
                and _plausible(corners, ref, ref.points[pairs[inl, 0]], self.scene)
                and not any(_overlap(corners, f.corners) > 0.3 for f in found)  # same instance again
            ):
                found.append(PlanarMatch(corners, n_in, len(good)))
            # Look for another instance among the remaining matches.
            pairs = pairs[~inl]
        return found


def _project(hom: npt.NDArray[np.float64], w: int, h: int) -> npt.NDArray[np.float32]:
    src = np.array([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]], np.float32)
    return cv2.perspectiveTransform(src, hom).reshape(4, 2).astype(np.float32)


def _plausible(
    corners: npt.NDArray[np.float32], ref: Features, ref_inliers: npt.NDArray[np.float32], scene: Features
) -> bool:
    if not np.all(np.isfinite(corners)):
        return False
    poly = corners.reshape(-1, 1, 2)
    if not cv2.isContourConvex(poly.astype(np.float32)):
        return False
    area = abs(cv2.contourArea(poly))
    scene_area = scene.width * scene.height
    if area < 64 or area > 1.5 * scene_area:
        return False
    # Opposite sides should not differ wildly (strong perspective is rare for a patch or sign).
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)
    if sides.min() < 4 or sides[0] / sides[2] > 4 or sides[2] / sides[0] > 4:
        return False
    if sides[1] / sides[3] > 4 or sides[3] / sides[1] > 4:
        return False
    ref_aspect = ref.width / ref.height
    aspect = ((sides[0] + sides[2]) / 2) / ((sides[1] + sides[3]) / 2)
    if not (ref_aspect / 4 <= aspect <= ref_aspect * 4):
        return False
    # Inliers spread over the reference, not a clump on one corner.
    if len(ref_inliers) >= 3:
        hull = cv2.convexHull(ref_inliers.reshape(-1, 1, 2))
        if cv2.contourArea(hull) < MIN_SPREAD * ref.width * ref.height:
            return False
    return True


def _overlap(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    """Intersection over the smaller of two outlines' bounding boxes."""
    ax1, ay1, ax2, ay2 = corners_box(a)
    bx1, by1, bx2, by2 = corners_box(b)
    iw, ih = max(0.0, min(ax2, bx2) - max(ax1, bx1)), max(0.0, min(ay2, by2) - max(ay1, by1))
    smaller = min((ax2 - ax1) * (ay2 - ay1), (bx2 - bx1) * (by2 - by1))
    return iw * ih / smaller if smaller > 0 else 0.0


def corners_box(corners: npt.NDArray[np.float32]) -> tuple[float, float, float, float]:
    xs, ys = corners[:, 0], corners[:, 1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())
