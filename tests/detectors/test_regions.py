"""Where the weapon model looks: whole photo, person crops that magnify, tiles of large photos."""

from __future__ import annotations

import itertools

from detectors import regions
from detectors.regions import View, plan_views, zoom
from sharesafe.types import Box


def test_small_photo_is_seen_whole_only() -> None:
    views = plan_views(640, 480, 384, [Box(200, 20, 400, 470)])
    assert [v.kind for v in views] == ["photo"]  # a person filling the photo: a crop would not magnify 1.5x


def test_person_in_wide_scene_gets_a_padded_crop_that_magnifies() -> None:
    person = Box(1000, 400, 1100, 700)
    views = plan_views(1920, 1080, 384, [person])
    crops = [v for v in views if v.kind == "person"]
    assert len(crops) == 1
    crop = crops[0].box
    # padded sideways (arms, long guns) and never smaller than the network size
    assert crop.x1 < person.x1 and crop.x2 > person.x2 and crop.y1 <= person.y1 and crop.y2 >= person.y2
    assert crop.width >= 384 and crop.height >= 384
    assert zoom(crop, 1920, 1080) >= regions.MIN_ZOOM


def test_people_inside_a_larger_crop_and_beyond_the_cap_are_skipped() -> None:
    big = Box(800, 200, 1200, 1000)
    inner = Box(900, 300, 950, 400)  # its crop (384 px) lies inside the big person's crop
    crowd = [Box(20 * i, 10, 20 * i + 10, 40) for i in range(20)]
    views = plan_views(4000, 3000, 384, [inner, big, *crowd], tiles=False)
    crops = [v.box for v in views if v.kind == "person"]
    assert len(crops) <= regions.MAX_PEOPLE
    assert crops[0].intersection(big) == big.area  # the largest person first
    assert not any(c.intersection(inner) == c.area for c in crops[1:] if c.area <= 384 * 384)


def test_large_photo_is_tiled_with_overlap_and_tiles_cover_it() -> None:
    w, h = 4032, 3024
    tiles = [v.box for v in plan_views(w, h, 384) if v.kind == "tile"]
    assert 2 <= len(tiles) <= regions.MAX_TILES_PER_SIDE**2
    assert all(zoom(t, w, h) >= regions.MIN_ZOOM for t in tiles)
    # every pixel row/column is in some tile, and neighbours overlap
    assert min(t.x1 for t in tiles) == 0 and max(t.x2 for t in tiles) == w
    assert min(t.y1 for t in tiles) == 0 and max(t.y2 for t in tiles) == h
    xs = sorted({(t.x1, t.x2) for t in tiles})
    assert all(a[1] > b[0] for a, b in itertools.pairwise(xs))


def test_view_maps_crop_boxes_back_to_the_photo() -> None:
    v = View(Box(100, 50, 500, 450), "person")
    assert v.to_photo(10, 20, 30, 40) == (110, 70, 130, 90)
