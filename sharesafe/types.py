"""Core value types shared by every layer: one `Finding` flows from detector to GUI, report and exporter."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class Category(enum.StrEnum):
    """What a finding shows. The values are stable strings used in JSON, CSV and policy files."""

    FACE = "face"
    PERSON = "person"
    UNIFORM = "uniform"
    WEAPON = "weapon"
    VEHICLE = "vehicle"
    BADGE = "badge"
    PREMISES = "premises"
    TEXT = "text"
    PLATE = "plate"
    CODE = "code"
    SCREEN = "screen"
    DOCUMENT = "document"
    MANUAL = "manual"


#: Categories that may show something readable (text, a number, a code). They are always covered
#: with a solid fill (blur and pixelation can leave them legible), and the audit record names them by
#: class, never by what was read.
SOLID_FILL_CATEGORIES: frozenset[Category] = frozenset(
    {Category.TEXT, Category.PLATE, Category.BADGE, Category.CODE, Category.DOCUMENT, Category.SCREEN}
)


class TextClass(enum.StrEnum):
    """What a piece of readable text is (the text detector's classifier). Stable strings used in
    JSON, CSV and policy files (`text_class = [...]`); stored in `Finding.extra["text_class"]`."""

    PROTECTIVE_MARKING = "protective_marking"
    POLICE_MARKING = "police_marking"
    NAME_OR_NUMBER = "name_or_number"  # names, collar and shoulder numbers
    PLATE = "plate"
    ADDRESS = "address"  # house numbers, street names, postcodes
    OTHER = "other"


class Risk(enum.StrEnum):
    """How much a metadata item or a photo gives away."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RISK_ORDER[self]


_RISK_ORDER = {Risk.NONE: 0, Risk.LOW: 1, Risk.MEDIUM: 2, Risk.HIGH: 3}


def max_risk(risks: list[Risk] | tuple[Risk, ...]) -> Risk:
    """The highest of `risks` (NONE for an empty sequence)."""
    best = Risk.NONE
    for risk in risks:
        if risk.rank > best.rank:
            best = risk
    return best


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box in upright pixel coordinates, x1 <= x2 and y1 <= y2 (exclusive right/bottom)."""

    x1: int
    y1: int
    x2: int
    y2: int

    def __post_init__(self) -> None:
        if self.x2 < self.x1 or self.y2 < self.y1:
            raise ValueError(f"box has negative size: {self.as_list()}")

    @classmethod
    def from_xyxy(cls, x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> Box:
        """Round outward to whole pixels and clip to a `width` x `height` image."""
        lo_x, hi_x = sorted((x1, x2))
        lo_y, hi_y = sorted((y1, y2))
        ix1 = min(max(int(lo_x // 1), 0), width)
        iy1 = min(max(int(lo_y // 1), 0), height)
        ix2 = min(max(int(-(-hi_x // 1)), ix1), width)
        iy2 = min(max(int(-(-hi_y // 1)), iy1), height)
        return cls(ix1, iy1, ix2, iy2)

    @property
    def width(self) -> int:
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def is_empty(self) -> bool:
        return self.width == 0 or self.height == 0

    def as_list(self) -> list[int]:
        return [self.x1, self.y1, self.x2, self.y2]

    def intersection(self, other: Box) -> int:
        w = min(self.x2, other.x2) - max(self.x1, other.x1)
        h = min(self.y2, other.y2) - max(self.y1, other.y1)
        return max(w, 0) * max(h, 0)

    def iou(self, other: Box) -> float:
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x1, other.x1), min(self.y1, other.y1), max(self.x2, other.x2), max(self.y2, other.y2)
        )

    def padded(self, factor: float, width: int, height: int, minimum: int = 0) -> Box:
        """Grow each side by `factor` of the box size (at least `minimum` px), clipped to the image."""
        dx = max(self.width * factor, minimum)
        dy = max(self.height * factor, minimum)
        return Box.from_xyxy(self.x1 - dx, self.y1 - dy, self.x2 + dx, self.y2 + dy, width, height)


@dataclass(frozen=True, slots=True)
class Finding:
    """Something visible in a photo that may need covering."""

    category: Category
    label: str
    score: float
    box: Box
    detector: str
    detail: str | None = None
    #: Free-form extra facts from the detector (e.g. text class, matched kit reference).
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: Stable identity within one photo's scan ("f1", "f2", ...; "m1"... for regions the user drew),
    #: given by the core when it collects a scan's findings (`ScanResult.ensure_ids`); detectors leave
    #: it empty. The review, the export and the audit record refer to a finding by it.
    id: str = ""

    def with_box(self, box: Box) -> Finding:
        return replace(self, box=box)

    def with_id(self, finding_id: str) -> Finding:
        return replace(self, id=finding_id)

    @property
    def text_class(self) -> TextClass | None:
        """The class of readable text the detector gave this finding (None when it gave none, or a
        value that is not a known class)."""
        value = self.extra.get("text_class") if self.extra else None
        try:
            return TextClass(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "category": self.category.value,
            "label": self.label,
            "score": round(float(self.score), 4),
            "box": self.box.as_list(),
            "detector": self.detector,
            "detail": self.detail,
        }
        if self.extra:
            out["extra"] = dict(self.extra)
        return out


class MetadataKind(enum.StrEnum):
    """Plain-language groups an officer understands; policies map these to severities."""

    LOCATION = "location"
    DEVICE = "device"
    PEOPLE = "people"
    TIME = "time"
    HIDDEN = "hidden"
    TECHNICAL = "technical"


@dataclass(frozen=True, slots=True)
class MetadataItem:
    """One piece of metadata found in a file, with why it matters."""

    group: str  # where it lives, e.g. "EXIF:GPS", "XMP", "PNG:tEXt", "JPEG:APP2 MPF"
    tag: str
    value: str
    risk: Risk
    why: str
    kind: MetadataKind = MetadataKind.TECHNICAL

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "tag": self.tag,
            "value": self.value,
            "risk": self.risk.value,
            "why": self.why,
            "kind": self.kind.value,
        }


@dataclass(slots=True)
class ScanResult:
    """Everything known about one input file after a scan."""

    path: Path
    sha256: str | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None
    findings: list[Finding] = field(default_factory=list)
    metadata: list[MetadataItem] = field(default_factory=list)
    error: str | None = None
    #: Detectors that failed on this file (name -> message); the scan still returns what the others found.
    detector_errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def risk(self) -> Risk:
        if self.error is not None:
            return Risk.NONE
        risks = [m.risk for m in self.metadata]
        if self.findings:
            risks.append(Risk.HIGH)
        return max_risk(risks)

    def ensure_ids(self) -> None:
        """Give every finding without an id one ("f1", "f2", ... in list order, skipping ids in use).
        Idempotent; a finding's id never changes once given."""
        used = {f.id for f in self.findings if f.id}
        if len(used) == sum(1 for f in self.findings if f.id) and len(used) == len(self.findings):
            return
        seen: set[str] = set()
        n = 0
        out: list[Finding] = []
        for f in self.findings:
            if f.id and f.id not in seen:
                seen.add(f.id)
                out.append(f)
                continue
            n += 1
            while f"f{n}" in used or f"f{n}" in seen:
                n += 1
            seen.add(f"f{n}")
            out.append(f.with_id(f"f{n}"))
        self.findings = out

    def finding(self, finding_id: str) -> Finding:
        """The finding with this id (KeyError when the scan has none)."""
        for f in self.findings:
            if f.id == finding_id:
                return f
        raise KeyError(finding_id)

    @property
    def has_risks(self) -> bool:
        """Anything to act on: a finding, or metadata of medium risk or more (an ICC colour profile
        or JFIF density alone is not a risk)."""
        return self.ok and (bool(self.findings) or self.risk.rank >= Risk.MEDIUM.rank)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "risk": self.risk.value,
            "findings": [f.to_json() for f in self.findings],
            "metadata": [m.to_json() for m in self.metadata],
            "error": self.error,
            "detector_errors": dict(self.detector_errors),
        }


@dataclass(slots=True)
class ExportResult:
    """What an export wrote and whether the written file verified clean."""

    source: Path
    output: Path | None
    source_sha256: str | None = None
    output_sha256: str | None = None
    mode: str = "reencode"  # "reencode" or "lossless"
    covered: list[Finding] = field(default_factory=list)
    left: list[Finding] = field(default_factory=list)
    metadata_removed: list[MetadataItem] = field(default_factory=list)
    #: Metadata still present in the export (must be empty or allow-listed for `verified`).
    leftover: list[MetadataItem] = field(default_factory=list)
    #: Findings the re-scan of the export still saw inside covered regions.
    rescan_findings: list[Finding] = field(default_factory=list)
    verified: bool = False
    error: str | None = None
    #: A copy that did not verify is never named as a safe copy: when kept, it is here, under
    #: `NOT-SAFE/` in the output folder (`output` stays None).
    unsafe_copy: Path | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.verified

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "output": str(self.output) if self.output else None,
            "source_sha256": self.source_sha256,
            "output_sha256": self.output_sha256,
            "mode": self.mode,
            "covered": [f.to_json() for f in self.covered],
            "left": [f.to_json() for f in self.left],
            "metadata_removed": [m.to_json() for m in self.metadata_removed],
            "leftover": [m.to_json() for m in self.leftover],
            "rescan_findings": [f.to_json() for f in self.rescan_findings],
            "verified": self.verified,
            "error": self.error,
            "unsafe_copy": str(self.unsafe_copy) if self.unsafe_copy else None,
        }
