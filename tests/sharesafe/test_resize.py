import numpy as np

from sharesafe.resize import fit, resized, shared_resizes


def _img() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (600, 800, 3), dtype=np.uint8)


def test_outside_a_scan_it_is_a_plain_resize() -> None:
    img = _img()
    assert resized(img, 400, 300).shape == (300, 400, 3)
    assert resized(img, 800, 600) is img
    small, scale = fit(img, 400)
    assert small.shape == (300, 400, 3) and scale == 0.5
    same, one = fit(img, 2000)
    assert same is img and one == 1.0


def test_copies_are_shared_within_a_scan_and_read_only() -> None:
    img = _img()
    with shared_resizes(img):
        a = resized(img, 400, 300)
        assert resized(img, 400, 300) is a
        b = resized(img, 200, 150)  # served from the 400x300 copy
        assert not a.flags.writeable and not b.flags.writeable
        other = img.copy()
        assert resized(other, 400, 300) is not a  # only the scanned array itself is cached
    assert resized(img, 400, 300) is not a  # the cache ends with the scan
    direct = resized(img, 200, 150)
    assert np.abs(direct.astype(int) - b.astype(int)).mean() < 3  # same picture either way
