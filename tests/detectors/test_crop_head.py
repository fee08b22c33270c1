"""Crop heads that look at more than the whole crop: the parts, their order, and what is refused."""

from __future__ import annotations

import numpy as np
import pytest

from detectors import backbone, crop_head
from sharesafe.types import Box
from tests.detectors import fake_heads

D = backbone.EMBED_DIM


def test_top_part_is_the_upper_share_of_the_crop() -> None:
    crop = np.zeros((100, 40, 3), np.uint8)
    assert crop_head.PARTS["top"](crop).shape == (55, 40, 3)
    assert crop_head.PARTS["whole"](crop).shape == (100, 40, 3)
    assert crop_head.PARTS["top"](np.zeros((5, 9, 3), np.uint8)).shape[0] == 5  # never under 8 rows asked


def test_two_part_head_reads_whole_then_top(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_heads.FakeBackbone()
    monkeypatch.setattr(backbone, "get_backbone", lambda: fake)
    weights = [0.0] * (2 * D)
    weights[D] = 12.0  # only the top part's brightness counts
    head = crop_head.CropHead(
        {
            "weights": weights,
            "bias": -6.0,
            "mean": [0.0] * 2 * D,
            "scale": [1.0] * 2 * D,
            "threshold": 0.5,
            "parts": ["whole", "top"],
        }
    )
    img = np.zeros((200, 300, 3), np.uint8)
    img[0:55, 0:100] = 255  # box A: bright top half, dark below
    img[145:200, 150:250] = 255  # box B: dark top, bright bottom (same overall brightness)
    p = crop_head.probabilities(head, img, [Box(0, 0, 100, 100), Box(150, 100, 250, 200)], 1600)
    assert p[0] > 0.9 and p[1] < 0.1
    assert len(fake.seen) == 4  # two parts of two crops, one batch


def test_unknown_parts_and_wrong_sizes_are_refused() -> None:
    base = fake_heads.head(0.0)
    with pytest.raises(ValueError, match="unknown crop parts"):
        crop_head.CropHead({**base, "parts": ["wheels"]})
    with pytest.raises(ValueError, match=str(2 * D)):
        crop_head.CropHead({**base, "parts": ["whole", "top"]})


def test_hidden_layer_head_is_relu_then_logistic() -> None:
    # two hidden units: one passes feature 0, one its negation; only the second reaches the output
    hidden = np.zeros((D, 2))
    hidden[0, 0], hidden[0, 1] = 1.0, -1.0
    head = crop_head.CropHead(
        {
            "hidden_weights": hidden.tolist(),
            "hidden_bias": [0.0, 0.0],
            "weights": [0.0, 4.0],
            "bias": -2.0,
            "mean": [0.0] * D,
            "scale": [1.0] * D,
            "threshold": 0.5,
        }
    )
    f = np.zeros((3, D), np.float32)
    f[0, 0], f[1, 0], f[2, 0] = 2.0, -2.0, -0.1
    p = head.probability(f)
    assert p[0] == pytest.approx(1 / (1 + np.exp(2.0)))  # relu cut the negated unit to 0
    assert p[1] == pytest.approx(1 / (1 + np.exp(-6.0)))
    assert p[0] < p[2] < p[1]


def test_hidden_layer_of_the_wrong_shape_is_refused() -> None:
    base = fake_heads.head(0.0)
    with pytest.raises(ValueError, match="hidden layer"):
        crop_head.CropHead({**base, "hidden_weights": [[0.0] * 3] * D, "hidden_bias": [0.0, 0.0]})
    with pytest.raises(ValueError, match="3-d output"):
        crop_head.CropHead({**base, "hidden_weights": [[0.0] * 3] * D, "hidden_bias": [0.0] * 3})
