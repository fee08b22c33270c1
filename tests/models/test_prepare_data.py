"""models/prepare_data.py: near-duplicate removal and class maps; models/stage_git_set.py: copy selection."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))

import prepare_data
import stage_git_set


def _photo(path: Path, seed: int, shift: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (12, 16), dtype=np.uint8).repeat(20, 0).repeat(20, 1)
    arr = np.roll(base, shift, axis=1)
    Image.fromarray(np.stack([arr] * 3, -1)).save(path, quality=90)
    return path


def test_dhash_is_stable_under_recompression_and_differs_between_photos(tmp_path: Path) -> None:
    a = prepare_data.dhash(_photo(tmp_path / "a.jpg", 1))
    a2 = prepare_data.dhash(_photo(tmp_path / "a2.jpg", 1, shift=2))
    b = prepare_data.dhash(_photo(tmp_path / "b.jpg", 2))
    assert a is not None and a2 is not None and b is not None
    assert prepare_data.near([a2], [a], 6) == [True]
    assert prepare_data.near([b], [a], 6) == [False]
    assert prepare_data.near([a], [], 6) == [False]
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    assert prepare_data.dhash(tmp_path / "broken.jpg") is None


def _staged(root: Path, name: str, seeds: dict[str, list[int]], label: str) -> None:
    for split, ss in seeds.items():
        (root / name / "images" / split).mkdir(parents=True)
        (root / name / "labels" / split).mkdir(parents=True)
        for s in ss:
            _photo(root / name / "images" / split / f"p{s}.jpg", s)
            (root / name / "labels" / split / f"p{s}.txt").write_text(label)
    (root / name / "SOURCE.json").write_text(json.dumps({"source_repo": "r", "commit": "c", "licence": "l"}))


def test_convert_drops_val_near_copies_and_guarded_images_and_maps_classes(tmp_path: Path) -> None:
    src, out, guard = tmp_path / "src", tmp_path / "out", tmp_path / "guard"
    _staged(src, "pistol_longgun_cctv", {"train": [1, 2, 3], "val": [1, 4]}, "1 0.5 0.5 0.2 0.2\n")
    _staged(src, "hivis_vest_helmet", {"train": [5], "val": [6]}, "0 0.5 0.5 0.2 0.2\n1 0.4 0.4 0.1 0.1\n")
    guard.mkdir()
    _photo(guard / "eval.jpg", 3)  # an evaluation photo that also sits in a training set
    summary = prepare_data.convert([src], out, {}, {"hivis_vest_helmet": 2}, 0, 6, [guard])
    dropped = summary["dropped_near_duplicates"]
    assert dropped["pistol_longgun_cctv"] == {"train": 1, "val": 1}  # p3 (guard) and val p1 (= train p1)
    val = (out / "val.txt").read_text().split()
    assert not any(v.endswith("pistol_longgun_cctv__p1.jpg") for v in val) and len(val) == 2
    train = (out / "train.txt").read_text().split()
    assert sum(t.endswith("hivis_vest_helmet__p5.jpg") for t in train) == 2  # repeated
    assert (out / "labels" / "train" / "pistol_longgun_cctv__p1.txt").read_text().startswith("0 ")  # long gun
    assert (out / "labels" / "train" / "hivis_vest_helmet__p5.txt").read_text() == "2 0.4 0.4 0.1 0.1\n"


def test_premapped_flat_set_splits_by_its_csv_and_keeps_our_ids(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    knives = src / "knives_x"
    (knives / "images").mkdir(parents=True)
    (knives / "labels").mkdir()
    rows = ["file,upstream_split"]
    for s, split in ((11, "train"), (12, "train"), (13, "valid")):
        _photo(knives / "images" / f"k{s}.jpg", s)
        (knives / "labels" / f"k{s}.txt").write_text("1 0.5 0.5 0.3 0.3\n")
        rows.append(f"k{s}.jpg,{split}")
    (knives / "split.csv").write_text("\n".join(rows) + "\n")
    (knives / "SOURCE.json").write_text(
        json.dumps({"repo": "r", "commit": "c", "licence": "l", "premapped": True})
    )
    (src / "not_a_set").mkdir()  # no SOURCE.json: ignored
    summary = prepare_data.convert([src], out, {}, {}, 0, 6)
    assert summary["counts"]["knives_x"]["train"]["images"] == 2
    assert summary["counts"]["knives_x"]["val"] == {"images": 1, "background": 0, "knife": 1}
    assert (out / "labels" / "val" / "knives_x__k13.txt").read_text() == "1 0.5 0.5 0.3 0.3\n"
    assert summary["sources"][0]["repo"] == "r"


def test_convert_refuses_a_missing_set(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        prepare_data.convert([tmp_path], tmp_path / "o", {"gun_single_class": 5}, {}, 0, 6)


def test_one_copy_per_roboflow_source_and_video_frames_capped() -> None:
    paths = [f"train/images/gun{i}_jpg.rf.{h}.jpg" for i in range(3) for h in ("aa", "bb", "cc")]
    frames = [f"train/images/clip-opencv0-00-{i:02d}-01_jpg.rf.ab.jpg" for i in range(10)]
    kept = stage_git_set.select(paths + frames, max_per_video=4)
    assert sum("gun" in k for k in kept) == 3
    assert sum("clip" in k for k in kept) == 4
    assert stage_git_set.source_key("x-1_jpg.rf.0123abcd") == "x-1"
    assert stage_git_set.video_key("clip-opencv0-00-01-01") == "clip-opencv0"
