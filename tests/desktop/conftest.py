"""GUI tests run offscreen; each gets its own settings file and a fake, pixel-honest detector."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)

from pathlib import Path

import pytest

from tests.desktop.desktop_fakes import FakeDetector


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from desktop.settings import Settings

    s = Settings(tmp_path / "settings.ini")
    s.output_dir = tmp_path / "out"
    return s


@pytest.fixture
def make_window(qtbot, settings):  # type: ignore[no-untyped-def]
    from desktop.mainwindow import MainWindow

    made = []

    def make(detectors=None, loader=None):  # type: ignore[no-untyped-def]
        dets = [FakeDetector()] if detectors is None else detectors
        w = MainWindow(settings, load_detectors=loader or (lambda: dets))
        qtbot.addWidget(w)
        w.show()
        with qtbot.waitSignal(w.detectorsReady, timeout=10_000):
            w.start()
        made.append(w)
        return w

    yield make
    for w in made:
        w.runner.cancel_all()
        w.runner.wait(10_000)
