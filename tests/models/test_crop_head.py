"""models/crop_head.py fitting: the hidden-layer head learns what a logistic regression cannot, is
deterministic, and the app's `detectors.crop_head.CropHead` reads what it writes the same way."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))

import crop_head as fitting

from detectors import backbone
from detectors import crop_head as runtime


def _xor(n: int = 400, d: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, d))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(float)
    return x, y


def _accuracy(head: fitting.Fitted, x: np.ndarray, y: np.ndarray) -> float:
    return float(((fitting.predict(head, x) >= 0.5) == (y == 1)).mean())


def test_hidden_layer_learns_what_a_logistic_regression_cannot() -> None:
    x, y = _xor()
    assert _accuracy(fitting.fit_head(x, y, 0.01, hidden=0), x, y) < 0.7
    assert _accuracy(fitting.fit_head(x, y, 0.001, hidden=16), x, y) > 0.9


def test_hidden_fit_is_deterministic() -> None:
    x, y = _xor(120)
    a = fitting.fit_head(x, y, 0.01, hidden=4)
    b = fitting.fit_head(x, y, 0.01, hidden=4)
    assert a[0] is not None and b[0] is not None
    assert np.array_equal(a[0][0], b[0][0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


def test_the_app_reads_a_hidden_head_as_it_was_fitted() -> None:
    d = backbone.EMBED_DIM
    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, d))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    mean, scale = fitting.standardise(x)
    layer, w, b = fitted = fitting.fit_head((x - mean) / scale, y, 0.01, hidden=3)
    assert layer is not None
    head = runtime.CropHead(
        {
            "hidden_weights": layer[0].tolist(),
            "hidden_bias": layer[1].tolist(),
            "weights": w.tolist(),
            "bias": b,
            "mean": mean.tolist(),
            "scale": scale.tolist(),
            "threshold": 0.5,
        }
    )
    assert np.allclose(
        head.probability(x.astype(np.float32)), fitting.predict(fitted, (x - mean) / scale), atol=1e-5
    )
