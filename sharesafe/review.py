"""The user's decisions about one scanned photo, in plain Python so any front end can drive an export."""

from __future__ import annotations

from dataclasses import dataclass, field

from sharesafe.redact import Shape, Style, style_for
from sharesafe.types import Box, Category, Finding, ScanResult

#: Categories covered unless the user says otherwise. A person or a whole vehicle or building is
#: context for other findings (a uniform, a plate, signage), so they are reported, not covered,
#: by default; a policy profile may still ask for them.
NOT_COVERED_BY_DEFAULT: frozenset[Category] = frozenset(
    {Category.PERSON, Category.VEHICLE, Category.PREMISES}
)


def covered_by_default(finding: Finding) -> bool:
    return finding.category not in NOT_COVERED_BY_DEFAULT


@dataclass
class Review:
    """Which findings to cover, extra regions the user drew, and how to cover them."""

    scan: ScanResult
    style: Style = Style.FILL
    shape: Shape = Shape.RECTANGLE
    cover: list[bool] = field(default_factory=list)
    manual: list[Box] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.cover:
            self.cover = [covered_by_default(f) for f in self.scan.findings]
        if len(self.cover) != len(self.scan.findings):
            raise ValueError("one cover decision is needed per finding")

    def set_cover(self, index: int, value: bool) -> None:
        self.cover[index] = value

    def add_manual(self, box: Box) -> int:
        self.manual.append(box)
        return len(self.manual) - 1

    def remove_manual(self, index: int) -> Box:
        return self.manual.pop(index)

    @property
    def covered_findings(self) -> list[Finding]:
        return [f for f, c in zip(self.scan.findings, self.cover, strict=True) if c]

    @property
    def left_findings(self) -> list[Finding]:
        return [f for f, c in zip(self.scan.findings, self.cover, strict=True) if not c]

    @property
    def manual_findings(self) -> list[Finding]:
        return [
            Finding(Category.MANUAL, "region drawn by the user", 1.0, box, "manual") for box in self.manual
        ]

    @property
    def needs_pixels_changed(self) -> bool:
        return bool(self.manual) or any(self.cover)

    def regions(self) -> list[tuple[Box, Style]]:
        """Every region to cover with the style it gets (text, plates, badges, codes: always filled)."""
        out = [(f.box, style_for(f.category, self.style)) for f in self.covered_findings]
        out.extend((box, self.style) for box in self.manual)
        return out
