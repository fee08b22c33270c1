"""Pixel helpers for the GUI: decode thumbnails and turn numpy RGB arrays into QImages.

These run in workers. QImage (unlike QPixmap) may be built off the GUI thread.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps
from PySide6.QtGui import QImage

from sharesafe.image import load_image_bytes

THUMB_SIZE = 256  # pixels of the decoded thumbnail; the list scales it to the screen


def to_qimage(pixels: npt.NDArray[np.uint8]) -> QImage:
    """A QImage owning a copy of an (h, w, 3) uint8 RGB array."""
    arr = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = arr.shape[:2]
    image = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGB888)
    return image.copy()  # detach from the numpy buffer


def thumbnail(path: Path, size: int = THUMB_SIZE) -> QImage | None:
    """An upright thumbnail, decoding a large JPEG at reduced size (draft mode); None if unreadable."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (size * 2, size * 2))  # JPEG: decode at 1/2..1/8 scale, fast for 12 MP
            upright = ImageOps.exif_transpose(img).convert("RGB")
            upright.thumbnail((size, size))
            return to_qimage(np.asarray(upright))
    except Exception:  # noqa: BLE001 - fall back to the core loader (HEIC, odd files)
        pass
    try:
        loaded = load_image_bytes(data)
    except Exception:  # noqa: BLE001 - no thumbnail; the scan reports the error
        return None
    small = Image.fromarray(loaded.pixels)
    small.thumbnail((size, size))
    return to_qimage(np.asarray(small))
