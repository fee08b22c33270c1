"""The decisions about one checked photo, by finding id, in plain Python so any front end can drive them.

A `Review` starts from the defaults the core flow proposes (`sharesafe.jobs.default_review`: the
policy profile's "cover" action, the one rule for what is covered by default) and records what the
user changes: a finding ticked or unticked, a box moved or resized, a region drawn or removed. Every
decision names its finding by `Finding.id`, so the export and the audit record say what happened to
each finding without matching boxes again.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from sharesafe.redact import Shape, Style, style_for
from sharesafe.types import Box, Category, Finding, ScanResult

#: What a region the user drew is called in findings lists and the audit record.
MANUAL_LABEL = "region drawn by the user"
MANUAL_DETECTOR = "manual"


class Decided(enum.StrEnum):
    """What happened to one finding in a safe copy. Stable strings (JSON, CSV)."""

    COVERED = "covered"
    #: The flow proposed to cover it and the user unticked it (or chose "metadata only").
    LEFT_BY_USER = "left_by_user"
    #: The policy profile did not ask to cover it and nobody did.
    NOT_COVERED = "not_covered"
    #: A region the user drew; always covered.
    MANUAL_REGION = "manual_region"

    @property
    def text(self) -> str:
        return _DECIDED_TEXT[self]


_DECIDED_TEXT = {
    Decided.COVERED: "covered",
    Decided.LEFT_BY_USER: "left by the user",
    Decided.NOT_COVERED: "not covered",
    Decided.MANUAL_REGION: "manual region (covered)",
}


class Review:
    """Which findings to cover (by id), boxes the user moved, regions the user drew, and the style."""

    def __init__(
        self,
        scan: ScanResult,
        defaults: Mapping[str, bool],
        *,
        style: Style = Style.FILL,
        shape: Shape = Shape.RECTANGLE,
    ) -> None:
        scan.ensure_ids()
        self.scan = scan
        self.style = style
        self.shape = shape
        self._defaults: dict[str, bool] = {}
        self._cover: dict[str, bool] = {}
        self._moved: dict[str, Box] = {}
        self._manual: dict[str, Box] = {}
        self._next_manual = 1
        self.reset(defaults)

    # -- defaults ---------------------------------------------------------------------------------

    def reset(self, defaults: Mapping[str, bool]) -> None:
        """Start again from new defaults (e.g. another policy profile): every finding's cover decision
        goes back to them. Moved boxes and drawn regions stay."""
        ids = [f.id for f in self.scan.findings]
        if set(defaults) != set(ids):
            missing = sorted(set(ids) - set(defaults))
            unknown = sorted(set(defaults) - set(ids))
            raise ValueError(f"one default per finding is needed (missing {missing}, unknown {unknown})")
        self._defaults = {i: bool(defaults[i]) for i in ids}
        self._cover = dict(self._defaults)

    @property
    def defaults(self) -> dict[str, bool]:
        return dict(self._defaults)

    def copy(self) -> Review:
        other = Review(self.scan, self._defaults, style=self.style, shape=self.shape)
        other._cover = dict(self._cover)
        other._moved = dict(self._moved)
        other._manual = dict(self._manual)
        other._next_manual = self._next_manual
        return other

    # -- findings ---------------------------------------------------------------------------------

    def _check_finding(self, finding_id: str) -> None:
        if finding_id not in self._cover:
            raise KeyError(f"no finding {finding_id!r} in this photo's scan")

    def covers(self, finding_id: str) -> bool:
        """Whether the finding (or drawn region) is covered in the safe copy."""
        if finding_id in self._manual:
            return True
        self._check_finding(finding_id)
        return self._cover[finding_id]

    def set_cover(self, finding_id: str, value: bool) -> None:
        self._check_finding(finding_id)
        self._cover[finding_id] = bool(value)

    def leave_all(self) -> None:
        """Cover no finding (metadata only); drawn regions are removed too."""
        self._cover = dict.fromkeys(self._cover, False)
        self._manual.clear()

    def box(self, finding_id: str) -> Box:
        """The box that is covered for this finding or drawn region: the user's when moved."""
        if finding_id in self._manual:
            return self._manual[finding_id]
        self._check_finding(finding_id)
        return self._moved.get(finding_id) or self.scan.finding(finding_id).box

    def moved(self, finding_id: str) -> bool:
        """Whether the user moved or resized a detected finding's box."""
        return finding_id in self._moved

    def move(self, finding_id: str, box: Box) -> None:
        """Give a finding (or a drawn region) the user's box. Moving a finding back onto its detected
        box forgets the move."""
        if finding_id in self._manual:
            self._manual[finding_id] = box
            return
        self._check_finding(finding_id)
        if box == self.scan.finding(finding_id).box:
            self._moved.pop(finding_id, None)
        else:
            self._moved[finding_id] = box

    @property
    def findings(self) -> list[Finding]:
        """The scan's findings as the user sees them (moved boxes applied), in scan order."""
        return [f.with_box(self._moved[f.id]) if f.id in self._moved else f for f in self.scan.findings]

    @property
    def covered_findings(self) -> list[Finding]:
        return [f for f in self.findings if self._cover[f.id]]

    @property
    def left_findings(self) -> list[Finding]:
        return [f for f in self.findings if not self._cover[f.id]]

    def decision(self, finding_id: str) -> Decided:
        """What happens to this finding (or drawn region) in the safe copy, and whose choice it was."""
        if finding_id in self._manual:
            return Decided.MANUAL_REGION
        self._check_finding(finding_id)
        if self._cover[finding_id]:
            return Decided.COVERED
        return Decided.LEFT_BY_USER if self._defaults[finding_id] else Decided.NOT_COVERED

    # -- regions the user drew ---------------------------------------------------------------------

    def add_manual(self, box: Box, region_id: str | None = None) -> str:
        """Add a region to cover; returns its id ("m1", "m2", ...). `region_id` puts back a region
        that was removed (undo), under the id it had."""
        if region_id is None:
            region_id = f"m{self._next_manual}"
            self._next_manual += 1
        elif region_id in self._manual or region_id in self._cover:
            raise ValueError(f"id {region_id!r} is already in use")
        self._manual[region_id] = box
        return region_id

    def remove_manual(self, region_id: str) -> Box:
        return self._manual.pop(region_id)

    @property
    def manual_ids(self) -> list[str]:
        return list(self._manual)

    @property
    def manual_boxes(self) -> list[Box]:
        return list(self._manual.values())

    @property
    def manual_findings(self) -> list[Finding]:
        return [
            Finding(Category.MANUAL, MANUAL_LABEL, 1.0, box, MANUAL_DETECTOR, id=rid)
            for rid, box in self._manual.items()
        ]

    # -- what the export does ----------------------------------------------------------------------

    @property
    def needs_pixels_changed(self) -> bool:
        return bool(self._manual) or any(self._cover.values())

    def regions(self) -> list[tuple[Box, Style]]:
        """Every region to cover with the style it gets (text, plates, badges, codes: always filled)."""
        out = [(f.box, style_for(f.category, self.style)) for f in self.covered_findings]
        out.extend((box, self.style) for box in self._manual.values())
        return out


__all__ = ["MANUAL_DETECTOR", "MANUAL_LABEL", "Decided", "Review"]
