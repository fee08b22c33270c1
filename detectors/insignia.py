"""`insignia`: badges, patches and crests on a uniform, found on the crops of uniformed people.

A force's own badge is what the force kit recognises; this detector is the generic finding beside it:
"something worn on a uniform that identifies a force, a rank or a person" (a shoulder patch, a star or
shield badge on the chest, a cap badge, rank insignia, a name tag). No labelled public photos of
insignia on uniforms were found to learn it from, so it is a rule over colours and shapes, and it only
looks where an earlier detector already said "uniform":

* uniformed people: each person box (`persons`, at least `MIN_HEIGHT` px tall) that lies on a UNIFORM
  finding of another detector (ImageNet's uniform group on the photo or the person, the learned uniform
  head, POLICE text on a person, a force kit), or holds one. A hi-vis vest alone does not make a
  uniform (construction workers), so `objects`' vest findings do not count.
* on the person crop (scaled to `WORK_HEIGHT` px), the upper body below the face (`BODY_ROWS`): its
  colours are clustered (k-means in CIELAB, `COLOURS` clusters), the biggest cluster is the garment,
  and each connected part of a cluster that is neither near the garment's colour (`COLOUR_DISTANCE`)
  nor skin is a candidate mark;
* a mark is an insignia when it is emblem-sized (`MIN_SHARE`..`MAX_SHARE` of the body area), compact
  (aspect, fill of its box, solidity), away from the crop's sides (background showing past the arms),
  and has detail inside (edges: a crest, lettering, a star's points) or a strong colour (a coloured
  patch, a gold or silver badge), and it is not mostly inside a face, weapon, screen or plate box.

Each insignia becomes a BADGE finding (solid fill, like text) on its box grown by `PAD`, labelled
"insignia: badge or patch on a uniform". What it misses: insignia on people no detector calls
uniformed, and badges the colour of the garment; what it over-covers: pockets, buttons, radios or
pens of a contrasting colour on a uniform (a small box each, on someone already flagged). On real
photos that is most of what it finds (docs/detectors.md, "insignia"), so it is not in the default scan.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from detectors.crop_head import crops_of
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.geometry import is_on
from sharesafe.types import Box, Category, Finding

#: People shorter than this (photo pixels) show no readable insignia.
MIN_HEIGHT = 96
#: At most this many people are examined, largest first; at most this many insignia each.
MAX_PERSONS = 8
MAX_PER_PERSON = 4
#: Person crops are cut from the copy `hints` and `uniform` use, and examined at this height.
WORK_SIDE = 1344
WORK_HEIGHT = 256
#: Rows of the person box (share of its height) that hold shoulders, chest and upper arms.
BODY_ROWS = (0.14, 0.62)
#: Blobs within this share of the box's width from its sides are background showing past the arms.
SIDE_MARGIN = 0.01
#: Colour clusters on the upper body, and the CIELAB distance (OpenCV's 8-bit scale) from the garment's
#: colour that makes a cluster a mark rather than the garment in shade.
COLOURS = 5
COLOUR_DISTANCE = 30.0
#: Blob area as a share of the examined body area.
MIN_SHARE = 0.002
MAX_SHARE = 0.06
#: Shape: width/height within these, at least this much of the blob's box filled, and solidity.
ASPECT = (0.33, 3.0)
MIN_FILL = 0.35
MIN_SOLIDITY = 0.6
#: Detail inside the blob's box (share of edge pixels), or colour (mean HSV saturation, 0-255).
MIN_EDGE_SHARE = 0.12
MIN_SATURATION = 110
#: Boxes are grown by this share of their size (privacy over-redacts).
PAD = 0.3
#: Marks this much inside a face, a weapon or a screen are those, not insignia.
AVOID_OVERLAP = 0.3
AVOID = frozenset({Category.FACE, Category.WEAPON, Category.SCREEN, Category.PLATE})
#: Detectors whose UNIFORM findings do not make a person uniformed here (hi-vis vests).
NOT_A_UNIFORM = frozenset({"objects"})


def uniformed_people(context: Sequence[Finding], own: str = "insignia") -> list[Box]:
    """Person boxes that lie on, or hold, a uniform finding of another detector; largest first."""
    uniforms = [
        f.box
        for f in context
        if f.category is Category.UNIFORM and f.detector not in NOT_A_UNIFORM and f.detector != own
    ]
    people = [
        f.box
        for f in context
        if f.category is Category.PERSON
        and f.box.height >= MIN_HEIGHT
        and any(is_on(f.box, u, 0.6) or is_on(u, f.box, 0.6) for u in uniforms)
    ]
    return sorted(people, key=lambda b: -b.area)[:MAX_PERSONS]


def _skin(ycrcb: np.ndarray) -> np.ndarray:
    cr, cb = ycrcb[..., 1], ycrcb[..., 2]
    return (cr >= 135) & (cr <= 180) & (cb >= 85) & (cb <= 135)


def _blobs(body: np.ndarray) -> list[np.ndarray]:
    """Masks of the marks on a garment: the connected parts of each colour that is not the garment's.

    Colours are found by k-means in CIELAB (`COLOURS` clusters); the garment is the biggest cluster, and
    clusters close to it (within `COLOUR_DISTANCE`) or skin-coloured are not marks. Each mark's mask has
    its holes filled (a ring or a crest inside a patch belongs to the patch)."""
    lab = cv2.cvtColor(body, cv2.COLOR_RGB2LAB)
    pixels = lab.reshape(-1, 3).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 12, 1.0)
    cv2.setRNGSeed(0)
    best = np.zeros((len(pixels), 1), np.int32)
    _, found, centres_mat = cv2.kmeans(pixels, COLOURS, best, criteria, 1, cv2.KMEANS_PP_CENTERS)
    labels = np.asarray(found).reshape(body.shape[:2])
    centres = np.asarray(centres_mat, dtype=np.float32)
    garment = int(np.bincount(labels.ravel(), minlength=COLOURS).argmax())
    out = []
    for c in range(COLOURS):
        if c == garment or np.linalg.norm(centres[c] - centres[garment]) <= COLOUR_DISTANCE:
            continue
        rgb = cv2.cvtColor(centres[c].reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_LAB2RGB)
        if _skin(cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)).item():
            continue
        mask = cv2.morphologyEx((labels == c).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            filled = np.zeros_like(mask)
            cv2.drawContours(filled, [contour], -1, 1, -1)
            out.append(filled)
    return out


def insignia_in(crop: RGBImage) -> list[tuple[int, int, int, int, str]]:
    """Insignia boxes (x1, y1, x2, y2 in `crop` pixels) on the upper body of one person crop, with what
    made each one count ("detail" or "colour")."""
    h, w = crop.shape[:2]
    if h < 16 or w < 8:
        return []
    k = WORK_HEIGHT / h
    small = cv2.resize(crop, (max(8, round(w * k)), WORK_HEIGHT), interpolation=cv2.INTER_AREA)
    sw = small.shape[1]
    top, bottom = int(WORK_HEIGHT * BODY_ROWS[0]), int(WORK_HEIGHT * BODY_ROWS[1])
    body = np.ascontiguousarray(small[top:bottom])
    body_area = float(body.shape[0] * body.shape[1])
    edges = cv2.Canny(cv2.cvtColor(body, cv2.COLOR_RGB2GRAY), 60, 150) > 0
    saturation = cv2.cvtColor(body, cv2.COLOR_RGB2HSV)[..., 1]
    margin = max(1, int(sw * SIDE_MARGIN))
    found: list[tuple[float, tuple[int, int, int, int, str]]] = []
    for blob in _blobs(body):
        area = float(blob.sum())
        x, y, bw, bh = cv2.boundingRect(blob)
        if not MIN_SHARE * body_area <= area <= MAX_SHARE * body_area:
            continue
        if x < margin or x + bw > sw - margin or not ASPECT[0] <= bw / bh <= ASPECT[1]:
            continue
        if area < MIN_FILL * bw * bh:
            continue
        contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = cv2.contourArea(cv2.convexHull(np.vstack(contours)))
        if hull <= 0 or area / hull < MIN_SOLIDITY:
            continue
        inside = blob[y : y + bh, x : x + bw] > 0
        detail = float(edges[y : y + bh, x : x + bw][inside].mean())
        colour = float(saturation[y : y + bh, x : x + bw][inside].mean())
        why = "detail" if detail >= MIN_EDGE_SHARE else "colour" if colour >= MIN_SATURATION else ""
        if not why:
            continue
        box = (int(x / k), int((y + top) / k), int(np.ceil((x + bw) / k)), int(np.ceil((y + top + bh) / k)))
        found.append((area, (*box, why)))
    found.sort(key=lambda t: -t[0])
    kept: list[tuple[int, int, int, int, str]] = []
    for _, b in found:  # a mark inside a bigger one (the ring inside a patch) is part of it
        if not any(b[0] >= o[0] and b[1] >= o[1] and b[2] <= o[2] and b[3] <= o[3] for o in kept):
            kept.append(b)
    return kept[:MAX_PER_PERSON]


class InsigniaDetector:
    name = "insignia"
    categories = frozenset({Category.BADGE})
    info = ModelInfo(
        model="colour and shape rules on the upper body of uniformed people",
        licence="AGPL-3.0-or-later",
        version="1",
        source="sharesafe",
    )

    def load(self) -> None:
        """Nothing to load: colour rules over earlier findings."""

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        people = uniformed_people(context, self.name)
        if not people:
            return []
        ih, iw = image.shape[:2]
        others = [f.box for f in context if f.category in AVOID]
        out: list[Finding] = []
        for person, crop in zip(people, crops_of(image, people, WORK_SIDE), strict=True):
            sx, sy = person.width / crop.shape[1], person.height / crop.shape[0]  # crop -> photo pixels
            for bx1, by1, bx2, by2, why in insignia_in(crop):
                mark = Box.from_xyxy(
                    person.x1 + bx1 * sx,
                    person.y1 + by1 * sy,
                    person.x1 + bx2 * sx,
                    person.y1 + by2 * sy,
                    iw,
                    ih,
                )
                if any(is_on(mark, o, AVOID_OVERLAP) for o in others):
                    continue
                box = mark.padded(PAD, iw, ih)
                out.append(
                    Finding(
                        Category.BADGE,
                        "insignia: badge or patch on a uniform",
                        0.5,
                        box,
                        self.name,
                        detail=f"an emblem-sized {'detailed' if why == 'detail' else 'coloured'} mark on the "
                        "upper body of a person in uniform",
                        extra={"evidence": why},
                    )
                )
        return out


def create() -> InsigniaDetector:
    return InsigniaDetector()
