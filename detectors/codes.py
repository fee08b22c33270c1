"""QR codes and barcodes with their payload (zxing-cpp, Apache-2.0; no model file).

zxing-cpp reads QR, Data Matrix, Aztec, PDF417 and the 1-D barcodes in one call. Large photos are
read once at up to `side` pixels on the long side (a full-size read of a 12 MP photo costs ~0.6 s
on two cores; at 2048 px a code must be about 25 px across in the reduced image to be read), or at
the photo's exact half when that is within 10 % of it (4032 -> 2016 px: shared with the other
detectors' copies, and 0.02 s cheaper than a 2048 px copy of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2

from detectors.faces import _package_version
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.resize import fit_cheap
from sharesafe.types import Box, Category, Finding


class CodeDetector:
    name = "codes"
    categories = frozenset({Category.CODE})
    context_categories: frozenset[Category] = frozenset()

    def __init__(self, side: int = 2048) -> None:
        self.side = side
        self.info = ModelInfo(
            model="zxing-cpp (no model file)",
            licence="Apache-2.0",
            version=_package_version("zxing-cpp"),
            source=f"zxing-cpp {_package_version('zxing-cpp')} (PyPI)",
        )
        self._zxing: Any = None

    def load(self) -> None:
        if self._zxing is None:
            import zxingcpp

            self._zxing = zxingcpp

    def _read(self, gray: Any, scale: float, width: int, height: int) -> list[Finding]:
        findings = []
        for result in self._zxing.read_barcodes(gray, try_rotate=True, try_downscale=True):
            pos = result.position
            xs = [p.x / scale for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)]
            ys = [p.y / scale for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)]
            box = Box.from_xyxy(min(xs), min(ys), max(xs), max(ys), width, height)
            if box.is_empty:
                continue
            # 1-D barcodes report a thin line through the bars: give the box some height.
            if box.height < 0.25 * box.width:
                grow = 0.25 * box.width - box.height
                box = Box.from_xyxy(box.x1, box.y1 - grow / 2, box.x2, box.y2 + grow / 2, width, height)
            fmt = str(result.format).split(".")[-1]
            findings.append(
                Finding(
                    Category.CODE,
                    "QR code" if "QR" in fmt.upper() else f"{fmt} code",
                    1.0,
                    box,
                    self.name,
                    result.text,
                    {"format": fmt, "content_type": str(result.content_type).split(".")[-1]},
                )
            )
        return findings

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.load()
        height, width = image.shape[:2]
        small, _ = fit_cheap(image, self.side)
        gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        return self._read(gray, gray.shape[1] / width, width, height)


def create() -> CodeDetector:
    return CodeDetector()
