"""`police_vehicle`: judge each vehicle box of the scan police / not police, and say which evidence fired.

Runs after `coco` (vehicle boxes), `text`, `hints` and `cues`, and reads their findings from
`context`. For every vehicle (at most `MAX_VEHICLES`, largest first) it collects evidence that does
not depend on one force:

* marking: a POLICE-class text (POLICE, POLIZIA, GARDA, SHERIFF...) on the vehicle (text/cues);
* chequered livery: Battenburg or Sillitoe blocks along the body (`detectors.livery`);
* blue/yellow livery: large shares of retro-reflective yellow-green and blue on one vehicle;
* light bar: a short, wide saturated blue/red patch on the roof;
* ImageNet: the `hints` classifier's "police van" (or ambulance / fire engine) on the vehicle crop;
* learned look: a logistic head on EfficientNet-Lite0 embeddings of the vehicle crop and of its top
  half (light bars, roof markings), trained on labelled police and civilian vehicle crops of public
  photos (`models/police_vehicle_head.json`, sha256-checked against models/manifest.toml;
  `models/train_police_vehicle.py`). It fires at or above the head's own threshold, set when it was
  fitted (2 % of civilian crops out of fold).

One finding per vehicle with any evidence, on the vehicle's box: "police vehicle: chequered livery +
light bar" (or "emergency vehicle: ..." when only ambulance/fire evidence fired, e.g. red/yellow
chequers). The score combines the evidence as independent cues, 1 - prod(1 - w_i * s_i).
Kit references run after every registered detector (the CLI appends the kit), so a force kit's
vehicle match stays the kit's own finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from detectors import backbone, livery
from detectors.crop_head import CropHead, crops_of, load_head, probabilities
from detectors.model_manifest import MANIFEST, entry_version
from detectors.model_manifest import entry as manifest_entry
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.geometry import is_on
from sharesafe.types import Box, Category, Finding, TextClass

MAX_VEHICLES = 8
#: Vehicles smaller than this (either side, pixels of the photo) carry no readable livery.
MIN_SIDE = 40
#: Evidence weights (how strongly each cue alone says "police").
W_MARKING = 0.9
W_CHEQUER = 0.8
W_BLUE_YELLOW = 0.5
W_LIGHT_BAR = 0.6
W_IMAGENET = 0.7
W_LEARNED = 0.8
#: The learned head's manifest entry, and how its crops are cut (as in training: box padded by 10 %).
HEAD_ENTRY = "police_vehicle_head"
CROP_PAD = 0.10
#: Chequered when at least this share of the body's rows alternate (about 3 rows of a 100-row crop).
CHEQUER_MIN_ROWS = 0.03
#: Blue/yellow livery: both colours cover at least this share of the crop.
BLUE_YELLOW_MIN = 0.06
#: Light bars weaker than this are not reported.
LIGHT_BAR_MIN = 0.5
#: A text or hint counts for a vehicle when this much of it lies inside the (padded) vehicle box.
ON_FRACTION = 0.6
#: Crops are cut from a copy of at most this size (the livery analysis works at 192 px anyway).
WORK_SIDE = 1600


@dataclass(frozen=True, slots=True)
class Evidence:
    what: str  # shown in the label, e.g. "chequered livery"
    weight: float
    score: float
    police: bool  # False: ambulance / fire evidence


def _inside(inner: Box, outer: Box) -> bool:
    return is_on(inner, outer, ON_FRACTION)


def _is_vehicle(f: Finding, own: str) -> bool:
    return f.category is Category.VEHICLE and f.detector not in (own, "cues", "hints", "kit")


def text_evidence(vehicle: Box, context: Sequence[Finding]) -> list[Evidence]:
    out: list[Evidence] = []
    for f in context:
        is_marking = f.category is Category.TEXT and f.text_class is TextClass.POLICE_MARKING
        if is_marking and _inside(f.box, vehicle):
            out.append(Evidence("marking", W_MARKING, max(f.score, 0.5), True))
            break
    return out


def hint_evidence(vehicle: Box, context: Sequence[Finding]) -> list[Evidence]:
    out: list[Evidence] = []
    for f in context:
        if f.detector != "hints" or f.category is not Category.VEHICLE:
            continue
        if (f.extra or {}).get("crop") != "vehicle" or f.box.iou(vehicle) < 0.5:
            continue
        group = (f.extra or {}).get("group", "")
        cls = (f.extra or {}).get("imagenet_class", "")
        police = group == "police vehicle"
        out.append(Evidence(f"ImageNet {cls}", W_IMAGENET, min(1.0, f.score * 2), police))
    return out


def livery_evidence(crop: RGBImage, roof_visible: bool = True) -> list[Evidence]:
    out: list[Evidence] = []
    rows = livery.chequer_rows(crop)
    for pair, share in rows.items():
        if share >= CHEQUER_MIN_ROWS:
            police = livery.CHEQUER_PAIRS[pair] == "police"
            names = "/".join(livery.COLOUR_NAMES[c] for c in pair)
            out.append(Evidence(f"chequered livery ({names})", W_CHEQUER, min(1.0, share / 0.1), police))
    shares = livery.colour_shares(crop)
    if not any(e.police for e in out) and min(shares["yellow-green"], shares["blue"]) >= BLUE_YELLOW_MIN:
        out.append(Evidence("blue/yellow livery", W_BLUE_YELLOW, 1.0, True))
    bar = livery.light_bar(crop) if roof_visible else None
    if bar is not None and bar.score >= LIGHT_BAR_MIN:
        out.append(Evidence(f"light bar ({bar.colour})", W_LIGHT_BAR, bar.score, True))
    return out


def learned_evidence(p: float, threshold: float) -> list[Evidence]:
    if p < threshold:
        return []
    return [Evidence("learned look", W_LEARNED, p, True)]


def combine(evidence: Sequence[Evidence]) -> float:
    rest = 1.0
    for e in evidence:
        rest *= 1.0 - e.weight * e.score
    return 1.0 - rest


class PoliceVehicleDetector:
    name = "police_vehicle"
    categories = frozenset({Category.VEHICLE})

    def __init__(self, manifest: Path | None = MANIFEST, threshold: float | None = None) -> None:
        """`manifest=None`: the rules alone, without the learned head."""
        self.manifest = manifest
        self._threshold = threshold
        self.head: CropHead | None = None
        if manifest is None:
            self.info = ModelInfo(
                model="livery, light-bar and marking rules over the scan's vehicle boxes",
                licence="AGPL-3.0-or-later",
                version="1",
                source="sharesafe",
            )
        else:
            entry = manifest_entry(HEAD_ENTRY, manifest)
            self.info = ModelInfo(
                model="livery, light-bar and marking rules, and a learned head on EfficientNet-Lite0 "
                f"vehicle-crop embeddings (models/{entry['file']})",
                licence=str(entry.get("licence", "")),
                version=f"2 (head {entry_version(entry)})",
                source="sharesafe (head trained by models/train_police_vehicle.py, see models/manifest.toml)",
            )

    def load(self) -> None:
        if self.manifest is not None and self.head is None:
            self.head = load_head(HEAD_ENTRY, self.manifest)
            backbone.get_backbone().load()

    @property
    def threshold(self) -> float:
        self.load()
        if self._threshold is not None:
            return self._threshold
        return self.head.threshold if self.head is not None else 1.0

    def looks(self, image: RGBImage, vehicles: Sequence[Box]) -> list[float]:
        """The learned head's P(police) for each vehicle box (zeros without a head)."""
        self.load()
        if self.head is None or not vehicles:
            return [0.0] * len(vehicles)
        h, w = image.shape[:2]
        boxes = [v.padded(CROP_PAD, w, h) for v in vehicles]
        return [float(p) for p in probabilities(self.head, image, boxes, WORK_SIDE)]

    def judge(
        self, image: RGBImage, vehicle: Box, context: Sequence[Finding], look: float = 0.0
    ) -> list[Evidence]:
        crop = crops_of(image, [vehicle], WORK_SIDE)[0]
        # a box cut by the photo's top edge has no roof line to find a light bar on
        livery_found = livery_evidence(crop, roof_visible=vehicle.y1 > 2)
        learned = learned_evidence(look, self.threshold) if self.head is not None else []
        return text_evidence(vehicle, context) + livery_found + hint_evidence(vehicle, context) + learned

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        vehicles = sorted(
            (f for f in context if _is_vehicle(f, self.name) and min(f.box.width, f.box.height) >= MIN_SIDE),
            key=lambda f: -f.box.area,
        )[:MAX_VEHICLES]
        out: list[Finding] = []
        looks = self.looks(image, [v.box for v in vehicles])
        for v, look in zip(vehicles, looks, strict=True):
            evidence = self.judge(image, v.box, context, look)
            if not evidence:
                continue
            police = any(e.police for e in evidence)
            shown = [e for e in evidence if e.police] if police else list(evidence)
            what = " + ".join(dict.fromkeys(e.what for e in shown))
            kind = "police vehicle" if police else "emergency vehicle"
            out.append(
                Finding(
                    Category.VEHICLE,
                    f"{kind}: {what}",
                    combine(evidence),
                    v.box,
                    self.name,
                    detail=f"{v.label} judged {kind} from {what}",
                    extra={
                        "evidence": [e.what for e in evidence],
                        "vehicle_label": v.label,
                        "p_police_look": round(look, 4),
                    },
                )
            )
        return out


def create() -> PoliceVehicleDetector:
    return PoliceVehicleDetector()
