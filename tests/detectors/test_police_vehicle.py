"""Police vehicle judged per vehicle box: livery, light bar, markings and ImageNet hints on drawn cars (the
rules alone), and the learned look (a fake head and backbone; the shipped head on the real backbone)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors import backbone, livery, model_manifest, police_vehicle
from detectors.police_vehicle import Evidence, PoliceVehicleDetector, combine
from sharesafe.detector import Detector
from sharesafe.types import Box, Category, Finding
from tests.detectors import fake_heads

YELLOW = (200, 230, 0)  # fluorescent yellow-green
BLUE = (0, 40, 200)
RED = (210, 20, 20)
WHITE = (245, 245, 245)
SILVER = (150, 150, 155)


def draw_car(
    body: tuple[int, int, int] = WHITE,
    chequer: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None,
    bar: tuple[int, int, int] | None = None,
    size: tuple[int, int] = (600, 800),
) -> tuple[np.ndarray, Box]:
    """A side view of a car on a grey street: body, cabin, windows, wheels; optional livery."""
    h, w = size
    img = np.full((h, w, 3), 95, np.uint8)
    img[: h // 3] = (170, 180, 190)  # pale sky
    x1, x2, top, bottom = 150, 650, 260, 440
    cv2.rectangle(img, (x1, 330), (x2, 420), body, -1)  # lower body
    cv2.rectangle(img, (x1 + 110, top + 20), (x2 - 120, 330), body, -1)  # cabin
    cv2.rectangle(img, (x1 + 125, top + 32), (x1 + 240, 322), (40, 50, 60), -1)  # windows
    cv2.rectangle(img, (x1 + 255, top + 32), (x2 - 135, 322), (40, 50, 60), -1)
    for cx in (x1 + 95, x2 - 95):
        cv2.circle(img, (cx, 420), 38, (20, 20, 20), -1)
    if chequer is not None:
        n = 20
        bw = (x2 - x1) // n
        for row, y in enumerate((345, 370)):
            for i in range(n):
                colour = chequer[(i + row) % 2]
                cv2.rectangle(img, (x1 + i * bw, y), (x1 + (i + 1) * bw - 1, y + 24), colour, -1)
    if bar is not None:
        cv2.rectangle(img, (x1 + 200, top), (x2 - 200, top + 16), bar, -1)
    return img, Box(x1, top - 5, x2, bottom + 20)


def rules() -> PoliceVehicleDetector:
    """The rules alone, without the learned head (which has its own tests below)."""
    return PoliceVehicleDetector(manifest=None)


def vehicle(box: Box, label: str = "vehicle: car") -> Finding:
    return Finding(Category.VEHICLE, label, 0.8, box, "coco", extra={"model_class": "car"})


def test_colour_classes_of_livery_colours() -> None:
    swatch = np.array([[YELLOW, BLUE, RED, WHITE, SILVER]], np.uint8)
    assert livery.colour_classes(swatch).tolist() == [
        [livery.HIVIS, livery.BLUE, livery.RED, livery.WHITE, livery.NONE]
    ]


def test_row_alternations_need_regular_blocks() -> None:
    regular = np.array(([1] * 6 + [2] * 6) * 4, np.uint8)
    assert livery.row_alternations(regular, (1, 2), 3) == 7
    one_change = np.array([1] * 24 + [2] * 24, np.uint8)
    assert livery.row_alternations(one_change, (1, 2), 3) == 1
    irregular = np.array([1] * 30 + [2] * 3 + [1] * 3 + [2] * 40 + [1] * 3, np.uint8)
    assert livery.row_alternations(irregular, (1, 2), 3) < livery.MIN_ALTERNATIONS
    gapped = np.array([1] * 6 + [0] * 10 + [2] * 6 + [0] * 10 + [1] * 6, np.uint8)
    assert livery.row_alternations(gapped, (1, 2), 3) == 0


def test_battenburg_car_with_light_bar_is_a_police_vehicle() -> None:
    img, box = draw_car(chequer=(YELLOW, BLUE), bar=BLUE)
    det = rules()
    assert isinstance(det, Detector)
    before = img.copy()
    found = det.detect(img, [vehicle(box)])
    assert np.array_equal(img, before)
    assert len(found) == 1
    f = found[0]
    assert f.category is Category.VEHICLE and f.box == box and f.detector == "police_vehicle"
    assert f.label.startswith("police vehicle: ")
    assert "chequered livery (yellow-green/blue)" in f.label and "light bar (blue)" in f.label
    assert f.score > 0.8


def test_sillitoe_blue_white_band_alone() -> None:
    img, box = draw_car(body=SILVER, chequer=(BLUE, WHITE))
    found = rules().detect(img, [vehicle(box)])
    assert [f.label for f in found] == ["police vehicle: chequered livery (blue/white)"]


def test_red_yellow_chequers_are_emergency_not_police() -> None:
    img, box = draw_car(chequer=(YELLOW, RED))
    found = rules().detect(img, [vehicle(box)])
    assert len(found) == 1 and found[0].label.startswith("emergency vehicle: chequered livery")
    assert "police" not in found[0].label


@pytest.mark.parametrize("body", [WHITE, SILVER, BLUE, RED, YELLOW])
def test_plain_cars_are_not_police(body: tuple[int, int, int]) -> None:
    img, box = draw_car(body=body)
    assert rules().detect(img, [vehicle(box)]) == []


def test_marking_and_imagenet_hint_on_the_vehicle() -> None:
    img, box = draw_car(body=SILVER)
    text = Finding(
        Category.TEXT, "text", 0.9, Box(300, 340, 420, 370), "text", extra={"text_class": "police_marking"}
    )
    far_text = Finding(
        Category.TEXT, "text", 0.9, Box(10, 10, 60, 30), "text", extra={"text_class": "police_marking"}
    )
    hint = Finding(
        Category.VEHICLE,
        "hint: police van (ImageNet)",
        0.3,
        box.padded(0.1, 800, 600),
        "hints",
        extra={"crop": "vehicle", "group": "police vehicle", "imagenet_class": "police van"},
    )
    found = rules().detect(img, [vehicle(box), text, far_text, hint])
    assert [f.label for f in found] == ["police vehicle: marking + ImageNet police van"]
    # the hint itself is not judged as another vehicle, and a far-away marking is not evidence
    assert rules().detect(img, [vehicle(box), far_text]) == []


def test_small_vehicles_skipped_and_combine() -> None:
    img, _ = draw_car(chequer=(YELLOW, BLUE))
    assert rules().detect(img, [vehicle(Box(150, 340, 180, 370))]) == []
    assert combine([]) == 0.0
    assert combine([Evidence("a", 0.5, 1.0, True), Evidence("b", 0.5, 1.0, True)]) == pytest.approx(0.75)


@pytest.mark.parametrize(("colour", "name"), [(BLUE, "blue"), (RED, "red")])
def test_light_bar_alone_on_a_plain_car(colour: tuple[int, int, int], name: str) -> None:
    img, box = draw_car(body=SILVER, bar=colour)
    found = rules().detect(img, [vehicle(box)])
    assert [f.label for f in found] == [f"police vehicle: light bar ({name})"]
    # the same colour painted over the whole car is no light bar
    img, box = draw_car(body=colour, bar=colour)
    assert rules().detect(img, [vehicle(box)]) == []


def _with_head(tmp_path: Path, data: dict[str, object], sha: str | None = None) -> PoliceVehicleDetector:
    return PoliceVehicleDetector(fake_heads.manifest_with(tmp_path, police_vehicle.HEAD_ENTRY, data, sha))


def test_learned_look_fires_at_its_threshold_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_heads.FakeBackbone()
    monkeypatch.setattr(backbone, "get_backbone", lambda: fake)
    # P(police) = sigmoid(12 * brightness - 6): the white drawn car ~0.9, a black one ~0.0
    det = _with_head(tmp_path, fake_heads.head(-6.0, threshold=0.6, w0=12.0))
    white, box = draw_car(WHITE)
    found = det.detect(white, [vehicle(box)])
    assert [f.label for f in found] == ["police vehicle: learned look"]
    assert found[0].box == box and found[0].extra["p_police_look"] >= 0.6
    h, w = white.shape[:2]
    pad = box.padded(police_vehicle.CROP_PAD, w, h)  # the crop is the padded box, as in training
    assert fake.seen == [(int(np.ceil(pad.y2)) - int(pad.y1), int(np.ceil(pad.x2)) - int(pad.x1))]
    black, box = draw_car((10, 10, 10))
    assert det.detect(black, [vehicle(box)]) == []  # below the head's threshold, and no rule fires
    # an explicit threshold overrides the head's own
    assert PoliceVehicleDetector(det.manifest, threshold=0.999).detect(white, [vehicle(box)]) == []


def test_learned_look_adds_to_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backbone, "get_backbone", fake_heads.FakeBackbone)
    img, box = draw_car(WHITE, chequer=(BLUE, WHITE))
    found = _with_head(tmp_path, fake_heads.head(-6.0, threshold=0.3, w0=12.0)).detect(img, [vehicle(box)])
    assert [f.label for f in found] == ["police vehicle: chequered livery (blue/white) + learned look"]
    alone = rules().detect(img, [vehicle(box)])
    assert found[0].score > alone[0].score


def test_a_head_that_does_not_match_the_manifest_is_refused(tmp_path: Path) -> None:
    det = _with_head(tmp_path, fake_heads.head(0.0), sha="0" * 64)
    with pytest.raises(model_manifest.WeightsIntegrityError):
        det.load()


@pytest.mark.slow
def test_shipped_head_loads_and_judges_drawn_cars() -> None:
    det = police_vehicle.create()
    det.load()
    assert 0.0 < det.threshold < 1.0
    assert "police_vehicle_head.json" in det.info.model
    plain, box = draw_car(SILVER)
    chequered, _ = draw_car(WHITE, chequer=(YELLOW, BLUE), bar=BLUE)
    p_plain, p_police = det.looks(plain, [box]) + det.looks(chequered, [box])
    assert 0.0 <= p_plain <= 1.0 and 0.0 <= p_police <= 1.0
