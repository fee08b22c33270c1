"""Uniform / vehicle / premises references through the embedding path on generated scenes (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors.kit import KitDetector, add_reference
from detectors.kit import synthetic as syn
from sharesafe.types import Box, Category, Finding

pytestmark = pytest.mark.slow


def _kit(tmp_path: Path, kind: str, draw, size: tuple[int, int], seeds=(1, 2)) -> Path:  # type: ignore[no-untyped-def]
    w, h = size
    for s in seeds:
        canvas = syn.random_background(100 + s, 640, 480)
        draw(canvas, (80, 40, 80 + w, 40 + h), s)
        add_reference(tmp_path, kind, f"{kind}-{s}", canvas, Box(80, 40, 80 + w, 40 + h))
    return tmp_path


def _scene(draw, seed: int, livery: int, box: tuple[int, int, int, int]) -> np.ndarray:  # type: ignore[no-untyped-def]
    canvas = syn.random_background(500 + seed, 960, 720)
    draw(canvas, box, livery)
    return syn.degrade(canvas, np.random.default_rng(seed), 0.5, 3.0, 85)


def test_uniform_on_person_box(tmp_path: Path) -> None:
    det = KitDetector(_kit(tmp_path, "uniform", syn.draw_figure, (120, 360)), disk_cache=False)
    box = (300, 250, 400, 550)  # smaller than the reference, elsewhere, new background
    scene = _scene(syn.draw_figure, 1, 2, box)
    person = Finding(Category.PERSON, "person", 0.9, Box(*box), "persons")
    found = det.detect(scene, [person])
    assert [(f.category, f.label, f.box) for f in found] == [
        (Category.UNIFORM, "kit uniform: uniform-2", Box(*box))
    ]
    assert found[0].extra["method"] == "embedding"
    # A person box on a scene without that uniform: nothing.
    empty = syn.degrade(syn.random_background(77, 960, 720), np.random.default_rng(0), 0.5, 3.0, 85)
    assert det.detect(empty, [person]) == []
    # No person boxes in context: the uniform path has nothing to look at.
    assert det.detect(scene) == []


def test_vehicle_on_vehicle_box(tmp_path: Path) -> None:
    det = KitDetector(_kit(tmp_path, "vehicle", syn.draw_vehicle, (400, 200)), disk_cache=False)
    box = (420, 400, 900, 640)
    scene = _scene(syn.draw_vehicle, 2, 1, box)
    van = Finding(Category.VEHICLE, "van", 0.8, Box(*box), "objects")
    found = det.detect(scene, [van])
    assert [(f.category, f.label) for f in found] == [(Category.VEHICLE, "kit vehicle: vehicle-1")]


def test_premises_windows(tmp_path: Path) -> None:
    det = KitDetector(_kit(tmp_path, "premises", syn.draw_building, (360, 300)), disk_cache=False)
    scene = _scene(syn.draw_building, 3, 2, (480, 330, 900, 690))
    found = det.detect(scene)
    assert found and all(f.category is Category.PREMISES for f in found)
    assert {f.label for f in found} == {"kit premises: premises-2"}
    # The best window overlaps the building.
    best = max(found, key=lambda f: f.score)
    assert best.box.intersection(Box(480, 330, 900, 690)) > 0
    empty = syn.degrade(syn.random_background(78, 960, 720), np.random.default_rng(0), 0.5, 3.0, 85)
    assert [f for f in det.detect(empty) if f.extra.get("method") == "embedding"] == []
