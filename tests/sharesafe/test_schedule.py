"""The detector scheduler: concurrent where detectors are independent, always the sequential result."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pytest

from sharesafe import schedule
from sharesafe.types import Box, Category, Finding


class Fake:
    """A detector that reports one finding per category it makes, after `delay` seconds, and records
    what it was given and which other fakes were running at the same time."""

    info = None
    running: ClassVar[set[str]] = set()
    overlaps: ClassVar[list[tuple[str, str]]] = []
    lock = threading.Lock()

    def __init__(
        self,
        name: str,
        makes: Sequence[Category],
        reads: Sequence[Category] | None,
        delay: float = 0.0,
        fail: bool = False,
        waits_for: str | None = None,
    ) -> None:
        self.name = name
        self.categories = frozenset(makes)
        if reads is not None:
            self.context_categories = frozenset(reads)
        self.makes = list(makes)
        self.delay = delay
        self.fail = fail
        #: Keep running until this other fake has started (at most 5 s): two detectors that the
        #: scheduler runs side by side then overlap however slowly a loaded machine starts threads.
        self.waits_for = waits_for
        self.seen: list[tuple[str, str]] = []

    def load(self) -> None: ...

    def detect(self, image: np.ndarray, context: Sequence[Finding] = ()) -> list[Finding]:
        with Fake.lock:
            Fake.overlaps.extend((self.name, other) for other in Fake.running)
            Fake.running.add(self.name)
        try:
            self.seen = [(f.detector, f.category.value) for f in context]
            time.sleep(self.delay)
            deadline = time.monotonic() + 5.0
            while self.waits_for and time.monotonic() < deadline:
                with Fake.lock:
                    if self.waits_for in Fake.running or any(self.waits_for in p for p in Fake.overlaps):
                        break
                time.sleep(0.001)
            if self.fail:
                raise RuntimeError("broken on purpose")
            return [Finding(c, c.value, 0.9, Box(0, 0, 10, 10), self.name) for c in self.makes]
        finally:
            with Fake.lock:
                Fake.running.discard(self.name)


@pytest.fixture(autouse=True)
def _reset() -> None:
    Fake.running = set()
    Fake.overlaps = []


def _scene() -> list[Fake]:
    return [
        Fake("people", [Category.PERSON], reads=(), delay=0.05),
        Fake("vehicles", [Category.VEHICLE], reads=(), delay=0.05),
        Fake("ocr", [Category.TEXT, Category.PLATE], reads=(), delay=0.05),
        Fake("faces", [Category.FACE], reads=[Category.PERSON], delay=0.05),
        Fake("plates", [Category.PLATE], reads=[Category.PLATE, Category.VEHICLE], delay=0.05),
        Fake("rules", [Category.PREMISES], reads=None),
    ]


def test_dependencies_follow_what_each_detector_reads() -> None:
    deps = schedule.dependencies(_scene())
    assert deps == [[], [], [], [0], [1, 2], [0, 1, 2, 3, 4]]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_result_and_context_are_those_of_a_sequential_scan(workers: int) -> None:
    dets = _scene()
    image = np.zeros((20, 20, 3), np.uint8)
    found = schedule.run_detectors(image, dets, {}, workers=workers)
    assert [f.detector for f in found] == ["people", "vehicles", "ocr", "ocr", "faces", "plates", "rules"]
    faces, plates, rules = dets[3], dets[4], dets[5]
    assert faces.seen == [("people", "person")]
    assert plates.seen == [("vehicles", "vehicle"), ("ocr", "text"), ("ocr", "plate")]
    # A detector that does not say what it reads gets everything found before it, in order.
    assert [d for d, _ in rules.seen] == ["people", "vehicles", "ocr", "ocr", "faces", "plates"]


def test_independent_detectors_run_side_by_side_and_dependents_wait() -> None:
    dets = _scene()
    dets[0].waits_for = "vehicles"
    schedule.run_detectors(np.zeros((20, 20, 3), np.uint8), dets, {}, workers=2)
    pairs = {frozenset(p) for p in Fake.overlaps}
    assert frozenset({"people", "vehicles"}) in pairs  # the first two start together
    # Nothing overlaps a detector it depends on, and the rule waits for everyone.
    for name, needs in (("faces", {"people"}), ("plates", {"vehicles", "ocr"})):
        assert not any(frozenset({name, n}) in pairs for n in needs)
    assert not any("rules" in p for p in pairs)


def test_a_failing_detector_is_recorded_and_its_dependents_still_run() -> None:
    dets = _scene()
    dets[0] = Fake("people", [Category.PERSON], reads=(), fail=True)
    errors: dict[str, str] = {}
    found = schedule.run_detectors(np.zeros((20, 20, 3), np.uint8), dets, errors, workers=2)
    assert "broken on purpose" in errors["people"]
    assert dets[3].seen == []  # faces ran, with no people
    assert found[0].detector == "vehicles"


def test_workers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARESAFE_DETECTOR_THREADS", "1")
    assert schedule.workers_from_env() == 1
    monkeypatch.setenv("SHARESAFE_DETECTOR_THREADS", "nonsense")
    assert schedule.workers_from_env() == schedule.DEFAULT_WORKERS
    monkeypatch.delenv("SHARESAFE_DETECTOR_THREADS")
    assert schedule.workers_from_env() == schedule.DEFAULT_WORKERS


def test_after_a_first_scan_the_longest_chain_of_work_starts_first() -> None:
    """Scan order first; once times are known, a slow independent detector later in the list (the OCR,
    which plates wait for) starts before quick ones, and the result stays the sequential one."""
    dets = [
        Fake("people", [Category.PERSON], reads=(), delay=0.01),
        Fake("vehicles", [Category.VEHICLE], reads=(), delay=0.01),
        Fake("ocr", [Category.TEXT], reads=(), delay=0.15),
        Fake("plates", [Category.PLATE], reads=[Category.TEXT, Category.VEHICLE], delay=0.01),
    ]
    deps = schedule.dependencies(dets)
    assert schedule.start_order(dets, deps) == [0, 1, 2, 3]  # nothing known yet: scan order
    image = np.zeros((20, 20, 3), np.uint8)
    first = schedule.run_detectors(image, dets, {}, workers=2)
    assert schedule.expected_seconds(dets[2]) >= 0.15
    assert schedule.start_order(dets, deps)[0] == 2
    starts: list[str] = []
    for d in dets:
        real = d.detect

        def detect(
            image: np.ndarray, context: Sequence[Finding] = (), real=real, name=d.name
        ) -> list[Finding]:
            with Fake.lock:
                starts.append(name)
            return real(image, context)

        d.detect = detect  # type: ignore[method-assign]
    second = schedule.run_detectors(image, dets, {}, workers=2)
    assert starts[0] == "ocr" and starts.index("ocr") < starts.index("vehicles")
    assert [f.detector for f in second] == [f.detector for f in first]
    assert [f.detector for f in first] == ["people", "vehicles", "ocr", "plates"]
    assert dets[3].seen == [("vehicles", "vehicle"), ("ocr", "text")]
