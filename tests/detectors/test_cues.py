"""Text-anchored and hi-vis cues from fake context findings (no model)."""

from __future__ import annotations

import numpy as np

from detectors.cues import CuesDetector
from sharesafe.types import Box, Category, Finding

IMG = np.zeros((600, 800, 3), np.uint8)


def _text(box: Box, text: str, cls: str = "police_marking", score: float = 0.9) -> Finding:
    return Finding(Category.TEXT, f"text: {cls}", score, box, "text", detail=text, extra={"text_class": cls})


PERSON = Finding(Category.PERSON, "person", 0.8, Box(100, 100, 250, 500), "persons")
VAN = Finding(Category.VEHICLE, "van", 0.7, Box(400, 300, 780, 560), "objects")


def test_marking_on_person_is_a_uniform() -> None:
    out = CuesDetector().detect(IMG, [PERSON, VAN, _text(Box(130, 200, 220, 230), "POLICE")])
    assert [(f.category, f.box) for f in out] == [(Category.UNIFORM, PERSON.box)]
    assert 0 < out[0].score <= 0.9 * 0.8
    assert out[0].detector == "cues"


def test_marking_on_vehicle_is_a_police_vehicle() -> None:
    out = CuesDetector().detect(IMG, [PERSON, VAN, _text(Box(450, 350, 600, 400), "POLIZEI")])
    assert [(f.category, f.box) for f in out] == [(Category.VEHICLE, VAN.box)]
    assert "police vehicle" in out[0].label


def test_marking_on_a_wall_is_weak_premises() -> None:
    t = _text(Box(300, 20, 380, 50), "POLICE")
    out = CuesDetector().detect(IMG, [PERSON, VAN, t])
    assert len(out) == 1 and out[0].category is Category.PREMISES
    assert out[0].box.area > t.box.area and out[0].box.intersection(t.box) == t.box.area
    assert out[0].score < 0.5


def test_station_signage_is_premises_even_as_other_text() -> None:
    for sign in (
        "POLICE STATION",
        "Sp Office",
        "9th BATTALION",
        "Kotwali THANA",
        "POLICE OUTPOST",
        "POLICE RESERVE",
    ):
        out = CuesDetector().detect(IMG, [_text(Box(300, 20, 500, 60), sign, cls="other")])
        assert [f.category for f in out] == [Category.PREMISES], sign
        assert out[0].score > 0.7


def test_plain_text_gives_nothing() -> None:
    ctx = [PERSON, _text(Box(130, 200, 220, 230), "JOHN'S CAFE", cls="other")]
    assert CuesDetector().detect(IMG, ctx) == []


def test_a_vest_on_a_person_is_left_to_the_objects_detector() -> None:
    """One rule for "a vest worn by a person": the objects detector's (it finds the vests)."""
    vest = Finding(Category.UNIFORM, "hi-vis vest", 0.7, Box(120, 180, 230, 330), "objects")
    assert CuesDetector().detect(IMG, [PERSON, vest]) == []


def test_ignores_empty_context() -> None:
    assert CuesDetector().detect(IMG) == []
