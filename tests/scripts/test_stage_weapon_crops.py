"""scripts/stage_weapon_crops.py: which candidate boxes become weapon or false-alarm crops, one copy of
each augmented photo, label files in both layouts, the guard, and resuming by set."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from sharesafe.types import Box, Category, Finding
from tests.scripts.load_script import load_script


@pytest.fixture(scope="module")
def stager() -> Any:
    return load_script("stage_weapon_crops")


def test_a_candidate_on_a_labelled_weapon_is_a_weapon_and_elsewhere_is_not_used(stager: Any) -> None:
    gun = Box(100, 100, 200, 160)
    assert stager.label_candidate(Box(95, 98, 205, 170), [gun]) == "weapon"
    assert stager.label_candidate(Box(0, 0, 400, 400), [gun]) == "weapon"  # holds all of it
    assert stager.label_candidate(Box(300, 300, 360, 340), [gun]) is None  # maybe an unlabelled weapon
    assert stager.label_candidate(Box(300, 300, 360, 340), []) == "other"  # a weapon-free photo


def test_one_copy_per_roboflow_photo_and_both_label_layouts(stager: Any, tmp_path: Path) -> None:
    names = ["a_jpg.rf.2.jpg", "a_jpg.rf.1.jpg", "b_jpg.rf.9.jpg", "plain.jpg"]
    picked = stager.one_per_photo(tmp_path / n for n in names)
    assert [p.name for p in picked] == ["a_jpg.rf.1.jpg", "b_jpg.rf.9.jpg", "plain.jpg"]
    assert stager.label_path(Path("/d/set/images/train/x.jpg")) == Path("/d/set/labels/train/x.txt")
    assert stager.label_path(Path("/d/train/images/x.jpg")) == Path("/d/train/labels/x.txt")


def test_truths_keep_only_the_weapon_classes(stager: Any, tmp_path: Path) -> None:
    label = tmp_path / "x.txt"
    label.write_text("0 0.5 0.5 0.2 0.1\n1 0.25 0.25 0.1 0.1\n\n")
    (gun,) = stager.read_truths(label, 200, 100, {0})
    assert (gun.x1, gun.y1, gun.x2) == (80, 45, 120) and gun.y2 in (55, 56)  # float edges round outwards
    assert len(stager.read_truths(label, 200, 100, None)) == 2
    assert stager.read_truths(tmp_path / "none.txt", 200, 100, None) == []


def test_staging_writes_labelled_crops_skips_guarded_photos_and_resumes(
    stager: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    labelled = tmp_path / "guns" / "images" / "train"
    free = tmp_path / "free"
    for folder in (labelled, free, tmp_path / "guns" / "labels" / "train"):
        folder.mkdir(parents=True)
    for i, folder in enumerate((labelled, labelled, free)):
        Image.fromarray(rng.integers(0, 255, (100, 200, 3), dtype=np.uint8)).save(folder / f"p{i}.jpg")
    (tmp_path / "guns" / "labels" / "train" / "p0.txt").write_text("0 0.25 0.5 0.2 0.4\n")
    # p1 has no label file: not used. A guarded copy of p2 keeps it out.
    guarded = tmp_path / "guarded"
    guarded.mkdir()
    (guarded / "same.jpg").write_bytes((free / "p2.jpg").read_bytes())

    class FakePersons:
        name, categories = "persons", frozenset({Category.PERSON})

        def load(self) -> None:
            pass

        def detect(self, image: np.ndarray, context: Any = ()) -> list[Finding]:
            return []

    class FakeDetector:
        name, categories = "objects", frozenset({Category.WEAPON})

        def load(self) -> None:
            pass

        def detect(self, image: np.ndarray, context: Any = ()) -> list[Finding]:
            return [
                Finding(Category.WEAPON, "firearm", 0.3, Box(28, 28, 72, 72), "objects"),  # on the gun
                Finding(Category.WEAPON, "knife", 0.2, Box(150, 10, 190, 60), "objects"),  # unlabelled
            ]

    from detectors import objects, registry

    monkeypatch.setattr(registry, "build", lambda names: [FakePersons()])
    monkeypatch.setattr(objects, "make", lambda **kw: FakeDetector())
    out = tmp_path / "out"
    args = ["--out", str(out), "--yolo", f"guns={labelled}:0", "--photos", f"free={free}"]
    assert stager.main([*args, "--guard", str(guarded)]) == 0
    rows = list(csv.DictReader((out / "crops.csv").open()))
    # p0: the candidate on the gun and the gun itself; the unlabelled knife box is left out
    assert [(r["set"], r["label"]) for r in rows] == [("guns", "weapon"), ("guns", "weapon")]
    assert all((out / r["crop"]).is_file() for r in rows)
    assert stager.main(args) == 0  # guns already staged; free now staged (no guard this time)
    rows = list(csv.DictReader((out / "crops.csv").open()))
    assert sorted(r["label"] for r in rows if r["set"] == "free") == ["other", "other"]
    assert len(rows) == 4
