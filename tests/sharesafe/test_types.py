import pytest

from sharesafe.types import Box, Category, Finding, MetadataItem, MetadataKind, Risk, ScanResult, max_risk


def test_box_from_xyxy_rounds_outward_and_clips() -> None:
    box = Box.from_xyxy(-5.5, 2.2, 120.1, 49.9, 100, 40)
    assert box.as_list() == [0, 2, 100, 40]
    assert Box.from_xyxy(30, 20, 10, 5, 100, 100).as_list() == [10, 5, 30, 20]


def test_box_rejects_negative_size() -> None:
    with pytest.raises(ValueError):
        Box(10, 10, 5, 20)


def test_box_geometry() -> None:
    a, b = Box(0, 0, 10, 10), Box(5, 5, 15, 15)
    assert a.intersection(b) == 25
    assert a.iou(b) == pytest.approx(25 / 175)
    assert a.union(b).as_list() == [0, 0, 15, 15]
    assert Box(10, 10, 20, 20).padded(0.5, 100, 100).as_list() == [5, 5, 25, 25]
    assert Box(0, 0, 10, 10).padded(0.5, 12, 12).as_list() == [0, 0, 12, 12]
    assert Box(50, 50, 52, 52).padded(0.0, 100, 100, minimum=3).as_list() == [47, 47, 55, 55]


def test_risk_order_and_scan_result_risk() -> None:
    assert max_risk([Risk.LOW, Risk.HIGH, Risk.MEDIUM]) is Risk.HIGH
    assert max_risk([]) is Risk.NONE
    result = ScanResult(path=__import__("pathlib").Path("x.jpg"))
    assert not result.has_risks
    result.metadata.append(MetadataItem("ICC", "profile", "sRGB", Risk.LOW, "colour", MetadataKind.TECHNICAL))
    assert not result.has_risks
    result.metadata.append(MetadataItem("EXIF:GPS", "GPS", "1, 2", Risk.HIGH, "where", MetadataKind.LOCATION))
    assert result.has_risks and result.risk is Risk.HIGH


def test_finding_json_shape() -> None:
    f = Finding(Category.TEXT, "police marking", 0.876543, Box(1, 2, 3, 4), "text", "POLICE", id="f1")
    assert f.to_json() == {
        "id": "f1",
        "category": "text",
        "label": "police marking",
        "score": 0.8765,
        "box": [1, 2, 3, 4],
        "detector": "text",
        "detail": "POLICE",
    }
