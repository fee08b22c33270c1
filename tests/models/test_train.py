"""models/train.py pieces that need no training run."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))

import train


def test_wall_time_adds_the_segments_of_a_resumed_run() -> None:
    assert train._wall_seconds([]) == 0
    assert train._wall_seconds([300.0, 610.0, 905.4]) == 905
    # interrupted after the third epoch, resumed: the elapsed column starts again from zero
    assert train._wall_seconds([300.0, 610.0, 905.0, 310.0, 620.0]) == 1525


def test_epochs_and_seconds_of_a_run_folder(tmp_path: Path) -> None:
    (tmp_path / "results.csv").write_text("epoch,time,x\n1,300.5,0\n2,601,0\n1,280,0\n\n")
    assert train._epochs_and_seconds(tmp_path) == (3, 881)
