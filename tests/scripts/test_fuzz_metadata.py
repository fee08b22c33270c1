"""The fuzz run of the metadata readers and the make-safe flow, briefly (a fixed count of inputs).

Longer runs: `PYTHONPATH=. .venv/bin/python scripts/fuzz_metadata.py --count 5000 --seed 1` (README).
"""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType

from tests.scripts.load_script import load_script

ROOT = Path(__file__).resolve().parents[2]


def load_fuzzer() -> ModuleType:
    return load_script("fuzz_metadata")


def test_a_brief_fuzz_run_finds_no_unexpected_error() -> None:
    fuzz = load_fuzzer()
    report = fuzz.run(count=48, seed=11)
    assert report.inputs == 48
    assert report.unexpected == []
    assert report.verified > 0 and report.refused > 0  # both paths were exercised


def test_found_by_fuzzing_a_gif_cut_inside_its_frame_list_opens(tmp_path: Path) -> None:
    """Input 150 of seed 1: Pillow's GIF `n_frames` raised IndexError, reported as "unexpected"."""
    fuzz = load_fuzzer()
    rng = random.Random(1)
    bases = fuzz.seeds()
    names = sorted(bases)
    data = b""
    for index in range(151):
        data = fuzz.mutate(bases[names[index % len(names)]], rng, list(bases.values()))
    assert names[150 % len(names)] == "gif"
    report = fuzz.Report()
    assert fuzz.check_one(data, tmp_path, 150, report) == []
