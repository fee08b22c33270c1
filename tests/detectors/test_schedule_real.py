"""The real detectors, run side by side by `sharesafe.schedule`, find exactly what they find in turn."""

from __future__ import annotations

import pytest

from detectors import registry
from sharesafe import schedule
from sharesafe.resize import shared_resizes
from sharesafe.samples import street_scene


@pytest.mark.slow
def test_each_detector_reads_no_more_than_it_declares() -> None:
    """A sequential scan gives every detector all earlier findings; the scheduler gives it only the
    findings of the detectors that can report what it says it reads. Same photo, same results."""
    try:
        dets = registry.build(None)
        for det in dets:
            det.load()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    image = street_scene(1600, 1200)
    image.flags.writeable = False
    with shared_resizes(image):
        in_turn: list = []
        for det in dets:
            in_turn.extend(det.detect(image, tuple(in_turn)))
    with shared_resizes(image):
        side_by_side = schedule.run_detectors(image, dets, {}, workers=2)
    assert in_turn, "the sample street photo should give findings"
    # The scheduler knows who reports what from each detector's `categories`.
    declared = {d.name: d.categories for d in dets}
    assert all(f.category in declared[f.detector] for f in in_turn)
    assert [f.to_json() for f in side_by_side] == [f.to_json() for f in in_turn]
