from sharesafe.findings import merge, postprocess
from sharesafe.types import Box, Category, Finding


def f(
    cat: Category, box: tuple[int, int, int, int], score: float = 0.5, det: str = "a", detail=None
) -> Finding:
    return Finding(cat, cat.value, score, Box(*box), det, detail)


def test_merge_same_object_from_two_detectors() -> None:
    merged = merge(
        [f(Category.FACE, (10, 10, 50, 50), 0.6, "x"), f(Category.FACE, (12, 12, 52, 52), 0.9, "y")]
    )
    assert len(merged) == 1
    assert merged[0].score == 0.9
    assert merged[0].box.as_list() == [10, 10, 52, 52]
    assert merged[0].detector == "y+x"


def test_merge_keeps_different_categories_and_distant_boxes() -> None:
    items = [
        f(Category.FACE, (10, 10, 50, 50)),
        f(Category.TEXT, (10, 10, 50, 50)),
        f(Category.FACE, (200, 200, 250, 250)),
    ]
    assert len(merge(items)) == 3


def test_merge_contained_box_and_details() -> None:
    merged = merge(
        [f(Category.TEXT, (0, 0, 100, 20), detail="POLICE"), f(Category.TEXT, (5, 2, 40, 18), detail="POL")]
    )
    assert len(merged) == 1 and merged[0].detail == "POLICE | POL"


def test_postprocess_pads_clips_and_drops_empty() -> None:
    out = postprocess([f(Category.FACE, (0, 0, 40, 40)), f(Category.TEXT, (100, 100, 100, 120))], 100, 100)
    assert len(out) == 1
    assert out[0].box.as_list() == [0, 0, 50, 50]  # 25 % padding on each side, clipped at 0
