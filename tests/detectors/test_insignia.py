"""`insignia` on drawn people: a shoulder patch and a chest star on a uniform are found; a plain uniform,
a person nobody called uniformed, a hi-vis vest alone and a mark on a face are not."""

from __future__ import annotations

import cv2
import numpy as np

from detectors import insignia, registry
from sharesafe.types import Box, Category, Finding

NAVY = (25, 35, 70)


def draw_person(patch: bool = True, star: bool = True) -> tuple[np.ndarray, Box, Box, Box]:
    """A standing person in a navy uniform on a grey-green ground; returns the photo, the person's box,
    and where the shoulder patch and the chest star are drawn."""
    img = np.full((600, 500, 3), 150, np.uint8)
    img[:, :, 1] = 160
    x1, x2, top = 150, 350, 80
    cv2.circle(img, (250, top + 45), 42, (205, 160, 130), -1)  # head
    cv2.rectangle(img, (x1 + 20, top + 85), (x2 - 20, 420), NAVY, -1)  # torso
    cv2.rectangle(img, (x1 - 10, top + 95), (x1 + 25, 330), NAVY, -1)  # arms
    cv2.rectangle(img, (x2 - 25, top + 95), (x2 + 10, 330), NAVY, -1)
    cv2.rectangle(img, (x1 + 20, 420), (x2 - 20, 560), (30, 30, 35), -1)  # trousers
    if patch:  # a yellow shield with a red ring and a dark stroke
        cv2.ellipse(img, (x1 + 8, top + 150), (16, 22), 0, 0, 360, (230, 190, 30), -1)
        cv2.circle(img, (x1 + 8, top + 150), 10, (200, 30, 30), 2)
        cv2.line(img, (x1 + 2, top + 145), (x1 + 14, top + 156), (20, 20, 20), 2)
    if star:  # a silver five-pointed star
        angles = [np.pi / 2 + i * np.pi / 5 for i in range(10)]
        pts = [
            (
                int(285 + (16 if i % 2 == 0 else 7) * np.cos(a)),
                int(215 - (16 if i % 2 == 0 else 7) * np.sin(a)),
            )
            for i, a in enumerate(angles)
        ]
        cv2.fillPoly(img, [np.array(pts)], (215, 215, 220))
    return (
        img,
        Box(x1 - 15, top, x2 + 15, 565),
        Box(x1 - 8, top + 128, x1 + 24, top + 172),
        Box(269, 199, 301, 231),
    )


def _context(box: Box, uniform_by: str = "hints") -> list[Finding]:
    return [
        Finding(Category.PERSON, "person", 0.9, box, "persons"),
        Finding(Category.UNIFORM, "uniform", 0.4, box, uniform_by),
    ]


def _covers(found: list[Finding], target: Box) -> bool:
    return any(f.box.intersection(target) >= 0.9 * target.area for f in found)


def test_patch_and_star_on_a_uniform_are_insignia() -> None:
    img, person, patch, star = draw_person()
    found = insignia.create().detect(img, _context(person))
    assert len(found) == 2
    assert _covers(found, patch) and _covers(found, star)
    assert {f.category for f in found} == {Category.BADGE}
    assert all(f.label == "insignia: badge or patch on a uniform" for f in found)


def test_plain_uniform_has_no_insignia() -> None:
    img, person, _, _ = draw_person(patch=False, star=False)
    assert insignia.create().detect(img, _context(person)) == []


def test_only_people_someone_called_uniformed_are_looked_at() -> None:
    img, person, _, _ = draw_person()
    assert insignia.create().detect(img, _context(person)[:1]) == []
    # a hi-vis vest (the objects model) alone is not a uniform
    assert insignia.create().detect(img, _context(person, uniform_by="objects")) == []


def test_a_mark_inside_a_face_or_weapon_box_is_not_insignia() -> None:
    img, person, patch, star = draw_person()
    gun = Finding(
        Category.WEAPON, "firearm", 0.6, Box(star.x1 - 5, star.y1 - 5, star.x2 + 5, star.y2 + 5), "objects"
    )
    found = insignia.create().detect(img, [*_context(person), gun])
    assert _covers(found, patch) and not _covers(found, star)


def test_listed_but_not_in_the_default_scan() -> None:
    assert "insignia" in registry.names()
    assert "insignia" not in registry.names(default_only=True)
