"""`sharesafe scan --kit DIR` finds a taught crest in a new photo; a bad kit is a usage error."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from detectors.kit import add_reference
from detectors.kit import synthetic as syn
from sharesafe.cli import EXIT_RISKS, EXIT_USAGE, main


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_scan_with_kit_finds_the_crest(tmp_path: Path) -> None:
    crest, mask = syn.make_crest(21, 320)
    kit = tmp_path / "kit"
    add_reference(kit, "badge", "force-crest", crest)
    scene, scene_mask = syn.composite(
        syn.random_background(3, 1024, 768), crest, mask, np.random.default_rng(3), 0.2, 25, 0.05
    )
    photo = tmp_path / "photo.jpg"
    Image.fromarray(scene).save(photo, quality=90)
    code, out, _ = _run("scan", "--json", "--detectors", "cues", "--kit", str(kit), str(photo))
    assert code == EXIT_RISKS
    findings = json.loads(out)["files"][0]["findings"]
    badges = [f for f in findings if f["category"] == "badge"]
    assert badges and badges[0]["label"] == "kit badge: force-crest"
    x1, y1, x2, y2 = badges[0]["box"]
    ys, xs = np.nonzero(scene_mask)
    inside = ((xs >= x1) & (xs < x2) & (ys >= y1) & (ys < y2)).mean()
    assert inside >= 0.8


def test_bad_kit_is_a_usage_error(tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    (kit / "flags" / "x").mkdir(parents=True)
    photo = tmp_path / "p.png"
    Image.new("RGB", (64, 64)).save(photo)
    code, _, err = _run("scan", "--no-detectors", "--kit", str(kit), str(photo))
    assert code == EXIT_USAGE
    assert "flags" in err
