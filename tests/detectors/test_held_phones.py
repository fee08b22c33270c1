"""`held_phones`: the windows it looks at over a person, the detector path with a fake backbone and head,
and the shipped head's manifest check."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from detectors import backbone, coco, held_phones, model_manifest
from sharesafe.types import Box, Category
from tests.detectors import fake_heads


class _NoModel:
    def load(self) -> None:
        pass


def _manifest(tmp_path: Path, head: dict[str, object], sha: str | None = None) -> Path:
    return fake_heads.manifest_with(tmp_path, held_phones.ENTRY, head, sha)


def test_windows_tile_the_upper_part_of_a_standing_person() -> None:
    person = (100.0, 40.0, 260.0, 360.0)  # 160 x 320
    wins = held_phones.hand_windows(person, 600, 400)
    sides = sorted({round(x2 - x1) for x1, _, x2, _ in wins})
    assert sides == [96, 160]  # 0.3 and 0.5 of the longer side
    for x1, y1, x2, y2 in wins:
        assert x1 >= 100 and x2 <= 260  # across the person
        assert y1 >= 40 and y2 <= 40 + 320 * held_phones.UPPER_SHARE + 1e-6  # not at the feet
    # neighbours half a window apart or closer, so a hand is whole in one of them
    tops = sorted({round(y1) for x1, y1, x2, _ in wins if round(x2 - x1) == 96})
    assert all(b - a <= 48 for a, b in itertools.pairwise(tops))


def test_a_close_up_drops_the_smaller_windows_and_windows_stay_in_the_photo() -> None:
    # a person filling the photo: 6 x 5 windows of 0.3 would be too many, so only the 0.5 ones (3 x 3)
    wins = held_phones.hand_windows((0.0, 0.0, 1000.0, 1000.0), 1000, 1000)
    assert len(wins) == 9 and {round(x2 - x1) for x1, _, x2, _ in wins} == {500}
    wide = held_phones.hand_windows((-50.0, 0.0, 1050.0, 400.0), 1000, 400)  # a box past the photo's edges
    assert len(wide) <= held_phones.MAX_WINDOWS
    assert all(0 <= x1 < x2 <= 1000 and 0 <= y1 < y2 <= 400 for x1, y1, x2, y2 in wide)
    tiny = held_phones.hand_windows((10.0, 10.0, 30.0, 50.0), 640, 480)  # never under MIN_SIDE
    assert tiny and all(x2 - x1 >= held_phones.MIN_SIDE - 1e-6 for x1, _, x2, _ in tiny)


def _detector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, people: list[tuple[float, ...]]):
    fake = fake_heads.FakeBackbone()
    monkeypatch.setattr(backbone, "get_backbone", lambda: fake)
    monkeypatch.setattr(coco, "shared_model", lambda: _NoModel())
    monkeypatch.setattr(held_phones, "people_of", lambda image: people)
    # P = sigmoid(30 * brightness - 9): a window mostly filled by the bright "phone" passes 0.5
    return held_phones.HeldPhoneDetector(_manifest(tmp_path, fake_heads.head(-9.0, w0=30.0))), fake


def test_the_window_over_the_bright_phone_is_a_screen_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    det, fake = _detector(tmp_path, monkeypatch, [(100.0, 40.0, 260.0, 360.0)])
    img = np.zeros((400, 600, 3), np.uint8)
    img[150:210, 150:210] = 255  # the phone in the hand
    out = det.detect(img)
    assert len(fake.seen) == len(held_phones.hand_windows((100.0, 40.0, 260.0, 360.0), 600, 400))
    assert out and all(f.category is Category.SCREEN and f.detector == "held_phones" for f in out)
    assert out[0].label == "screen: phone in a hand (learned look)"
    phone = Box(150, 150, 210, 210)
    assert all(f.box.intersection(phone) >= 0.75 * phone.area for f in out)
    # overlapping windows are thinned: no two findings overlap by more than KEEP_IOU
    assert all(a.box.iou(b.box) <= held_phones.KEEP_IOU for i, a in enumerate(out) for b in out[i + 1 :])


def test_no_people_no_windows_and_a_dark_person_no_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    det, fake = _detector(tmp_path, monkeypatch, [])
    img = np.zeros((400, 600, 3), np.uint8)
    img[150:210, 150:210] = 255
    assert det.detect(img) == [] and fake.seen == []
    det, _ = _detector(tmp_path, monkeypatch, [(300.0, 40.0, 460.0, 360.0)])  # a person away from it
    assert det.detect(img) == []


def test_a_head_that_does_not_match_the_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(model_manifest.WeightsIntegrityError):
        held_phones.HeldPhoneDetector(_manifest(tmp_path, fake_heads.head(0.0), sha="0" * 64)).load()
