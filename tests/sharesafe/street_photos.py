"""A small street-scene JPEG with camera metadata, written where a test wants it (distinct bytes per seed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sharesafe.samples import exif_bytes, jpeg_bytes, street_scene


def photo(path: Path, seed: int = 0, size: tuple[int, int] = (320, 240)) -> Path:
    scene = street_scene(*size)
    scene[0:4, 0:4] = seed  # distinct bytes per photo
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg_bytes(np.ascontiguousarray(scene), exif_bytes()))
    return path
