"""`objects`: ShareSafe's own detector for firearms and hi-vis vests (weights in models/, see its manifest).

Emits a WEAPON finding per firearm (and per knife, for a model with a knife class: the classes come
from the manifest, `KNOWN_CLASSES`) and a UNIFORM finding ("hi-vis vest") per vest. When the scan already
found people (`context` holds PERSON findings, e.g. from `persons`), a person whose box contains most of a
vest also gets a UNIFORM finding, "hi-vis vest wearer", on the whole person (so the cover takes the
person, not only the vest). It says no more than the vest does: hi-vis alone is not a police uniform
(construction workers wear it); the `uniform` head judges the person's clothes.

Firearms are small: the model looks at the whole photo, then again at each person (hands, belt, holster)
and at tiles of a large photo where the whole-photo pass saw a weak weapon candidate, each crop at its
own resolution (`detectors.regions`). Weapon boxes from
all views are merged (overlapping boxes of one object become their union) and then padded by
`WEAPON_PAD` of their size: privacy over-redacts. Vests are large, so they come from the whole photo only.

Second look: each merged weapon box is cut out and judged by a small head of our own on its
EfficientNet-Lite0 embedding (`models/weapon_check_head.json`, trained by models/train_weapon_check.py
on `objects`' own boxes on weapon photos and on weapon-free photos). A box the model is not sure of
(score under `SURE`) that the head calls no weapon is dropped as a false alarm; every box kept says
what the head thought (`extra["second_look"]`).

The weights file is checked against the sha256 recorded in models/manifest.toml before it is loaded; a
mismatch or a missing entry refuses to load (the second look's head too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from detectors import backbone, model_manifest, regions
from detectors.crop_head import CropHead, load_head, probabilities
from detectors.model_manifest import (
    MANIFEST,
    MODELS_DIR,
    entry_version,
    shipped_file,
    verify_sha256,
)
from detectors.regions import View, plan_views
from detectors.yolo import ClassMap, ClassTarget, YoloDetector
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.findings import merge
from sharesafe.geometry import is_on
from sharesafe.resize import fit_cheap
from sharesafe.types import Box, Category, Finding

ENTRY = "objects"

#: The model's score threshold (firearms and knives). Privacy over-redacts: with the second look,
#: 0.15 flags as many of our own weapon-free photos as 0.25 did without it (57 against 58 of 473)
#: and more weapons (guns 118 -> 130 of 147, knives 79 -> 86 of 99): chosen on our own held-out
#: photos (docs/detectors.md, objects), not on the eval sets.
CONF = 0.15
#: Per-class thresholds above CONF (a class not named here reports from CONF).
FLOORS: dict[str, float] = {"hivis_vest": 0.25}
#: A person is a "hi-vis vest wearer" when at least this share of a vest box lies inside the person box.
VEST_IN_PERSON = 0.5
#: Merged weapon boxes grow by this share of their size on each side (before the scan's own padding).
WEAPON_PAD = 0.10
#: The second look's head (models/manifest.toml entry) and the side of the photo copy it cuts from
#: (on a 4032 px photo the scan's shared 2016 px halving, not a copy of its own).
CHECK_ENTRY = "weapon_check_head"
CHECK_SIDE = 2048
#: Boxes the model scores at least this are kept whatever the second look says (set a priori: the
#: model's own confident boxes are not second-guessed).
SURE = 0.6
#: What each class a ShareSafe objects model may have becomes, by class name. The model in use lists
#: its classes in models/manifest.toml (`classes`) and `make` maps exactly those, so a model with
#: other classes (a knife class, say) is a change of files, not of code, as long as each is named
#: here; a class the manifest lists but this table lacks, or a model class the manifest does not
#: list, refuses to load rather than going unreported.
KNOWN_CLASSES: dict[str, ClassTarget] = {
    "firearm": ClassTarget(Category.WEAPON, "firearm"),
    "knife": ClassTarget(Category.WEAPON, "knife"),
    "hivis_vest": ClassTarget(Category.UNIFORM, "hi-vis vest"),
}
#: The classes of the first shipped model, for a manifest entry that lists none.
CLASS_MAP: ClassMap = {name: KNOWN_CLASSES[name] for name in ("firearm", "hivis_vest")}


def class_map_for(
    classes: Sequence[str], floors: Mapping[str, float] | None = None
) -> dict[int | str, ClassTarget]:
    """The class map for a model with these class names (see `KNOWN_CLASSES`), each class with its
    threshold from `floors` where it names one."""
    unknown = [c for c in classes if c not in KNOWN_CLASSES]
    if unknown:
        raise ValueError(
            f"objects: model class(es) {unknown} have no finding to map to; add them to "
            "detectors.objects.KNOWN_CLASSES"
        )
    floors = floors or {}
    return {c: replace(KNOWN_CLASSES[c], min_score=floors.get(c)) for c in classes}


def manifest_entry(name: str = ENTRY, manifest: Path = MANIFEST) -> dict[str, Any]:
    """The `[[model]]` entry called `name` (default: this detector's)."""
    return model_manifest.entry(name, manifest)


def candidate_files(name: str = ENTRY) -> list[Path]:
    """Every exported variant of the model lying in models/ (for benchmarks)."""
    return [p for p in (MODELS_DIR / f"{name}.pt", MODELS_DIR / f"{name}.onnx") if p.is_file()]


class ObjectsDetector(YoloDetector):
    #: Looks closer at the people found before it.
    context_categories = frozenset({Category.PERSON})
    #: Look again at person crops and tiles (off: whole photo only, as a plain YoloDetector).
    search: bool = True
    #: A thumbnail is enlarged at most twice (person crops and tiles never are): blown up 56 times,
    #: the 8 x 8 test pictures of `evaldata/metadata` were "firearms" at 0.38 (models/README.md).
    max_upscale: float | None = 2.0
    #: Every model class must be mapped (ShareSafe's own model); off for a general model used for a
    #: few of its classes (the COCO knife in scripts/eval_weapons.py).
    all_classes_mapped: bool = True
    #: The manifest holding the second look's head (None: no second look, every box is reported).
    check_manifest: Path | None = None
    check: CropHead | None = None

    def load(self) -> None:
        super().load()
        if self.check_manifest is not None and self.check is None:
            self.check = load_head(CHECK_ENTRY, self.check_manifest)
            backbone.get_backbone().load()
        if not self.all_classes_mapped:
            return
        names = self._model_names(self._model)
        unmapped = sorted(n for i, n in names.items() if i not in self._targets)
        if unmapped:
            raise ValueError(
                f"objects: the model's class(es) {unmapped} are not in the class map "
                "(models/manifest.toml `classes`): they would go unreported"
            )

    def views(self, image: RGBImage, people: Sequence[Finding]) -> list[View]:
        height, width = int(image.shape[0]), int(image.shape[1])
        if not self.search:
            return [View(Box(0, 0, width, height), "photo")]
        return plan_views(width, height, self.imgsz, [p.box for p in people])

    def weapons_and_vests(
        self, image: RGBImage, people: Sequence[Finding]
    ) -> tuple[list[Finding], list[Finding]]:
        """(weapon findings merged over every view, before the second look; vest findings of the whole photo)."""
        height, width = int(image.shape[0]), int(image.shape[1])
        names = self._model_names(self._model) if self._model is not None else {}
        weapons: list[Finding] = []
        vests: list[Finding] = []
        views = self.views(image, people)
        # Weak weapon boxes of the whole-photo pass: where tiles are worth a pass.
        plan = min(self.conf, regions.PLAN_CONF) if any(v.kind == "tile" for v in views) else self.conf
        candidates: list[Box] = []
        for view in views:
            b = view.box
            if view.kind == "tile" and not regions.worth_a_tile(b, candidates):
                continue
            if view.kind == "photo":
                found = self.predict_raw(image, conf=plan)
                candidates = [
                    Box.from_xyxy(*xyxy, width, height)
                    for cls, _, xyxy in found
                    if (t := self._targets.get(cls)) is not None and t.category is Category.WEAPON
                ]
                found = [r for r in found if r[1] > self.conf]  # exactly the pass at `conf`
            else:
                found = self.predict_raw(np.ascontiguousarray(image[b.y1 : b.y2, b.x1 : b.x2]))
            for cls, score, xyxy in found:
                target = self._targets.get(cls)
                if target is None or (target.min_score is not None and score < target.min_score):
                    continue
                if target.category is not Category.WEAPON and view.kind != "photo":
                    continue
                box = Box.from_xyxy(*view.to_photo(*xyxy), width, height)
                if box.is_empty:
                    continue
                finding = Finding(
                    category=target.category,
                    label=target.label,
                    score=score,
                    box=box,
                    detector=self.name,
                    extra={"model_class": names.get(cls, str(cls)), "view": view.kind},
                )
                (weapons if target.category is Category.WEAPON else vests).append(finding)
        merged = [f.with_box(f.box.padded(WEAPON_PAD, width, height, minimum=2)) for f in merge(weapons)]
        return merged, vests

    def second_look(self, image: RGBImage, weapons: list[Finding]) -> list[Finding]:
        """The weapon boxes the second look keeps (all of them without a head), each with its verdict."""
        if self.check is None or not weapons:
            return weapons
        looks = probabilities(self.check, image, [w.box for w in weapons], CHECK_SIDE, fit_cheap)
        return [
            replace(w, extra={**w.extra, "second_look": round(float(p), 3)})
            for w, p in zip(weapons, looks, strict=True)
            if p >= self.check.threshold or w.score >= SURE
        ]

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        self.load()
        people = [f for f in context if f.category is Category.PERSON]
        weapons, vests = self.weapons_and_vests(image, people)
        weapons = self.second_look(image, weapons)
        findings = sorted(weapons + vests, key=lambda f: -f.score)
        for person in people:
            best = None
            for vest in vests:
                if is_on(vest.box, person.box, VEST_IN_PERSON):
                    best = vest if best is None or vest.score > best.score else best
            if best is not None:
                findings.append(
                    Finding(
                        category=Category.UNIFORM,
                        label="hi-vis vest wearer",
                        score=best.score,
                        box=person.box,
                        detector=self.name,
                        detail="hi-vis vest worn by this person",
                        extra={"vest_box": best.box.as_list(), "person_detector": person.detector},
                    )
                )
        return findings


def make(
    weights: Path | None = None,
    manifest: Path = MANIFEST,
    conf: float = CONF,
    imgsz: int | None = None,
    second_look: bool = True,
    floors: Mapping[str, float] | None = FLOORS,
) -> ObjectsDetector:
    """The shipped detector (the file named in the manifest), or another file of the same model
    (benchmarks). The second look runs when asked and the manifest has its head; `floors` are the
    per-class thresholds (None: every class reports from `conf`, for measuring)."""
    shipped, entry = shipped_file(ENTRY, manifest)
    path = Path(weights).resolve() if weights is not None else shipped
    expected = entry["sha256"] if path == shipped else None

    def verify(p: Path) -> None:
        if expected is not None:
            verify_sha256(p, expected)

    look = second_look and model_manifest.has_entry(CHECK_ENTRY, manifest)
    info = ModelInfo(
        model=f"models/{path.name}"
        + (
            f", second look: models/{model_manifest.entry(CHECK_ENTRY, manifest)['file']} "
            "on EfficientNet-Lite0 crop embeddings"
            if look
            else ""
        ),
        licence=str(entry.get("licence", "")),
        version=entry_version(entry),
        source="models/manifest.toml",
    )
    detector = ObjectsDetector(
        "objects",
        path,
        class_map_for([str(c) for c in (entry.get("classes") or CLASS_MAP)], floors),
        info,
        imgsz=int(imgsz or entry.get("imgsz", 320)),
        conf=conf,
        verify=verify,
    )
    if look:
        detector.check_manifest = manifest
    return detector
