"""Test helpers for crop heads: a head file with its manifest entry, and a backbone that embeds a crop as
its brightness."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from detectors import backbone
from sharesafe.fsutil import sha256_file

D = backbone.EMBED_DIM


def head(bias: float, threshold: float = 0.5, w0: float = 0.0) -> dict[str, object]:
    weights = [0.0] * D
    weights[0] = w0
    return {"weights": weights, "bias": bias, "mean": [0.0] * D, "scale": [1.0] * D, "threshold": threshold}


def manifest_with(tmp_path: Path, entry: str, data: dict[str, object], sha: str | None = None) -> Path:
    """A manifest naming `entry` -> <entry>.json (written beside it), with its sha256 (or `sha`)."""
    path = tmp_path / f"{entry}.json"
    path.write_text(json.dumps(data))
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        f'[[model]]\nname = "{entry}"\nfile = "{path.name}"\nsha256 = "{sha or sha256_file(path)}"\n'
    )
    return manifest


class FakeBackbone:
    """Embeds a crop as its mean brightness in dimension 0 (0..1), zeros elsewhere."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def load(self) -> None:
        pass

    def features(self, crops: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(crops), D), np.float32)
        for i, c in enumerate(crops):
            self.seen.append(c.shape[:2])
            out[i, 0] = float(c.mean()) / 255.0
        return out
