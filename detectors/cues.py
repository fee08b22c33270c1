"""`cues`: text-anchored and generic police cues that need no kit.

Runs after the text, persons and objects detectors and reads their findings from `context`:

* a police marking (a TEXT finding with extra["text_class"] == "police_marking", e.g. POLICE, GARDA)
  on a person -> a uniform finding on the person's box; on a vehicle -> a police-vehicle finding on
  the vehicle's box; elsewhere (a wall, a sign) -> a premises finding around the text;
* station and office signage ("POLICE STATION", "SP OFFICE", "POLICE RESERVE", "BATTALION", "THANA",
  "OUTPOST") in any text -> a premises finding around the sign;

A hi-vis vest worn by a person is the `objects` detector's own rule (it finds the vests).

Scores are the product of the evidence's scores with a discount for how indirect the cue is: a
"POLICE" on a person is strong, a word on a wall suggests premises only weakly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.geometry import is_on
from sharesafe.types import Box, Category, Finding, TextClass

SIGNAGE_RE = re.compile(
    r"\b(POLICE\s+STATION|POLICE\s+STN|SP\s+OFFICE|S\.P\.\s*OFFICE|POLICE\s+RESERVE|BATTALION|BN\s+HQ|"
    r"THANA|OUTPOST|POLICE\s+HEADQUARTERS|POLICE\s+HQ|POLICE\s+LINES|CUSTODY\s+SUITE|POLIZEIWACHE|"
    r"POLIZEIREVIER|GARDA\s+STATION|SHERIFF'?S?\s+OFFICE|CONSTABULARY\s+HQ)\b",
    re.IGNORECASE,
)

#: Discounts: how strongly each cue implies what it reports.
W_MARKING_PERSON = 0.9
W_MARKING_VEHICLE = 0.9
W_MARKING_WALL = 0.5
W_SIGNAGE = 0.9
#: A text box counts as "on" an object when this much of it lies inside the object's box.
ON_FRACTION = 0.6
#: Padding around a sign's text for the premises box (fraction of the text box size).
SIGN_PAD = 0.5


def _text_of(f: Finding) -> str:
    text = f.extra.get("text") if f.extra else None
    return str(text if text is not None else (f.detail or ""))


def _on(inner: Box, outer: Box) -> bool:
    return is_on(inner, outer, ON_FRACTION)


class CuesDetector:
    name = "cues"
    categories = frozenset({Category.UNIFORM, Category.VEHICLE, Category.PREMISES})
    info = ModelInfo(
        model="rules over earlier findings", licence="AGPL-3.0-or-later", version="1", source="sharesafe"
    )

    def load(self) -> None:
        """Nothing to load: the cues are rules."""

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        h, w = image.shape[:2]
        persons = [f for f in context if f.category is Category.PERSON]
        vehicles = [f for f in context if f.category is Category.VEHICLE and f.detector != self.name]
        out: list[Finding] = []
        for t in (f for f in context if f.category is Category.TEXT):
            text = _text_of(t)
            is_marking = t.text_class is TextClass.POLICE_MARKING
            signage = SIGNAGE_RE.search(text)
            if not is_marking and not signage:
                continue
            on_person = [p for p in persons if _on(t.box, p.box)]
            on_vehicle = [v for v in vehicles if _on(t.box, v.box)]
            for p in on_person:
                out.append(
                    Finding(
                        Category.UNIFORM,
                        "police uniform (marking on a person)",
                        t.score * p.score * W_MARKING_PERSON,
                        p.box,
                        self.name,
                        detail=f'"{text}" on a person',
                        extra={"cue": "marking_on_person", "text": text},
                    )
                )
            for v in on_vehicle:
                out.append(
                    Finding(
                        Category.VEHICLE,
                        "police vehicle (marking on a vehicle)",
                        t.score * v.score * W_MARKING_VEHICLE,
                        v.box,
                        self.name,
                        detail=f'"{text}" on a vehicle',
                        extra={"cue": "marking_on_vehicle", "text": text},
                    )
                )
            if on_person or on_vehicle:
                continue
            weight = W_SIGNAGE if signage else W_MARKING_WALL
            out.append(
                Finding(
                    Category.PREMISES,
                    "police premises (signage)"
                    if signage
                    else "police premises? (marking on a wall or sign)",
                    t.score * weight,
                    t.box.padded(SIGN_PAD, w, h),
                    self.name,
                    detail=f'"{text}"',
                    extra={"cue": "signage" if signage else "marking_on_wall", "text": text},
                )
            )
        return out


def create() -> CuesDetector:
    return CuesDetector()
