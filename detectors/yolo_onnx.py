"""Run an ultralytics YOLO detection export (.onnx) on onnxruntime: letterbox, decode, NMS, no torch.

An ultralytics ONNX export takes one RGB image scaled to 0..1, letterboxed to the network size with
grey (114) borders, and returns either

- the raw head, shape (1, 4 + classes, anchors): per anchor a centre-x, centre-y, width, height box in
  network pixels and one (already sigmoid-activated) score per class; or
- for end-to-end exports (`end2end` in the metadata, e.g. YOLO26), (1, max_det, 6) rows of
  x1, y1, x2, y2, score, class after the model's own selection.

The class names, the input size and the stride are read from the export's metadata. The pre- and
post-processing follow what ultralytics' predictor does for a fixed-size export, so the boxes match
its own predictions (tests/detectors/test_yolo.py compares them when ultralytics is installed):
each box takes its best class, boxes scoring above `conf` go through class-aware greedy NMS (a box
is dropped when its IoU with a kept box of the same class exceeds `iou`), and the survivors are
mapped back through the letterbox and clipped to the image.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from detectors._onnx import session_from_bytes
from sharesafe.geometry import nms

#: ultralytics' letterbox border value and its cap on candidate boxes before NMS.
PAD_VALUE = 114
MAX_CANDIDATES = 30_000

Boxes = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How an image was fitted into the network input: its size, the resized size and the border."""

    height: int  # of the image before the letterbox
    width: int
    new_height: int  # resized, before the border
    new_width: int
    top: int
    bottom: int
    left: int
    right: int

    @property
    def out_height(self) -> int:
        return self.top + self.new_height + self.bottom

    @property
    def out_width(self) -> int:
        return self.left + self.new_width + self.right

    def to_image(self, boxes: Boxes) -> Boxes:
        """xyxy boxes in network pixels -> in the original image's pixels, clipped to it."""
        out = boxes.astype(np.float32, copy=True)
        out[:, [0, 2]] = (out[:, [0, 2]] - self.left) / (self.new_width / self.width)
        out[:, [1, 3]] = (out[:, [1, 3]] - self.top) / (self.new_height / self.height)
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.height)
        return out


def letterbox_shape(height: int, width: int, net_h: int, net_w: int, stride: int | None = None) -> Letterbox:
    """Where an image of `height` x `width` lands in a `net_h` x `net_w` input (centred, scaled up or down).

    With `stride` (exports with a free input size) the border is trimmed to the next multiple of it.
    """
    r = min(net_h / height, net_w / width)
    new_w, new_h = max(round(width * r), 1), max(round(height * r), 1)
    dw, dh = float(net_w - new_w), float(net_h - new_h)
    if stride:
        dw, dh = float(np.mod(dw, stride)), float(np.mod(dh, stride))
    dw, dh = dw / 2, dh / 2
    return Letterbox(
        height,
        width,
        new_h,
        new_w,
        top=round(dh - 0.1),
        bottom=round(dh + 0.1),
        left=round(dw - 0.1),
        right=round(dw + 0.1),
    )


def letterbox(
    image: npt.NDArray[np.uint8], net_h: int, net_w: int, stride: int | None = None
) -> tuple[npt.NDArray[np.uint8], Letterbox]:
    """`image` resized (bilinear, as ultralytics does) and padded with grey into the network input."""
    h, w = image.shape[:2]
    box = letterbox_shape(h, w, net_h, net_w, stride)
    resized = image
    if (box.new_height, box.new_width) != (h, w):
        size = (box.new_width, box.new_height)
        resized = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), dtype=np.uint8)
    canvas = np.full((box.out_height, box.out_width, 3), PAD_VALUE, dtype=np.uint8)
    canvas[box.top : box.top + box.new_height, box.left : box.left + box.new_width] = resized
    return canvas, box


def nms_per_class(
    boxes: Boxes, scores: npt.NDArray[np.float32], classes: npt.NDArray[np.int64], iou: float
) -> list[int]:
    """Greedy NMS within each class; kept indices, best score first.

    A box is dropped when its IoU with a kept, higher-scoring box of its class is above `iou`.
    """
    return nms(boxes, scores, iou, classes)


def decode(
    output: npt.NDArray[np.float32], conf: float, iou: float, max_det: int, end2end: bool = False
) -> tuple[Boxes, npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Network output for one image -> (xyxy boxes in network pixels, scores, class ids), best first."""
    pred = np.asarray(output, dtype=np.float32)
    if pred.ndim == 3:
        pred = pred[0]
    if end2end:
        rows = pred[pred[:, 4] > conf][:max_det]
        order = np.argsort(-rows[:, 4], kind="stable")
        rows = rows[order]
        return rows[:, :4].copy(), rows[:, 4].copy(), rows[:, 5].astype(np.int64)
    pred = pred.T  # (anchors, 4 + classes)
    class_scores = pred[:, 4:]
    if class_scores.shape[1] == 0:
        raise ValueError("the model output has no class scores")
    cls = class_scores.argmax(axis=1)
    score = class_scores[np.arange(len(cls)), cls]
    mask = score > conf
    xywh, score, cls = pred[mask, :4], score[mask], cls[mask].astype(np.int64)
    if len(score) > MAX_CANDIDATES:
        top = np.argsort(-score, kind="stable")[:MAX_CANDIDATES]
        xywh, score, cls = xywh[top], score[top], cls[top]
    boxes = np.empty_like(xywh)
    boxes[:, 0] = xywh[:, 0] - xywh[:, 2] / 2
    boxes[:, 1] = xywh[:, 1] - xywh[:, 3] / 2
    boxes[:, 2] = xywh[:, 0] + xywh[:, 2] / 2
    boxes[:, 3] = xywh[:, 1] + xywh[:, 3] / 2
    keep = nms_per_class(boxes, score, cls, iou)[:max_det]
    return boxes[keep], score[keep], cls[keep]


def parse_names(text: str) -> dict[int, str]:
    """The class names ultralytics writes into an export's metadata ("{0: 'person', 1: 'bicycle'}")."""
    value = ast.literal_eval(text)
    if isinstance(value, Mapping):
        return {int(k): str(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return {i: str(v) for i, v in enumerate(value)}
    raise ValueError(f"unreadable class names in the model metadata: {text[:80]!r}")


class YoloOnnxModel:
    """One ultralytics detection export on an onnxruntime CPU session (made by `detectors._onnx`)."""

    def __init__(self, path: Path, imgsz: int = 640) -> None:
        self.path = path
        self.session: Any = session_from_bytes(path.read_bytes())
        meta: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
        if "names" not in meta:
            raise ValueError(f"{path.name}: not an ultralytics export (no class names in its metadata)")
        self.names = parse_names(meta["names"])
        self.end2end = meta.get("end2end", "False").strip().lower() == "true"
        self.stride = int(meta.get("stride", "32"))
        inp = self.session.get_inputs()[0]
        self.input_name: str = inp.name
        shape = list(inp.shape)
        fixed = len(shape) == 4 and all(isinstance(d, int) and d > 0 for d in shape[2:])
        #: Fixed-size exports are always fed their own size; free-size ones `imgsz`, border trimmed.
        self.dynamic = not fixed
        self.net_h, self.net_w = (int(shape[2]), int(shape[3])) if fixed else (imgsz, imgsz)

    def predict(
        self, image: npt.NDArray[np.uint8], conf: float, iou: float, max_det: int
    ) -> tuple[Boxes, npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Detections on an RGB uint8 image: xyxy boxes in its pixels, scores, class ids, best first."""
        canvas, box = letterbox(image, self.net_h, self.net_w, self.stride if self.dynamic else None)
        blob = np.ascontiguousarray(canvas.transpose(2, 0, 1)[None]).astype(np.float32) / np.float32(255)
        (output,) = self.session.run(None, {self.input_name: blob})[:1]
        boxes, scores, classes = decode(output, conf, iou, max_det, self.end2end)
        return box.to_image(boxes), scores, classes
