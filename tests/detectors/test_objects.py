"""ShareSafe's own objects detector: manifest + sha256 check, vest-on-person logic, and the shipped model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from detectors import model_manifest, objects, regions
from detectors.yolo import resolve_class_map
from sharesafe.detector import Detector
from sharesafe.types import Box, Category, Finding

NAMES = {0: "firearm", 1: "hivis_vest"}


def write_manifest(folder: Path, file: str, digest: str) -> Path:
    manifest = folder / "manifest.toml"
    manifest.write_text(
        f'[[model]]\nname = "other"\nfile = "x.pt"\nsha256 = "00"\n\n'
        f'[[model]]\nname = "objects"\nfile = "{file}"\nsha256 = "{digest}"\nimgsz = 320\n'
        f'date = "2026-01-01"\nlicence = "AGPL-3.0-or-later"\n\n[model.validation.all]\nmAP50 = 0.5\n'
    )
    return manifest


def test_manifest_entry_and_sha_mismatch_refuses_to_load(tmp_path: Path) -> None:
    weights = tmp_path / "objects.pt"
    weights.write_bytes(b"not the real weights")
    manifest = write_manifest(tmp_path, "objects.pt", "0" * 64)
    entry = objects.manifest_entry("objects", manifest)
    assert entry["file"] == "objects.pt" and entry["validation"]["all"]["mAP50"] == 0.5
    det = objects.make(manifest=manifest)
    assert isinstance(det, Detector)
    assert det.categories == frozenset({Category.WEAPON, Category.UNIFORM})
    with pytest.raises(model_manifest.WeightsIntegrityError, match="does not match"):
        det.load()
    assert det._model is None  # nothing was loaded


def test_sha_match_passes_verification(tmp_path: Path) -> None:
    weights = tmp_path / "objects.onnx"
    weights.write_bytes(b"abc")
    model_manifest.verify_sha256(weights, hashlib.sha256(b"abc").hexdigest())
    with pytest.raises(model_manifest.WeightsIntegrityError):
        model_manifest.verify_sha256(weights, hashlib.sha256(b"abd").hexdigest())


def test_missing_manifest_entry(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text('[[model]]\nname = "else"\nfile = "a.pt"\nsha256 = "1"\n')
    with pytest.raises(KeyError):
        objects.make(manifest=tmp_path / "manifest.toml")
    with pytest.raises(FileNotFoundError):
        objects.make(manifest=tmp_path / "nope.toml")


class FakeObjects(objects.ObjectsDetector):
    def __init__(self, raw: list) -> None:
        info = objects.ModelInfo(model="m", licence="l", version="v")
        super().__init__("objects", Path("/nonexistent/objects.pt"), objects.CLASS_MAP, info, conf=0.1)
        self._raw = raw
        self._model = type("M", (), {"names": NAMES})()
        self._targets = resolve_class_map(self._class_map, NAMES)

    def predict_raw(self, image, conf=None):  # type: ignore[no-untyped-def]
        return self._raw


def person(x1: int, y1: int, x2: int, y2: int) -> Finding:
    return Finding(Category.PERSON, "person", 0.8, Box(x1, y1, x2, y2), "persons")


def test_classes_and_vest_on_person_marks_uniform() -> None:
    raw = [(0, 0.6, (5.0, 5.0, 20.0, 15.0)), (1, 0.7, (110.0, 60.0, 150.0, 110.0))]
    image = np.zeros((200, 300, 3), np.uint8)
    wearer, bystander = person(100, 20, 160, 190), person(200, 20, 260, 190)
    found = FakeObjects(raw).detect(
        image, [wearer, bystander, Finding(Category.FACE, "f", 1, Box(0, 0, 1, 1), "x")]
    )
    by_label = {f.label: f for f in found}
    assert by_label["firearm"].category is Category.WEAPON
    assert by_label["hi-vis vest"].category is Category.UNIFORM
    uniform = by_label["hi-vis vest wearer"]
    assert uniform.category is Category.UNIFORM and uniform.box == wearer.box and uniform.score == 0.7
    assert len(found) == 3  # the bystander gets nothing


def test_vest_mostly_outside_person_is_not_worn() -> None:
    raw = [(1, 0.7, (0.0, 0.0, 100.0, 100.0))]
    found = FakeObjects(raw).detect(np.zeros((200, 200, 3), np.uint8), [person(80, 80, 200, 200)])
    assert [f.label for f in found] == ["hi-vis vest"]


class SmallPistolObjects(FakeObjects):
    """A fake model that sees a pistol only when the crop is shown closely enough (like a real one)."""

    def __init__(self, pistol: Box, min_px: float) -> None:
        super().__init__([])
        self.pistol, self.min_px, self.calls = pistol, min_px, []

    def predict_raw(self, image, conf=None):  # type: ignore[no-untyped-def]
        h, w = image.shape[:2]
        self.calls.append((w, h))
        scale = self.imgsz / max(h, w)
        x1, y1, x2, y2 = self.offset_pistol
        if (x2 - x1) * scale < self.min_px:
            return [(1, 0.9, (0.0, 0.0, 40.0, 40.0))]  # a vest, which crops must not repeat
        return [(0, 0.6, (float(x1), float(y1), float(x2), float(y2)))]


def test_search_finds_a_small_pistol_in_a_person_crop_and_maps_it_back() -> None:
    pistol = Box(1500, 800, 1540, 830)  # 40 px in a 1920 px scene: 8 px at imgsz 384
    det = SmallPistolObjects(pistol, min_px=12)
    det.imgsz = 384
    image = np.zeros((1080, 1920, 3), np.uint8)
    holder = person(1400, 500, 1560, 1000)
    views = det.views(image, [holder])
    assert [v.kind for v in views] == ["photo", "person"]
    crop = views[1].box
    det.offset_pistol = (pistol.x1 - crop.x1, pistol.y1 - crop.y1, pistol.x2 - crop.x1, pistol.y2 - crop.y1)
    found = det.detect(image, [holder])
    guns = [f for f in found if f.category is Category.WEAPON]
    assert len(guns) == 1 and guns[0].extra["view"] == "person"
    # mapped back to photo coordinates, then padded: the box covers the pistol and a margin
    assert guns[0].box.intersection(pistol) == pistol.area and guns[0].box.area > pistol.area
    assert [f.label for f in found if f.category is Category.UNIFORM] == ["hi-vis vest"]  # photo pass only
    assert det.calls[1] == (crop.width, crop.height)  # the crop ran at its own resolution


def test_without_search_the_same_pistol_is_missed() -> None:
    pistol = Box(1500, 800, 1540, 830)
    det = SmallPistolObjects(pistol, min_px=12)
    det.imgsz, det.search = 384, False
    det.offset_pistol = pistol.as_list()
    found = det.detect(np.zeros((1080, 1920, 3), np.uint8), [person(1400, 500, 1560, 1000)])
    assert not [f for f in found if f.category is Category.WEAPON]


def test_overlapping_weapon_boxes_from_two_views_merge_into_one_padded_union() -> None:
    class TwoViews(FakeObjects):
        def predict_raw(self, image, conf=None):  # type: ignore[no-untyped-def]
            if image.shape[1] == 1920:  # the whole photo: a coarse box
                return [(0, 0.3, (1500.0, 800.0, 1530.0, 830.0))]
            return [(0, 0.7, (1500.0 - self.dx, 805.0 - self.dy, 1545.0 - self.dx, 835.0 - self.dy))]

    det = TwoViews([])
    det.imgsz = 384
    holder = person(1400, 500, 1560, 1000)
    crop = det.views(np.zeros((1080, 1920, 3), np.uint8), [holder])[1].box
    det.dx, det.dy = crop.x1, crop.y1
    found = det.detect(np.zeros((1080, 1920, 3), np.uint8), [holder])
    assert len(found) == 1
    gun = found[0]
    assert gun.score == 0.7 and gun.box.intersection(Box(1500, 800, 1545, 835)) == 45 * 35


@pytest.mark.slow
def test_shipped_model_loads_and_runs() -> None:
    try:
        entry = objects.manifest_entry()
    except (FileNotFoundError, KeyError):
        pytest.skip("no objects model shipped in models/")
    det = objects.make()
    det.load()  # checks the sha256 against the manifest
    assert set(det.class_names.values()) == set(entry["classes"]) <= set(objects.KNOWN_CLASSES)
    assert entry["file"] in det.info.model
    if model_manifest.has_entry(objects.CHECK_ENTRY):  # the second look's head, sha256-checked too
        assert det.check is not None and 0 < det.check.threshold < objects.SURE
        assert det.check.classes == ["other", "weapon"] and "weapon_check_head.json" in det.info.model
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (360, 480, 3), dtype=np.uint8)
    found = det.detect(image)
    assert all(f.category in {Category.WEAPON, Category.UNIFORM} for f in found)
    assert all(0 <= f.box.x1 <= f.box.x2 <= 480 and 0 <= f.box.y1 <= f.box.y2 <= 360 for f in found)
    assert det.detect(np.full((240, 320, 3), 90, np.uint8)) == []  # a flat picture holds nothing


class Recording(FakeObjects):
    """The whole photo gives `photo_raw`; any crop gives a firearm at (10, 10)-(40, 30) of the crop."""

    def __init__(self, photo_raw: list) -> None:
        super().__init__(photo_raw)
        self.calls: list[tuple[int, int, float | None]] = []

    def predict_raw(self, image, conf=None):  # type: ignore[no-untyped-def]
        self.calls.append((image.shape[1], image.shape[0], conf))
        if len(self.calls) == 1:
            return self._raw
        return [(0, 0.8, (10.0, 10.0, 40.0, 30.0))]


def test_tiles_run_only_where_the_whole_photo_pass_saw_a_weak_weapon() -> None:
    image = np.zeros((3000, 4000, 3), np.uint8)
    det = Recording([(0, 0.06, (200.0, 150.0, 260.0, 190.0)), (1, 0.05, (3500.0, 2500.0, 3600.0, 2700.0))])
    det.imgsz = 320
    assert [v.kind for v in det.views(image, [])].count("tile") == 4
    found = det.detect(image)
    # the whole photo, at the planning floor, then only the top-left tile (the vest is no reason)
    assert len(det.calls) == 2 and det.calls[0][2] == regions.PLAN_CONF
    assert det.calls[1][0] < 4000
    # the weak candidate itself is not a finding; the tile's firearm is, mapped back to the photo
    guns = [f for f in found if f.category is Category.WEAPON]
    assert len(guns) == 1 and guns[0].extra["view"] == "tile" and guns[0].box.x1 < 60
    assert not [f for f in found if f.category is Category.UNIFORM]  # the vest scored under `conf`
    # nothing seen on the whole photo: one pass
    plain = Recording([])
    plain.imgsz = 320
    assert plain.detect(image) == [] and len(plain.calls) == 1


def test_the_class_map_follows_the_manifest(tmp_path: Path) -> None:
    weights = tmp_path / "objects.onnx"
    weights.write_bytes(b"x")
    manifest = write_manifest(tmp_path, "objects.onnx", "0" * 64)
    text = manifest.read_text()
    with_classes = text.replace(
        "imgsz = 320\n", 'imgsz = 320\nclasses = ["firearm", "knife", "hivis_vest"]\n'
    )
    manifest.write_text(with_classes)
    det = objects.make(manifest=manifest)
    assert det._class_map["knife"].category is Category.WEAPON  # a knife class is reported as a weapon
    assert det.categories == frozenset({Category.WEAPON, Category.UNIFORM})
    manifest.write_text(text.replace("imgsz = 320\n", 'imgsz = 320\nclasses = ["firearm", "slingshot"]\n'))
    with pytest.raises(ValueError, match="slingshot"):
        objects.make(manifest=manifest)
    # No `classes` in the manifest: the original two.
    manifest.write_text(text)
    assert set(objects.make(manifest=manifest)._class_map) == {"firearm", "hivis_vest"}


def test_a_model_class_the_manifest_does_not_list_refuses_to_load() -> None:
    names = {0: "firearm", 1: "hivis_vest", 2: "knife"}
    det = FakeObjects([])
    det._model = type("M", (), {"names": names})()
    det._targets = resolve_class_map(det._class_map, names)
    with pytest.raises(ValueError, match="knife"):
        det.load()


def test_second_look_drops_unsure_boxes_the_head_calls_no_weapon(monkeypatch: pytest.MonkeyPatch) -> None:
    from detectors import backbone
    from detectors.crop_head import CropHead

    from . import fake_heads

    monkeypatch.setattr(backbone, "get_backbone", fake_heads.FakeBackbone)
    image = np.zeros((200, 400, 3), np.uint8)
    image[20:80, 20:80] = 255  # the fake backbone reads a bright crop as a weapon
    raw = [
        (0, 0.3, (20.0, 20.0, 80.0, 80.0)),  # bright, unsure: kept
        (0, 0.3, (150.0, 20.0, 210.0, 80.0)),  # dark, unsure: a false alarm, dropped
        (0, 0.7, (300.0, 100.0, 360.0, 160.0)),  # dark but sure (>= SURE): kept
    ]
    det = FakeObjects(raw)
    det.check = CropHead(fake_heads.head(bias=-5.0, threshold=0.5, w0=10.0))
    found = det.detect(image, [])
    kept = sorted((f.box.x1, f.score) for f in found)
    assert len(kept) == 2 and kept[0][0] < 80 and kept[1][0] > 250  # the bright box and the sure one
    assert {s for _, s in kept} == {0.3, 0.7}
    looks = {f.score: f.extra["second_look"] for f in found}
    assert looks[0.3] > 0.5 > looks[0.7]  # each kept box says what the head thought
    det.check = None
    assert len(det.detect(image, [])) == 3  # without the head every box is reported


def test_second_look_is_on_only_where_the_manifest_has_its_head(tmp_path: Path) -> None:
    from . import fake_heads

    shipped = objects.make()
    assert (shipped.check_manifest is not None) == model_manifest.has_entry(objects.CHECK_ENTRY)
    assert objects.make(second_look=False).check_manifest is None
    manifest = fake_heads.manifest_with(tmp_path, objects.CHECK_ENTRY, fake_heads.head(0.0), sha="0" * 64)
    assert not model_manifest.has_entry(objects.ENTRY, manifest)
    assert model_manifest.has_entry(objects.CHECK_ENTRY, manifest)
    assert not model_manifest.has_entry(objects.CHECK_ENTRY, tmp_path / "none.toml")


def test_per_class_thresholds_over_the_model_threshold() -> None:
    cmap = objects.class_map_for(["firearm", "knife", "hivis_vest"], objects.FLOORS)
    assert cmap["firearm"].min_score is None  # reports from objects.CONF
    assert cmap["knife"].min_score is None
    assert cmap["hivis_vest"].min_score == objects.FLOORS["hivis_vest"] == 0.25 > objects.CONF
    assert objects.class_map_for(["knife"], {"knife": 0.3})["knife"].min_score == 0.3
    assert all(t.min_score is None for t in objects.class_map_for(["firearm", "knife"]).values())
    raw = [(0, 0.18, (5.0, 5.0, 40.0, 30.0)), (1, 0.18, (60.0, 60.0, 90.0, 80.0))]  # under the vest floor
    det = FakeObjects(raw)
    det._targets = resolve_class_map(objects.class_map_for(["firearm", "hivis_vest"], objects.FLOORS), NAMES)
    assert [f.label for f in det.detect(np.zeros((100, 100, 3), np.uint8), [])] == ["firearm"]
