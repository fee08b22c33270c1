"""Police vehicle judged per vehicle box: livery, light bar, markings and ImageNet hints, on drawn cars."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detectors import livery
from detectors.police_vehicle import Evidence, PoliceVehicleDetector, combine
from sharesafe.detector import Detector
from sharesafe.types import Box, Category, Finding

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
    det = PoliceVehicleDetector()
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
    found = PoliceVehicleDetector().detect(img, [vehicle(box)])
    assert [f.label for f in found] == ["police vehicle: chequered livery (blue/white)"]


def test_red_yellow_chequers_are_emergency_not_police() -> None:
    img, box = draw_car(chequer=(YELLOW, RED))
    found = PoliceVehicleDetector().detect(img, [vehicle(box)])
    assert len(found) == 1 and found[0].label.startswith("emergency vehicle: chequered livery")
    assert "police" not in found[0].label


@pytest.mark.parametrize("body", [WHITE, SILVER, BLUE, RED, YELLOW])
def test_plain_cars_are_not_police(body: tuple[int, int, int]) -> None:
    img, box = draw_car(body=body)
    assert PoliceVehicleDetector().detect(img, [vehicle(box)]) == []


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
    found = PoliceVehicleDetector().detect(img, [vehicle(box), text, far_text, hint])
    assert [f.label for f in found] == ["police vehicle: marking + ImageNet police van"]
    # the hint itself is not judged as another vehicle, and a far-away marking is not evidence
    assert PoliceVehicleDetector().detect(img, [vehicle(box), far_text]) == []


def test_small_vehicles_skipped_and_combine() -> None:
    img, _ = draw_car(chequer=(YELLOW, BLUE))
    assert PoliceVehicleDetector().detect(img, [vehicle(Box(150, 340, 180, 370))]) == []
    assert combine([]) == 0.0
    assert combine([Evidence("a", 0.5, 1.0, True), Evidence("b", 0.5, 1.0, True)]) == pytest.approx(0.75)


@pytest.mark.parametrize(("colour", "name"), [(BLUE, "blue"), (RED, "red")])
def test_light_bar_alone_on_a_plain_car(colour: tuple[int, int, int], name: str) -> None:
    img, box = draw_car(body=SILVER, bar=colour)
    found = PoliceVehicleDetector().detect(img, [vehicle(box)])
    assert [f.label for f in found] == [f"police vehicle: light bar ({name})"]
    # the same colour painted over the whole car is no light bar
    img, box = draw_car(body=colour, bar=colour)
    assert PoliceVehicleDetector().detect(img, [vehicle(box)]) == []
