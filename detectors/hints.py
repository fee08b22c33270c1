"""`hints`: an ImageNet classifier's opinion on weapons, uniforms and emergency vehicles.

These are hints, not detections: EfficientNet-Lite0 was trained on ImageNet photos where the object
fills the frame, so it names a revolver held by someone across a CCTV scene rarely. The detector
classifies the whole image, its four quadrant tiles, and the person and vehicle boxes earlier
detectors found (`context`), and emits a finding with the crop's box when a group of classes scores
above the group's threshold (a vehicle's own crop counts for the vehicle groups only: see
`HintGroup.on_vehicle_crops`). Labels say where the opinion comes from: "hint: revolver (ImageNet)".

Thresholds were chosen on ../shared/evaldata with `scripts/eval_hints.py` (weapon/ pistols as positives,
metadata/ and face/ photos as negatives, person boxes from the YOLOv8s person model). Measured
(whole image + 4 tiles + person crops, 12 positives, 186 negatives):

    weapon  t=0.02: 5/12 found, 7/186 negatives flagged | t=0.05: 4/12, 2/186 | t=0.10: 2/12, 1/186
    uniform t=0.05: 5/186 negatives flagged | t=0.10: 1/186;  police van t=0.05: 1/186 | t=0.10: 0/186
    ambulance/fire engine t=0.02: 3/186 | t=0.05: 0/186

Vehicle groups (police van, ambulance/fire engine) need 0.6 on a vehicle's own crop and on a
whole-photo or tile crop that holds a vehicle an earlier detector boxed (`coco`): ImageNet gives
"police van" 0.10-0.55 to civilian car crops. The low thresholds stay for photos with no vehicle box.

Privacy over-redacts, so the weapon threshold sits low (0.05: a third of the CCTV pistols, ~1 % of
ordinary photos flagged). Whole-image classification alone found none of the 12 pistols.
Median classifier time ~115 ms per image (5 crops + persons) on 2 cores.
On the 110 hi-vis/helmet worker photos of ../shared/traindata/hivis_vest_helmet/images/val (no
weapons, no police): uniform fires on 36 (hi-vis vests read as "bulletproof vest"), weapon on 14,
emergency vehicle on 2, police van on 0 (`scripts/eval_hints.py --folder ...`). Since 2026-12-05 a
"bulletproof vest" reading does not count on a crop that holds a hi-vis vest `objects` found
(`HintGroup.explained_by_hivis`): with persons and objects, uniform hints on those photos 97 -> 77
(35 -> 33 photos; most of the rest are on people whose vest `objects` did not box).
The scan no longer uses the uniform reading (`SCAN_GROUPS`): the learned `uniform` head judges people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from detectors import backbone
from detectors.crop_head import crops_of
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.geometry import is_on
from sharesafe.types import Box, Category, Finding


@dataclass(frozen=True, slots=True)
class HintGroup:
    category: Category
    classes: tuple[str, ...]
    threshold: float  # on the summed probability of `classes` in one crop
    what: str
    #: Judged on a vehicle's own crop too (the vehicle groups); the others only on the whole photo,
    #: the tiles and person crops. ImageNet reads chrome, grilles and wheels as weapons: on 351 car
    #: photos of our own (the plate model's Open Images validation photos) the weapon group fired on
    #: 21 vehicle crops, all false (15 photos had no other weapon finding), against 0 of the 109
    #: weapon hints on the 147 gun photos of the gun set's validation split and 0 on the 110 hi-vis
    #: worker photos; a weapon near a car is still judged on the photo, the tiles and the people.
    on_vehicle_crops: bool = False
    #: Classes a hi-vis vest (an `objects` vest box on the crop) explains: on such a crop they do not
    #: count. ImageNet reads a hi-vis vest as a "bulletproof vest" (36 of the 110 hi-vis worker
    #: photos of ../shared/traindata); a hi-vis vest is not a police uniform.
    explained_by_hivis: tuple[str, ...] = ()


#: Class groups. Thresholds from scripts/eval_hints.py (see module docstring).
GROUPS: tuple[HintGroup, ...] = (
    HintGroup(Category.WEAPON, ("revolver", "rifle", "assault rifle", "holster"), 0.05, "weapon"),
    HintGroup(
        Category.UNIFORM,
        ("military uniform", "bulletproof vest"),
        0.10,
        "uniform",
        explained_by_hivis=("bulletproof vest",),
    ),
    HintGroup(Category.VEHICLE, ("police van",), 0.10, "police vehicle", on_vehicle_crops=True),
    HintGroup(
        Category.VEHICLE, ("ambulance", "fire engine"), 0.10, "emergency vehicle", on_vehicle_crops=True
    ),
)

#: The groups a scan uses: all but the uniform reading. Uniforms are judged by the learned `uniform`
#: head on each person instead (in the default scan since 2026-12-05): on our held-out photos the
#: ImageNet reading flagged hi-vis construction workers 0.88 times a photo against the head's 0.20,
#: for a few points more recall (docs/detectors.md, "uniform"). `HintsDetector(GROUPS)` still reads it.
SCAN_GROUPS: tuple[HintGroup, ...] = tuple(g for g in GROUPS if g.category is not Category.UNIFORM)

#: On a crop already known to be a vehicle (a `coco` box) ImageNet gives "police van" some mass for
#: any car: 0.10-0.55 on civilian cars. Vehicle groups there need this much (a priori, see docs).
VEHICLE_CROP_THRESHOLD = 0.6
#: The same holds for the whole photo or a tile when a known vehicle lies this much inside it: that
#: vehicle is judged on its own crop; the low threshold stays for photos where no vehicle was boxed.
VEHICLE_INSIDE = 0.6
#: ... or when known vehicles fill this much of the crop (a tile of a car that fills the photo).
VEHICLE_FILLS = 0.4
#: The hi-vis vest findings (`objects`) that explain a "bulletproof vest" reading.
HIVIS_DETECTOR = "objects"
HIVIS_LABEL = "hi-vis vest"
#: ... when this much of the vest lies inside the crop.
VEST_INSIDE = 0.6
#: Crops smaller than this (either side, pixels) are not classified: ImageNet needs some detail.
MIN_CROP = 24
#: Person/vehicle boxes are padded by this fraction before cropping (a holster sits at the edge).
CROP_PAD = 0.10


@dataclass(frozen=True, slots=True)
class _Crop:
    box: Box
    source: str  # "image", "tile", "person", "vehicle"


class HintsDetector:
    name = "hints"
    categories = frozenset({Category.WEAPON, Category.UNIFORM, Category.VEHICLE})
    #: Classifies the crops of people and vehicles found before it; reads hi-vis vests (UNIFORM).
    context_categories = frozenset({Category.PERSON, Category.VEHICLE, Category.UNIFORM})
    info: ModelInfo = backbone.INFO

    def __init__(self, groups: Sequence[HintGroup] = GROUPS, tiles: bool = True) -> None:
        self.groups = tuple(groups)
        self.tiles = tiles
        # What it reports and reads follows its groups, so the scan does not wait on it (or make it
        # wait for the vests) for a reading it does not make.
        self.categories = frozenset(g.category for g in self.groups)
        reads_vests = any(g.explained_by_hivis for g in self.groups)
        self.context_categories = frozenset(
            {Category.PERSON, Category.VEHICLE} | ({Category.UNIFORM} if reads_vests else set())
        )
        self._index: dict[str, int] | None = None

    def load(self) -> None:
        backbone.get_backbone().load()
        self._class_index()

    def _class_index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {n: i for i, n in enumerate(backbone.imagenet_classes())}
            missing = [c for g in self.groups for c in g.classes if c not in self._index]
            if missing:
                raise ValueError(f"unknown ImageNet class name(s): {missing}")
        return self._index

    def crops(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[_Crop]:
        h, w = image.shape[:2]
        out = [_Crop(Box(0, 0, w, h), "image")]
        if self.tiles and min(w, h) >= 4 * MIN_CROP:
            # Overlapping quadrants (60 % of each side) so an object on a seam is whole in one tile.
            tw, th = int(w * 0.6), int(h * 0.6)
            for x0, y0 in ((0, 0), (w - tw, 0), (0, h - th), (w - tw, h - th)):
                out.append(_Crop(Box(x0, y0, x0 + tw, y0 + th), "tile"))
        for f in context:
            if f.detector == self.name:
                continue
            if f.category is Category.PERSON:
                source = "person"
            elif f.category is Category.VEHICLE:
                source = "vehicle"
            else:
                continue
            box = f.box.padded(CROP_PAD, w, h)
            if box.width >= MIN_CROP and box.height >= MIN_CROP:
                out.append(_Crop(box, source))
        return out

    def scores(
        self, image: RGBImage, context: Sequence[Finding] = ()
    ) -> tuple[list[_Crop], np.ndarray, np.ndarray]:
        """Crops, their (n_crops, n_groups) group scores and class probabilities (for eval_hints.py)."""
        crops = self.crops(image, context)
        # Cut the crops from a copy of at most 1344 px (six network inputs across), shared with the
        # other detectors: shrinking 12 MP crops to 224 px one by one costs far more and adds nothing.
        pieces = crops_of(image, [c.box for c in crops], 1344)
        probs = backbone.get_backbone().probs(pieces)
        index = self._class_index()
        cols = [[index[n] for n in g.classes] for g in self.groups]
        group_scores = np.stack([probs[:, c].sum(axis=1) for c in cols], axis=1)
        return crops, group_scores, probs

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        crops, group_scores, probs = self.scores(image, context)
        index = self._class_index()
        vehicles = [f.box for f in context if f.category is Category.VEHICLE and f.detector != self.name]
        vests = [f.box for f in context if f.detector == HIVIS_DETECTOR and f.label == HIVIS_LABEL]
        findings: list[Finding] = []
        for gi, group in enumerate(self.groups):
            for ci, crop in enumerate(crops):
                if crop.source == "vehicle" and not group.on_vehicle_crops:
                    continue
                score = float(group_scores[ci, gi])
                counted = group.classes
                if group.explained_by_hivis and any(is_on(v, crop.box, VEST_INSIDE) for v in vests):
                    counted = tuple(c for c in group.classes if c not in group.explained_by_hivis)
                    score = float(probs[ci, [index[n] for n in counted]].sum())
                threshold = group.threshold
                if group.category is Category.VEHICLE and (
                    crop.source == "vehicle" or _holds_a_vehicle(crop.box, vehicles)
                ):
                    threshold = max(threshold, VEHICLE_CROP_THRESHOLD)
                if score < threshold:
                    continue
                top = max(counted, key=lambda n: probs[ci, index[n]])
                findings.append(
                    Finding(
                        category=group.category,
                        label=f"hint: {top} (ImageNet)",
                        score=score,
                        box=crop.box,
                        detector=self.name,
                        detail=f"{group.what} hint from an ImageNet classifier on the {crop.source} crop",
                        extra={"imagenet_class": top, "crop": crop.source, "group": group.what},
                    )
                )
        return findings


def _holds_a_vehicle(crop: Box, vehicles: Sequence[Box]) -> bool:
    """A known vehicle lies mostly inside this crop, or fills much of it (a tile of a car that fills
    the photo): the classifier is judging that vehicle again."""
    return any(is_on(v, crop, VEHICLE_INSIDE) or is_on(crop, v, VEHICLE_FILLS) for v in vehicles)


def create() -> HintsDetector:
    return HintsDetector(SCAN_GROUPS)
