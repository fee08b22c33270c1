"""The `hints` detector's logic with a fake classifier, and the real backbone (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from detectors import backbone, hints
from sharesafe.types import Box, Category, Finding


class _FakeBackbone:
    """Gives "revolver" 0.9 to 84 px wide crops and "military uniform" 0.6 to tall crops."""

    def __init__(self) -> None:
        names = backbone.imagenet_classes()
        self.rev, self.mil = names.index("revolver"), names.index("military uniform")
        self.seen: list[tuple[int, int]] = []

    def probs(self, crops: list[np.ndarray]) -> np.ndarray:
        out = np.full((len(crops), 1000), 1e-4, np.float32)
        for i, c in enumerate(crops):
            self.seen.append(c.shape[:2])
            if c.shape[0] > 2 * c.shape[1]:
                out[i, self.mil] = 0.6
            elif c.shape[1] == 84:  # the padded 70 px vehicle box
                out[i, self.rev] = 0.9
        return out


def test_crops_and_findings_from_context(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeBackbone()
    monkeypatch.setattr(backbone, "get_backbone", lambda: fake)
    img = np.zeros((400, 600, 3), np.uint8)
    person = Finding(Category.PERSON, "person", 0.9, Box(100, 50, 160, 350), "persons")
    car = Finding(Category.VEHICLE, "car", 0.9, Box(400, 300, 470, 360), "objects")
    tiny = Finding(Category.PERSON, "person", 0.9, Box(0, 0, 5, 5), "persons")
    out = hints.HintsDetector().detect(img, [person, car, tiny])
    # whole image + 4 tiles + person + vehicle; the tiny person is skipped
    assert len(fake.seen) == 7
    uniform = [f for f in out if f.category is Category.UNIFORM]
    assert len(uniform) == 1
    assert uniform[0].box == person.box.padded(hints.CROP_PAD, 600, 400)
    assert uniform[0].label == "hint: military uniform (ImageNet)"
    assert uniform[0].score == pytest.approx(0.6, abs=1e-3)
    # The vehicle crop (84 px wide once padded) reads as a revolver, but a vehicle's crop is judged
    # for the vehicle groups only.
    assert [f for f in out if f.category is Category.WEAPON] == []
    assert all(f.detector == "hints" for f in out)
    # The same reading on a person's crop is a weapon hint.
    holder = Finding(Category.PERSON, "person", 0.9, Box(250, 100, 320, 200), "persons")  # 84 px padded
    weapons = [f for f in hints.HintsDetector().detect(img, [holder]) if f.category is Category.WEAPON]
    assert [(f.label, f.extra["crop"]) for f in weapons] == [("hint: revolver (ImageNet)", "person")]


def test_class_groups_use_real_imagenet_names() -> None:
    names = set(backbone.imagenet_classes())
    for g in hints.GROUPS:
        assert set(g.classes) <= names


@pytest.mark.slow
def test_backbone_features_and_probs() -> None:
    bb = backbone.get_backbone()
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 255, (120, 90, 3), dtype=np.uint8), np.full((50, 300, 3), 200, np.uint8)]
    f = bb.features(crops)
    assert f.shape == (2, backbone.EMBED_DIM)
    assert np.allclose(np.linalg.norm(f, axis=1), 1.0, atol=1e-4)
    p = bb.probs(crops)
    assert p.shape == (2, 1000) and np.allclose(p.sum(axis=1), 1.0, atol=1e-4)
    assert bb.runtime in ("onnxruntime", "torch")
    assert bb.features([]).shape == (0, backbone.EMBED_DIM)


@pytest.mark.slow
def test_onnx_and_torch_agree() -> None:
    pytest.importorskip("torch")
    crop = np.random.default_rng(1).integers(0, 255, (224, 224, 3), dtype=np.uint8)
    onnx_bb, torch_bb = backbone.Backbone("onnx"), backbone.Backbone("torch")
    lo, lt = onnx_bb.logits([crop]), torch_bb.logits([crop])
    assert onnx_bb.runtime == "onnxruntime" and torch_bb.runtime == "torch"
    # The derived file stores its weights as FP16 (detectors/onnx_fp16.py): logits move by a few
    # hundredths, the ranking and the probabilities the hints use do not.
    assert np.abs(lo - lt).max() < 0.05
    assert list(np.argsort(-lo[0])[:5]) == list(np.argsort(-lt[0])[:5])
    po, pt = onnx_bb.probs([crop]), torch_bb.probs([crop])
    assert np.abs(po - pt).max() < 2e-3


@pytest.mark.slow
def test_real_hints_run_on_a_plain_image() -> None:
    img = np.full((300, 400, 3), 127, np.uint8)
    out = hints.HintsDetector().detect(img)
    assert isinstance(out, list)
    assert all(f.category in hints.HintsDetector.categories for f in out)


class _PoliceVanBackbone:
    """Gives "police van" a fixed probability to every crop."""

    def __init__(self, p: float) -> None:
        self.van = backbone.imagenet_classes().index("police van")
        self.p = p

    def probs(self, crops: list[np.ndarray]) -> np.ndarray:
        out = np.full((len(crops), 1000), 1e-4, np.float32)
        out[:, self.van] = self.p
        return out


@pytest.mark.parametrize(("p", "on_vehicle"), [(0.3, False), (0.7, True)])
def test_police_van_on_a_vehicle_crop_needs_a_confident_classifier(
    monkeypatch: pytest.MonkeyPatch, p: float, on_vehicle: bool
) -> None:
    monkeypatch.setattr(backbone, "get_backbone", lambda: _PoliceVanBackbone(p))
    img = np.zeros((400, 600, 3), np.uint8)
    car = Finding(Category.VEHICLE, "vehicle: car", 0.9, Box(300, 200, 500, 350), "coco")
    out = hints.HintsDetector(tiles=False).detect(img, [car])
    vans = {f.extra["crop"] for f in out if f.extra.get("group") == "police vehicle"}
    # the car's own crop and the whole photo holding it both need VEHICLE_CROP_THRESHOLD
    assert vans == ({"image", "vehicle"} if on_vehicle else set())
    # with no vehicle boxed, the whole photo keeps the low threshold (0.10)
    alone = hints.HintsDetector(tiles=False).detect(img, [])
    assert {f.extra["crop"] for f in alone if f.extra.get("group") == "police vehicle"} == {"image"}


def test_tiles_of_a_car_that_fills_the_photo_need_the_vehicle_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backbone, "get_backbone", lambda: _PoliceVanBackbone(0.3))
    img = np.zeros((400, 600, 3), np.uint8)
    car = Finding(Category.VEHICLE, "vehicle: car", 0.9, Box(60, 0, 540, 330), "coco")
    out = hints.HintsDetector().detect(img, [car])
    assert [f for f in out if f.category is Category.VEHICLE] == []
    # far from the car, a tile keeps the low threshold
    small = Finding(Category.VEHICLE, "vehicle: car", 0.9, Box(0, 0, 60, 40), "coco")
    out = hints.HintsDetector().detect(img, [small])
    assert {f.extra["crop"] for f in out if f.category is Category.VEHICLE} == {"tile"}


class _VestBackbone:
    """Reads every crop as 0.5 "bulletproof vest" and 0.06 "military uniform"."""

    def __init__(self) -> None:
        names = backbone.imagenet_classes()
        self.vest, self.mil = names.index("bulletproof vest"), names.index("military uniform")

    def probs(self, crops: list[np.ndarray]) -> np.ndarray:
        out = np.full((len(crops), 1000), 1e-4, np.float32)
        out[:, self.vest] = 0.5
        out[:, self.mil] = 0.06
        return out


def test_a_hivis_vest_explains_a_bulletproof_vest_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backbone, "get_backbone", _VestBackbone)
    img = np.zeros((400, 600, 3), np.uint8)
    worker = Finding(Category.PERSON, "person", 0.9, Box(100, 50, 160, 350), "persons")
    officer = Finding(Category.PERSON, "person", 0.9, Box(400, 50, 460, 350), "persons")
    vest = Finding(Category.UNIFORM, "hi-vis vest", 0.7, Box(105, 120, 155, 220), "objects")
    out = hints.HintsDetector(tiles=False).detect(img, [worker, officer, vest])
    uniform = {(f.extra["crop"], f.box.x1) for f in out if f.category is Category.UNIFORM}
    # the worker's crop and the whole photo hold the vest: 0.06 of "military uniform" is below 0.10;
    # the other person's crop keeps its "bulletproof vest" reading
    assert uniform == {("person", officer.box.padded(hints.CROP_PAD, 600, 400).x1)}
    # without the vest finding every crop reads as a uniform
    again = hints.HintsDetector(tiles=False).detect(img, [worker, officer])
    assert len([f for f in again if f.category is Category.UNIFORM]) == 3
