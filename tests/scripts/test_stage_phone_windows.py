"""scripts/stage_phone_windows.py: which windows become phone or other crops, photos without a phone label,
the fallback to the whole photo, and resuming by set."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from sharesafe.types import Box
from tests.scripts.load_script import load_script


@pytest.fixture(scope="module")
def stager() -> Any:
    return load_script("stage_phone_windows")


def test_a_window_filled_by_a_phone_is_a_phone_one_cutting_it_is_not_used(stager: Any) -> None:
    phone = Box(100, 100, 140, 160)
    assert stager.label_window(Box(80, 80, 180, 180), [phone]) == "phone"
    assert stager.label_window(Box(0, 0, 1000, 1000), [phone]) is None  # holds it, but it is a speck there
    assert stager.label_window(Box(120, 100, 220, 200), [phone]) is None  # cuts it in half
    assert stager.label_window(Box(300, 300, 400, 400), [phone]) == "other"
    assert stager.label_window(Box(300, 300, 400, 400), []) == "other"  # a phone-free photo


def test_staging_labels_windows_skips_unlabelled_photos_and_resumes(
    stager: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detectors import held_phones

    src = tmp_path / "set" / "images"
    (tmp_path / "set" / "labels").mkdir(parents=True)
    src.mkdir()
    for name in ("a", "b"):
        Image.fromarray(np.full((200, 200, 3), 90 if name == "a" else 160, np.uint8)).save(
            src / f"{name}.jpg"
        )
    (tmp_path / "set" / "labels" / "a.txt").write_text("0 0.5 0.3 0.1 0.1\n")  # a phone at (90..110, 50..70)
    free = tmp_path / "free"
    free.mkdir()
    Image.fromarray(np.full((100, 150, 3), 30, np.uint8)).save(free / "c.jpg")
    monkeypatch.setattr(
        held_phones, "people_of", lambda px: [] if px.shape[0] == 100 else [(50.0, 0.0, 150.0, 200.0)]
    )
    out = tmp_path / "out"
    args = [
        "--out",
        str(out),
        "--yolo",
        f"phones={src}:0",
        "--photos",
        f"free={free}",
        "--negatives",
        "free=3",
    ]
    assert stager.main(args) == 0
    rows = list(csv.DictReader((out / "crops.csv").open()))
    by = {(r["set"], r["label"]) for r in rows}
    assert ("phones", "phone") in by and ("free", "other") in by
    assert not any(r["source"] == "phones:b" for r in rows)  # no phone label: not used
    free_rows = [r for r in rows if r["set"] == "free"]
    assert len(free_rows) == 3  # nobody seen: windows over the whole photo, 3 kept
    assert all((out / r["crop"]).is_file() for r in rows)
    assert stager.main(args) == 0  # both sets staged already: nothing added
    assert len(list(csv.DictReader((out / "crops.csv").open()))) == len(rows)
