"""scripts/stage_uniform_crops.py: the guard keeps evaluation photos (and near copies) out of training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.scripts.load_script import load_script


def _photo(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(small).resize((160, 120), Image.Resampling.BILINEAR).save(path, quality=95)
    return path


def _row(source: Path, label: str) -> dict[str, str]:
    return {"set": "s", "crop": f"crops/s/{source.stem}.jpg", "source": str(source), "x1": "0", "y1": "0",
            "x2": "10", "y2": "10", "label": label}  # fmt: skip


def test_guard_marks_crops_of_a_photo_near_an_evaluation_photo_skip(tmp_path: Path) -> None:
    stager = load_script("stage_uniform_crops")
    from crop_head import read_crops, write_crops

    photos, evaluation = tmp_path / "photos", tmp_path / "eval"
    photos.mkdir(), evaluation.mkdir()
    seen = _photo(photos / "seen.jpg", 1)
    other = _photo(photos / "other.jpg", 2)
    Image.open(seen).resize((320, 240)).save(evaluation / "copy.png")  # the same photo, rescaled
    data = tmp_path / "data"
    write_crops(data, [_row(seen, "uniform"), _row(seen, "civilian"), _row(other, "uniform")])

    stager.main(["guard", "--out", str(data), "--folder", str(evaluation)])

    assert [r["label"] for r in read_crops(data)] == ["skip", "skip", "uniform"]
