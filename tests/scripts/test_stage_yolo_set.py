"""scripts/stage_yolo_set.py turns each label format into pixel xyxy boxes."""

from __future__ import annotations

from tests.scripts.load_script import load_script


def test_openalpr_labels_become_pixel_boxes() -> None:
    stager = load_script("stage_yolo_set")
    text = "car.jpg\t935\t362\t99\t49\tYG9X2G\n\nbroken line\n"
    assert stager.openalpr_boxes(text) == [[935.0, 362.0, 1034.0, 411.0]]


def test_yolo_and_voc_labels_become_pixel_boxes() -> None:
    stager = load_script("stage_yolo_set")
    assert stager.yolo_boxes("0 0.5 0.5 0.2 0.1\n1 0.1 0.1 0.1 0.1\n", 1000, 500, {0}) == [
        [400.0, 225.0, 600.0, 275.0]
    ]
    voc = "<annotation><object><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object></annotation>"
    assert stager.voc_boxes(voc) == [[1.0, 2.0, 30.0, 40.0]]
