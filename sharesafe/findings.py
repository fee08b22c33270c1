"""Post-processing every scan applies to raw detector output: pad boxes, then merge overlaps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sharesafe.types import Box, Category, Finding

#: Padding per side as a fraction of the box size. Privacy over-redacts: faces grow most because
#: detectors box the inner face and leave hair, ears and jaw outside.
PADDING: Mapping[Category, float] = {
    Category.FACE: 0.25,
    Category.TEXT: 0.12,
    Category.PLATE: 0.15,
    Category.BADGE: 0.15,
    Category.CODE: 0.10,
    Category.WEAPON: 0.10,
}
DEFAULT_PADDING = 0.08
#: Minimum padding in pixels, so tiny boxes (far-away faces, small print) still get a margin.
MIN_PADDING_PX = 3


def pad(finding: Finding, width: int, height: int, scale: float = 1.0) -> Finding:
    factor = PADDING.get(finding.category, DEFAULT_PADDING) * scale
    return finding.with_box(finding.box.padded(factor, width, height, minimum=MIN_PADDING_PX))


def _same_object(a: Finding, b: Finding, iou_threshold: float) -> bool:
    if a.category is not b.category:
        return False
    inter = a.box.intersection(b.box)
    if inter == 0:
        return False
    smaller = min(a.box.area, b.box.area) or 1
    return a.box.iou(b.box) >= iou_threshold or inter / smaller >= 0.85


def _combine(a: Finding, b: Finding) -> Finding:
    keep, other = (a, b) if a.score >= b.score else (b, a)
    details = [d for d in (keep.detail, other.detail) if d]
    detail = " | ".join(dict.fromkeys(details)) or None
    detectors = dict.fromkeys([*keep.detector.split("+"), *other.detector.split("+")])
    extra = {**other.extra, **keep.extra}
    return Finding(
        category=keep.category,
        label=keep.label,
        score=keep.score,
        box=keep.box.union(other.box),  # union: covering both is the over-redacting choice
        detector="+".join(detectors),
        detail=detail,
        extra=extra,
    )


def merge(findings: Iterable[Finding], iou_threshold: float = 0.4) -> list[Finding]:
    """Merge findings of one category that box the same object; the result is sorted by position."""
    pending = list(findings)
    merged: list[Finding] = []
    while pending:
        current = pending.pop(0)
        changed = True
        while changed:
            changed = False
            rest: list[Finding] = []
            for other in pending:
                if _same_object(current, other, iou_threshold):
                    current = _combine(current, other)
                    changed = True
                else:
                    rest.append(other)
            pending = rest
        merged.append(current)
    return sorted(merged, key=lambda f: (f.box.y1, f.box.x1, f.category.value))


def postprocess(
    findings: Iterable[Finding], width: int, height: int, padding_scale: float = 1.0
) -> list[Finding]:
    """Clip, pad and merge raw detector findings for an image of `width` x `height`. The result has no
    ids yet: the scan that collects it gives them (`ScanResult.ensure_ids`)."""
    clipped = []
    for f in findings:
        box = Box.from_xyxy(f.box.x1, f.box.y1, f.box.x2, f.box.y2, width, height)
        if box.is_empty:
            continue
        clipped.append(pad(f.with_box(box), width, height, padding_scale))
    return merge(clipped)
