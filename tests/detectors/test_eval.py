"""detectors.eval: size bins and false findings per image, on a manifest written here."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detectors.eval import SIZE_BINS, SizeBins, evaluate
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.types import Box, Category, Finding


def test_size_bins_label_boxes_by_height_or_width() -> None:
    faces = SIZE_BINS[Category.FACE]
    assert faces.labels() == ["<16", "16-32", "32-64", ">=64"]
    assert faces.label(Box(0, 0, 100, 15)) == "<16"
    assert faces.label(Box(0, 0, 5, 16)) == "16-32"
    assert faces.label(Box(0, 0, 5, 63)) == "32-64"
    assert faces.label(Box(0, 0, 5, 64)) == ">=64"
    plates = SIZE_BINS[Category.PLATE]
    assert plates.dimension == "width"
    assert plates.label(Box(0, 0, 79, 10)) == "40-80"
    assert SizeBins("height", (10,)).labels() == ["<10", ">=10"]


class FixedFaces:
    """Reports the same face boxes on every image."""

    name = "fixed"
    categories = frozenset({Category.FACE})
    info = ModelInfo("none", "none", "0")

    def __init__(self, boxes: list[Box]) -> None:
        self.boxes = boxes

    def load(self) -> None:
        pass

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        return [Finding(Category.FACE, "face", 0.9, b, self.name) for b in self.boxes]


def write_set(root: Path, rows: list[tuple[str, list[list[float]]]]) -> None:
    (root / "face").mkdir(parents=True)
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "category", "labels_json"])
        writer.writeheader()
        for name, boxes in rows:
            Image.fromarray(np.zeros((200, 300, 3), np.uint8)).save(root / "face" / name)
            labels = [{"cls": "face", "bbox_xyxy": b} for b in boxes]
            writer.writerow({"file": f"face/{name}", "category": "face", "labels_json": json.dumps(labels)})


def test_evaluate_reports_recall_by_size_and_false_findings_per_image(tmp_path: Path) -> None:
    # Image a: a 10 px face (found) and an 80 px face (missed); image b: a 20 px face (found).
    write_set(
        tmp_path,
        [("a.png", [[10, 10, 20, 20], [100, 100, 180, 180]]), ("b.png", [[10, 10, 30, 30]])],
    )
    # One box covers both small faces' places; one box is on nothing labelled in either image.
    detector = FixedFaces([Box(8, 8, 31, 31), Box(250, 150, 290, 190)])
    report = evaluate(tmp_path, [detector], limit_negatives=0)
    row = report["classes"]["face"]  # type: ignore[index]
    by_size = row["coverage_recall_by_height_px"]
    assert by_size["<16"] == {"boxes": 1, "recall": 1.0}
    assert by_size["16-32"] == {"boxes": 1, "recall": 1.0}
    assert by_size["32-64"] == {"boxes": 0, "recall": None}
    assert by_size[">=64"] == {"boxes": 1, "recall": 0.0}
    assert row["coverage_recall"] == pytest.approx(2 / 3)
    assert row["false_findings_per_image"] == pytest.approx(1.0)  # the stray box, once per image


def test_read_manifest_keeps_rows_matching_where(tmp_path: Path) -> None:
    from detectors.eval import read_manifest

    write_set(tmp_path, [("a.png", [[1, 1, 5, 5]]), ("b.png", [])])
    assert [s.path.name for s in read_manifest(tmp_path)] == ["a.png", "b.png"]
    assert [s.path.name for s in read_manifest(tmp_path, {"file": "face/b.png"})] == ["b.png"]
    assert read_manifest(tmp_path, {"category": "plate"}) == []
