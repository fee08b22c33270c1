import numpy as np
import pytest

from sharesafe.redact import Shape, Style, cover, style_for
from sharesafe.samples import street_scene
from sharesafe.types import Box, Category


@pytest.fixture
def image() -> np.ndarray:
    return street_scene(400, 300)


@pytest.mark.parametrize("style", list(Style))
def test_cover_changes_only_the_region_and_never_the_input(image: np.ndarray, style: Style) -> None:
    before = image.copy()
    box = Box(50, 60, 150, 140)
    out = cover(image, [(box, style)])
    assert np.array_equal(image, before), "input must not be modified"
    assert not np.shares_memory(out, image)
    outside = np.ones(image.shape[:2], bool)
    outside[box.y1 : box.y2, box.x1 : box.x2] = False
    assert np.array_equal(out[outside], image[outside])
    region_in, region_out = image[60:140, 50:150].astype(int), out[60:140, 50:150].astype(int)
    assert np.abs(region_in - region_out).mean() > 1.0


def test_fill_is_solid(image: np.ndarray) -> None:
    out = cover(image, [(Box(10, 10, 60, 40), Style.FILL)])
    assert (out[10:40, 10:60] == 0).all()


def test_pixelate_and_blur_remove_detail(image: np.ndarray) -> None:
    box = Box(100, 40, 300, 120)  # over the POLICE sign text
    for style in (Style.PIXELATE, Style.BLUR):
        out = cover(image, [(box, style)])
        region = out[box.y1 : box.y2, box.x1 : box.x2].astype(float)
        original = image[box.y1 : box.y2, box.x1 : box.x2].astype(float)
        # local detail (gradient energy) drops sharply
        assert np.abs(np.diff(region, axis=1)).mean() < 0.5 * np.abs(np.diff(original, axis=1)).mean()


def test_ellipse_leaves_corners(image: np.ndarray) -> None:
    out = cover(image, [(Box(0, 0, 100, 100), Style.FILL)], shape=Shape.ELLIPSE)
    assert np.array_equal(out[0, 0], image[0, 0])
    assert (out[50, 50] == 0).all()


def test_boxes_outside_the_image_are_clipped(image: np.ndarray) -> None:
    out = cover(image, [(Box(390, 290, 500, 500), Style.FILL)])
    assert (out[290:, 390:] == 0).all()


def test_text_plates_badges_codes_always_filled() -> None:
    for cat in (Category.TEXT, Category.PLATE, Category.BADGE, Category.CODE):
        assert style_for(cat, Style.BLUR) is Style.FILL
    assert style_for(Category.FACE, Style.BLUR) is Style.BLUR
