"""scripts/stage_vehicle_crops.py: one copy of each augmented photo (the least blacked-out), the guard that
keeps independent test images out, the crops and their labels, and relabelling by eye."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from tests.scripts.load_script import load_script


def _jpeg(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def _photo(seed: int) -> np.ndarray:
    """A 200x300 photo with a textured 'vehicle' in the left half and a plainer one on the right."""
    rng = np.random.default_rng(seed)
    img = np.full((200, 300, 3), 120, np.uint8)
    img[40:160, 20:140] = rng.integers(60, 250, (120, 120, 3), dtype=np.uint8)
    img[60:150, 170:280] = (200, 200, 60)
    return img


def _repo(path: Path, files: dict[str, bytes]) -> str:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "data"],
        check=True,
    )
    return subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "crops.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_yolo_set_one_clean_copy_a_photo_guarded_photos_left_out(tmp_path: Path) -> None:
    stager = load_script("stage_vehicle_crops")
    a = _photo(1)
    cut = a.copy()
    cut[30:170, 10:150] = 0  # a cutout augmentation over the left vehicle
    b = np.ascontiguousarray(_photo(2)[:, ::-1])  # another layout: mirrored, with a gradient
    b[:, :150] = np.linspace(0, 255, 150, dtype=np.uint8)[None, :, None]
    labels = "0 0.2667 0.5 0.4 0.6\n3 0.75 0.525 0.3667 0.45\n1 0.5 0.5 0.1 0.1\n"
    commit = _repo(
        tmp_path / "set",
        {
            "datasets/train/images/a_jpg.rf.x1.jpg": _jpeg(cut),
            "datasets/train/labels/a_jpg.rf.x1.txt": labels.encode(),
            "datasets/valid/images/a_jpg.rf.x2.jpg": _jpeg(a),
            "datasets/valid/labels/a_jpg.rf.x2.txt": labels.encode(),
            "datasets/train/images/b.jpg": _jpeg(b),
            "datasets/train/labels/b.txt": labels.encode(),
        },
    )
    _repo(tmp_path / "guard", {"test/b_copy.jpg": _jpeg(b)})
    out = tmp_path / "crops"
    argv = ["yolo", "--git-dir", str(tmp_path / "set"), "--repo", "o/n", "--commit", commit]
    argv += ["--folder", "datasets/train", "--folder", "datasets/valid", "--police", "0", "--civilian", "3"]
    argv += ["--set", "rf", "--guard-git", str(tmp_path / "guard"), "--out", str(out)]
    assert stager.main(argv) == 0
    rows = _rows(out)
    # b is an independent test image: left out; a's two copies give one photo, its clean copy
    assert sorted(r["label"] for r in rows) == ["civilian", "police"]
    assert {r["source"] for r in rows} == {"rf:a_jpg"}
    police = next(r for r in rows if r["label"] == "police")
    crop = np.asarray(Image.open(out / police["crop"]))
    assert crop.mean() > 60  # cut from the clean copy, not the blacked-out one
    assert int(police["x1"]) < 20 < 140 < int(police["x2"])  # padded around the box

    listing = tmp_path / "seen.txt"
    listing.write_text(f"7\t{police['crop']}\n")
    assert stager.main(["relabel", "--out", str(out), "--list", str(listing), "--label", "civilian"]) == 0
    assert [r["label"] for r in _rows(out)] == ["civilian", "civilian"]


def test_padded_boxes_stay_inside_the_photo() -> None:
    stager = load_script("stage_vehicle_crops")
    assert stager.padded((0.0, 10.0, 100.0, 60.0), 105, 200) == (0, 5, 105, 65)
