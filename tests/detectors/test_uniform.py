"""The `uniform` head: its arithmetic, the manifest's sha256 check, the detector path with a fake backbone,
and the shipped head on the real backbone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors import backbone, crop_head, model_manifest, uniform
from sharesafe.types import Box, Category, Finding
from tests.detectors import fake_heads

D = backbone.EMBED_DIM
_head = fake_heads.head
_FakeBackbone = fake_heads.FakeBackbone


def _manifest(tmp_path: Path, head: dict[str, object], sha: str | None = None) -> Path:
    return fake_heads.manifest_with(tmp_path, "uniform_head", head, sha)


def test_head_probability_is_the_logistic_of_the_standardised_dot_product() -> None:
    head = crop_head.CropHead({**_head(-1.0, w0=4.0), "mean": [0.5] * D, "scale": [0.25] * D})
    f = np.zeros((2, D), np.float32)
    f[0, :] = 0.5
    f[1, 0] = 1.0  # (1.0 - 0.5) / 0.25 = 2 -> 4 * 2 - 1 = 7; the other dims give (0 - .5)/.25 * 0 = 0
    p = head.probability(f)
    assert p[0] == pytest.approx(1 / (1 + np.exp(1.0)))
    assert p[1] == pytest.approx(1 / (1 + np.exp(-7.0)))


def test_head_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="1280"):
        crop_head.CropHead({**_head(0.0), "weights": [0.0] * 10})


def test_a_head_that_does_not_match_the_manifest_is_refused(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, _head(0.0), sha="0" * 64)
    with pytest.raises(model_manifest.WeightsIntegrityError):
        uniform.UniformDetector(manifest).load()


def test_bright_person_is_uniformed_dark_one_is_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeBackbone()
    monkeypatch.setattr(backbone, "get_backbone", lambda: fake)
    # P = sigmoid(12 * brightness - 6): a white person crop ~1.0, a black one ~0.0
    det = uniform.UniformDetector(_manifest(tmp_path, _head(-6.0, w0=12.0)))
    img = np.zeros((400, 600, 3), np.uint8)
    img[50:350, 100:160] = 255
    bright = Finding(Category.PERSON, "person", 0.9, Box(100, 50, 160, 350), "persons")
    dark = Finding(Category.PERSON, "person", 0.9, Box(400, 50, 460, 350), "persons")
    small = Finding(Category.PERSON, "person", 0.9, Box(300, 10, 310, 30), "persons")  # under MIN_HEIGHT
    car = Finding(Category.VEHICLE, "car", 0.9, Box(200, 300, 300, 380), "coco")
    out = det.detect(img, [bright, dark, small, car])
    assert len(fake.seen) == 2  # the two tall people only
    assert [f.box for f in out] == [bright.box.padded(uniform.CROP_PAD, 600, 400)]
    assert out[0].category is Category.UNIFORM and out[0].detector == "uniform"
    assert out[0].label == "uniform (learned head)"
    assert out[0].score > 0.9
    assert det.detect(img, [car]) == []


@pytest.mark.slow
def test_shipped_head_loads_and_scores_crops() -> None:
    det = uniform.create()
    det.load()
    assert 0.0 < det.threshold < 1.0
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (300, 200, 3), dtype=np.uint8)
    p = det.scores(img, [Box(10, 10, 110, 290), Box(120, 20, 190, 280)])
    assert p.shape == (2,) and np.all((p >= 0) & (p <= 1))


def test_the_learned_head_judges_uniforms_in_the_default_scan_not_the_imagenet_reading() -> None:
    from detectors import hints, registry

    assert "uniform" in registry.names(default_only=True)
    scan_hints = hints.create()
    assert Category.UNIFORM not in {g.category for g in scan_hints.groups}
    assert {g.category for g in scan_hints.groups} == {Category.WEAPON, Category.VEHICLE}
    # ... so the scan neither waits on it for uniforms nor makes it wait for the vests
    assert scan_hints.categories == {Category.WEAPON, Category.VEHICLE}
    assert Category.UNIFORM not in scan_hints.context_categories
    assert Category.UNIFORM in hints.HintsDetector().categories
