import numpy as np

from sharesafe.resize import fit, fit_cheap, resized, shared_resizes


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


def test_copies_come_from_a_pyramid_whatever_the_order() -> None:
    img = np.random.default_rng(1).integers(0, 255, (1200, 1600, 3), dtype=np.uint8)
    sizes = [(1280, 960), (700, 525), (960, 720), (300, 225), (800, 600), (1500, 1125)]
    made = []
    for order in (sizes, sizes[::-1], sizes[2:] + sizes[:2]):
        with shared_resizes(img):
            made.append({s: resized(img, *s).copy() for s in order})
    for s in sizes:
        assert np.array_equal(made[0][s], made[1][s]) and np.array_equal(made[0][s], made[2][s])
    # 300x225 comes from the 800x600 level (its 400x300 level is under 1.5 times as large), and
    # so does 520x390 (800 / 520 >= 1.5), not from the photo; 700x525 (too close to the level's
    # size) comes from the photo.
    with shared_resizes(img):
        level = resized(img, 800, 600)
        assert np.array_equal(resized(img, 300, 225), resized(level.copy(), 300, 225))
        assert np.array_equal(resized(img, 520, 390), resized(level.copy(), 520, 390))
        assert np.array_equal(resized(img, 700, 525), resized(img.copy(), 700, 525))


def test_copies_are_made_once_when_threads_ask_at_the_same_time() -> None:
    import contextvars
    import threading

    img = np.random.default_rng(2).integers(0, 255, (1500, 2000, 3), dtype=np.uint8)
    got: list[np.ndarray] = []
    with shared_resizes(img):
        threads = [
            threading.Thread(
                target=contextvars.copy_context().run, args=(lambda: got.append(resized(img, 640, 480)),)
            )
            for _ in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(got) == 6 and all(g is got[0] for g in got)


def test_fit_cheap_takes_the_halving_only_when_it_is_close() -> None:
    photo = np.zeros((3024, 4032, 3), dtype=np.uint8)
    small, scale = fit_cheap(photo, 2048)
    assert small.shape == (1512, 2016, 3) and scale == 0.5
    odd = np.zeros((3472, 4624, 3), dtype=np.uint8)  # halves to 2312, quarters to 1156: both far off
    small, scale = fit_cheap(odd, 2048)
    assert max(small.shape[:2]) == 2048 and small.shape[:2] == fit(odd, 2048)[0].shape[:2]
    tiny = np.zeros((100, 200, 3), dtype=np.uint8)
    assert fit_cheap(tiny, 2048) == (tiny, 1.0)
    with shared_resizes(photo):
        first, _ = fit_cheap(photo, 2048)
        assert fit_cheap(photo, 2048)[0] is first  # one shared copy per scan


def test_shared_results_are_made_once_per_scan() -> None:
    import contextvars
    import threading

    from sharesafe.resize import shared

    photo = np.zeros((30, 40, 3), dtype=np.uint8)
    made: list[int] = []

    def make() -> int:
        made.append(1)
        return 7

    assert shared(photo, "k", make) == 7 and shared(photo, "k", make) == 7 and len(made) == 2  # no scan
    made.clear()
    with shared_resizes(photo):
        out: list[int] = []
        # as `sharesafe.schedule` runs detectors: each thread in a copy of the scan's context
        threads = [
            threading.Thread(
                target=contextvars.copy_context().run, args=(lambda: out.append(shared(photo, "k", make)),)
            )
            for _ in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert out == [7] * 6 and len(made) == 1
        assert shared(photo.copy(), "k", make) == 7 and len(made) == 2  # another array: not this scan's
        assert shared(photo, "other", make) == 7 and len(made) == 3
