"""`objects`: ShareSafe's own detector for firearms and hi-vis vests (weights in models/, see its manifest).

Emits a WEAPON finding per firearm and a UNIFORM finding ("hi-vis vest") per vest. When the scan already
found people (`context` holds PERSON findings, e.g. from `persons`), a person whose box contains most of a
vest also gets a UNIFORM finding, "possibly in uniform", on the whole person.

The weights file is checked against the sha256 recorded in models/manifest.toml before it is loaded; a
mismatch or a missing entry refuses to load.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detectors.yolo import ClassTarget, YoloDetector
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.fsutil import sha256_file as file_sha256
from sharesafe.types import Category, Finding

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MANIFEST = MODELS_DIR / "manifest.toml"
ENTRY = "objects"

CLASS_MAP = {
    "firearm": ClassTarget(Category.WEAPON, "firearm"),
    "hivis_vest": ClassTarget(Category.UNIFORM, "hi-vis vest"),
}
#: Privacy over-redacts; chosen on the validation split (see models/README.md), not on the eval sets.
CONF = 0.25
#: A person is "possibly in uniform" when at least this share of a vest box lies inside the person box.
VEST_IN_PERSON = 0.5


class WeightsIntegrityError(RuntimeError):
    """The weights file does not match the manifest."""


def manifest_entry(name: str = ENTRY, manifest: Path = MANIFEST) -> dict[str, Any]:
    if not manifest.is_file():
        raise FileNotFoundError(f"model manifest not found: {manifest}")
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    for entry in data.get("model", []):
        if entry.get("name") == name:
            return dict(entry)
    raise KeyError(f"no [[model]] named {name!r} in {manifest}")


def verify_sha256(path: Path, expected: str) -> None:
    actual = file_sha256(path)
    if actual != expected.lower():
        raise WeightsIntegrityError(f"{path.name}: sha256 {actual} does not match the manifest ({expected})")


def candidate_files(name: str = ENTRY) -> list[Path]:
    """Every exported variant of the model lying in models/ (for benchmarks)."""
    return [p for p in (MODELS_DIR / f"{name}.pt", MODELS_DIR / f"{name}.onnx") if p.is_file()]


class ObjectsDetector(YoloDetector):
    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        findings = super().detect(image, context)
        vests = [f for f in findings if f.category is Category.UNIFORM]
        people = [f for f in context if f.category is Category.PERSON]
        for person in people:
            best = None
            for vest in vests:
                if vest.box.area and person.box.intersection(vest.box) / vest.box.area >= VEST_IN_PERSON:
                    best = vest if best is None or vest.score > best.score else best
            if best is not None:
                findings.append(
                    Finding(
                        category=Category.UNIFORM,
                        label="possibly in uniform",
                        score=best.score,
                        box=person.box,
                        detector=self.name,
                        detail="hi-vis vest worn by this person",
                        extra={"vest_box": best.box.as_list(), "person_detector": person.detector},
                    )
                )
        return findings


def make(
    weights: Path | None = None, manifest: Path = MANIFEST, conf: float = CONF, imgsz: int | None = None
) -> ObjectsDetector:
    """The shipped detector (the file named in the manifest), or another file of the same model (benchmarks)."""
    entry = manifest_entry(ENTRY, manifest)
    shipped = (manifest.parent / entry["file"]).resolve()
    path = Path(weights).resolve() if weights is not None else shipped
    expected = entry["sha256"] if path == shipped else None

    def verify(p: Path) -> None:
        if expected is not None:
            verify_sha256(p, expected)

    info = ModelInfo(
        model=f"models/{path.name}",
        licence=str(entry.get("licence", "")),
        version=f"{entry.get('date', '')} sha256:{str(entry.get('sha256', ''))[:12]}",
        source="models/manifest.toml",
    )
    return ObjectsDetector(
        "objects",
        path,
        CLASS_MAP,
        info,
        imgsz=int(imgsz or entry.get("imgsz", 320)),
        conf=conf,
        verify=verify,
    )
