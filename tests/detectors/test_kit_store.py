"""Kit folder validation and the teach API (no model needed)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detectors.kit import KitError, add_reference, load_kit, validate_kit
from detectors.kit.synthetic import make_crest
from sharesafe.types import Box


def _save(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def test_valid_kit_lists_references(tmp_path: Path) -> None:
    crest, _ = make_crest(1, 128)
    _save(tmp_path / "badge" / "crest" / "a.png", crest)
    _save(tmp_path / "uniform" / "patrol" / "b.jpg", np.full((80, 60, 3), 90, np.uint8))
    kit = load_kit(tmp_path)
    assert sorted((r.category, r.name) for r in kit.references) == [("badge", "crest"), ("uniform", "patrol")]
    assert kit.problems == []
    assert validate_kit(tmp_path) == []


def test_unknown_category_unreadable_and_small_are_reported(tmp_path: Path) -> None:
    crest, _ = make_crest(2, 128)
    _save(tmp_path / "badge" / "ok" / "a.png", crest)
    _save(tmp_path / "helmets" / "x" / "a.png", crest)
    (tmp_path / "badge" / "broken").mkdir(parents=True)
    (tmp_path / "badge" / "broken" / "bad.jpg").write_bytes(b"not a jpeg at all")
    _save(tmp_path / "vehicle" / "tiny" / "t.png", np.zeros((10, 200, 3), np.uint8))
    (tmp_path / "badge" / "ok" / "notes.txt").write_text("hello")
    with pytest.raises(KitError) as err:
        load_kit(tmp_path)
    msg = str(err.value)
    assert "unknown category 'helmets'" in msg
    assert "bad.jpg: unreadable image" in msg
    assert "t.png: reference too small to match" in msg
    assert "notes.txt: not a .jpg or .png" in msg
    lenient = load_kit(tmp_path, strict=False)
    assert [r.name for r in lenient.references] == ["ok"]
    assert len(lenient.problems) == 4
    assert len(validate_kit(tmp_path)) == 4


def test_missing_kit_folder(tmp_path: Path) -> None:
    with pytest.raises(KitError, match="not found"):
        load_kit(tmp_path / "nope")


def test_add_reference_writes_the_crop(tmp_path: Path) -> None:
    img = np.zeros((200, 300, 3), np.uint8)
    img[50:150, 100:220] = (10, 200, 30)
    path = add_reference(tmp_path, "badge", "North crest", img, Box(100, 50, 220, 150))
    assert path.parent == tmp_path / "badge" / "North crest"
    saved = np.asarray(Image.open(path).convert("RGB"))
    assert saved.shape == (100, 120, 3)
    assert (saved == (10, 200, 30)).all()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp file left
    kit = load_kit(tmp_path)
    assert [(r.category, r.name) for r in kit.references] == [("badge", "North crest")]


@pytest.mark.parametrize(
    ("category", "name", "box", "message"),
    [
        ("hat", "x", None, "unknown category"),
        ("badge", "../escape", None, "not usable"),
        ("badge", "", None, "not usable"),
        ("badge", "ok", Box(0, 0, 20, 20), "too small"),
    ],
)
def test_add_reference_rejects(
    tmp_path: Path, category: str, name: str, box: Box | None, message: str
) -> None:
    with pytest.raises(KitError, match=message):
        add_reference(tmp_path, category, name, np.zeros((100, 100, 3), np.uint8), box)
    assert not (tmp_path / "escape").exists()


def test_cache_key_changes_with_the_file(tmp_path: Path) -> None:
    crest, _ = make_crest(3, 128)
    path = _save(tmp_path / "badge" / "c" / "a.png", crest)
    key1 = load_kit(tmp_path).references[0].cache_key
    assert load_kit(tmp_path).references[0].cache_key == key1
    _save(path, make_crest(4, 128)[0])
    os.utime(path, ns=(1, 1))
    key2 = load_kit(tmp_path).references[0].cache_key
    assert key2 != key1
