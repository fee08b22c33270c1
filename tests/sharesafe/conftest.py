from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.types import Box, Category, Finding


@dataclass
class FakeDetector:
    """Returns fixed findings; optionally only where the pixels at the box centre are not black,
    so a re-scan of a covered export sees nothing there."""

    findings: list[tuple[Category, tuple[int, int, int, int]]]
    name: str = "fake"
    categories: frozenset[Category] = frozenset(Category)
    info: ModelInfo = field(default_factory=lambda: ModelInfo("none", "MIT", "0"))
    only_if_visible: bool = True
    calls: int = 0

    def load(self) -> None:
        pass

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.calls += 1
        out = []
        h, w = image.shape[:2]
        for cat, (x1, y1, x2, y2) in self.findings:
            region = image[y1:y2, x1:x2]
            if self.only_if_visible and region.size and float(region.std()) < 1.0:
                continue  # flat (covered) region: nothing to see any more
            out.append(Finding(cat, f"fake {cat.value}", 0.9, Box.from_xyxy(x1, y1, x2, y2, w, h), self.name))
        return out


@pytest.fixture
def fake_detector_cls() -> type[FakeDetector]:
    return FakeDetector
