"""The self-test with every real detector (what a bundle runs first): the generated photo's findings are
found, covered, and the safe copy's re-scan finds nothing left."""

from __future__ import annotations

import io

import pytest

from sharesafe.cli import main


@pytest.mark.slow
def test_self_test_passes_with_the_real_detectors() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["self-test"], out=out, err=err)
    report = out.getvalue()
    assert code == 0, report + err.getvalue()
    assert "PASS export verified clean" in report
