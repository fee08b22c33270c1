"""Planar matching of a generated crest through KitDetector (SIFT only, no backbone)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors.kit import KitDetector, add_reference, planar
from detectors.kit import synthetic as syn
from sharesafe.types import Category


@pytest.fixture(scope="module")
def crest_kit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[np.ndarray, np.ndarray]]]:
    kit_dir = tmp_path_factory.mktemp("kit")
    crests = [syn.make_crest(s, 320) for s in (11, 12, 13)]
    for i, (img, _) in enumerate(crests):
        add_reference(kit_dir, "badge", f"crest-{i}", img)
    return kit_dir, crests


def _covered(mask: np.ndarray, boxes: list) -> float:
    cov = np.zeros(mask.shape, bool)
    for b in boxes:
        cov[b.y1 : b.y2, b.x1 : b.x2] = True
    return float((cov & (mask > 0)).sum() / (mask > 0).sum())


@pytest.mark.parametrize(
    ("seed", "frac", "rotation", "persp", "blur", "quality"),
    [
        (1, 0.25, 0, 0.0, 0.0, 95),  # plain
        (2, 0.12, 170, 0.0, 0.0, 90),  # rotated, smaller
        (3, 0.18, 40, 0.15, 0.0, 85),  # perspective
        (4, 0.15, 90, 0.1, 1.0, 60),  # blur + JPEG
        (5, 0.08, 20, 0.05, 0.5, 75),  # small
    ],
)
def test_finds_crest_under_transforms(crest_kit, seed, frac, rotation, persp, blur, quality) -> None:  # type: ignore[no-untyped-def]
    kit_dir, crests = crest_kit
    det = KitDetector(kit_dir, disk_cache=False)
    rng = np.random.default_rng(seed)
    which = seed % len(crests)
    scene, mask = syn.composite(
        syn.random_background(seed, 1024, 768),
        *crests[which],
        rng,
        frac,
        max_rotation=rotation or 0.001,
        perspective=persp,
    )
    scene = syn.degrade(scene, rng, blur, 3.0, quality)
    found = det.detect(scene)
    own = [f for f in found if f.label == f"kit badge: crest-{which}"]
    assert own, f"crest {which} not found; findings: {[f.label for f in found]}"
    assert all(f.category is Category.BADGE and f.detector == "kit" for f in own)
    assert _covered(mask, [f.box for f in own]) >= 0.8
    assert own[0].extra["inliers"] >= planar.MIN_INLIERS
    # The box is tight-ish: not the whole image.
    assert own[0].box.area < 0.6 * scene.shape[0] * scene.shape[1]


def test_partial_occlusion(crest_kit) -> None:  # type: ignore[no-untyped-def]
    kit_dir, crests = crest_kit
    det = KitDetector(kit_dir, disk_cache=False)
    rng = np.random.default_rng(7)
    scene, mask = syn.composite(syn.random_background(7, 1024, 768), *crests[0], rng, 0.25, 30, 0.05)
    ys, xs = np.nonzero(mask)
    # Cover the left third of the crest with a grey block.
    x_cut = int(xs.min() + (xs.max() - xs.min()) / 3)
    scene[ys.min() : ys.max(), xs.min() : x_cut] = 128
    assert any(f.label == "kit badge: crest-0" for f in det.detect(scene))


def test_no_finding_without_crest(crest_kit) -> None:  # type: ignore[no-untyped-def]
    kit_dir, _ = crest_kit
    det = KitDetector(kit_dir, disk_cache=False)
    for seed in range(20, 26):
        rng = np.random.default_rng(seed)
        scene = syn.degrade(syn.random_background(seed, 1024, 768), rng, 0.5, 4.0, 80)
        # Other man-made things with text and stripes are present.
        syn.draw_building(scene, (600, 100, 950, 450), seed)
        syn.draw_vehicle(scene, (50, 450, 500, 700), seed)
        assert det.detect(scene) == []


def test_reference_features_cached_on_disk(
    crest_kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    kit_dir, crests = crest_kit
    monkeypatch.setenv("SHARESAFE_CACHE", str(tmp_path / "cache"))
    det = KitDetector(kit_dir)
    det.load()
    files = sorted((tmp_path / "cache" / "kit").glob("*-sift-*.npz"))
    assert len(files) == len(crests)
    again = KitDetector(kit_dir)
    refs = again._planar_refs()  # loaded from the cache
    assert [len(f.points) for _, f in refs] == [len(f.points) for _, f in det._planar_refs()]
