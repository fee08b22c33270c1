"""Apply a policy profile to a scan: a decision per finding and metadata item, and a verdict.

    profile = load_profile("meghalaya")
    assessment = evaluate(scan, profile)
    assessment.verdict            # Verdict.SHARE_AFTER_FIXES
    assessment.findings[0].reasons[0].citation  # "Meghalaya Police guidelines, 'Refrain from', bullet 1"

Within one profile the most specific matching rule wins (category + text class / label beats the
category alone). A union profile (strict) keeps each member's rules apart, takes the most specific
match from each member, and merges them: the highest severity, the most protective action, and every
member's reasons. Combinations (e.g. uniform together with a weapon) then raise the findings involved.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sharesafe.policy_load import (
    DEFAULT_PROFILE,
    PolicyError,
    builtin_names,
    config_dir,
    list_profiles,
    load_all,
    load_profile,
    profile_sources,
    shadowed_user_files,
    user_policy_dir,
)
from sharesafe.policy_model import (
    TEXT_CLASSES,
    Action,
    Citation,
    Combination,
    Condition,
    Document,
    Profile,
    Reason,
    Rule,
    SetAside,
    Severity,
)
from sharesafe.review import Review
from sharesafe.types import Box, Finding, MetadataItem, ScanResult

__all__ = [
    "DEFAULT_PROFILE",
    "TEXT_CLASSES",
    "Action",
    "Citation",
    "Combination",
    "Condition",
    "Decision",
    "Document",
    "PolicyAssessment",
    "PolicyError",
    "Profile",
    "Reason",
    "ReviewState",
    "Rule",
    "SetAside",
    "Severity",
    "Verdict",
    "annotate_scan_json",
    "builtin_names",
    "config_dir",
    "evaluate",
    "list_profiles",
    "load_all",
    "load_profile",
    "profile_sources",
    "shadowed_user_files",
    "user_policy_dir",
]


class Verdict(enum.StrEnum):
    """The answer for one photo under one profile. Values are stable strings for JSON."""

    DO_NOT_SHARE = "do_not_share"
    SHARE_AFTER_FIXES = "share_after_fixes"
    LOOKS_SAFE = "looks_safe"

    @property
    def text(self) -> str:
        return _VERDICT_TEXT[self]


_VERDICT_TEXT = {
    Verdict.DO_NOT_SHARE: "Do not share",
    Verdict.SHARE_AFTER_FIXES: "Share after fixes",
    Verdict.LOOKS_SAFE: "Looks safe",
}


@dataclass(slots=True)
class ReviewState:
    """What the user changed in review: findings they unticked and regions they drew themselves."""

    #: Indexes into `ScanResult.findings` the user chose to leave uncovered.
    left: frozenset[int] = frozenset()
    #: Regions the user drew to cover, in upright pixel coordinates.
    manual: tuple[Box, ...] = ()

    @classmethod
    def from_review(cls, review: Review) -> ReviewState:
        """The state of a `sharesafe.review.Review` (the front ends' editable review)."""
        return cls(
            left=frozenset(i for i, covered in enumerate(review.cover) if not covered),
            manual=tuple(review.manual),
        )


@dataclass(slots=True)
class Decision:
    """What the profile says about one finding or one metadata item."""

    severity: Severity
    action: Action
    reasons: tuple[Reason, ...]
    rules: tuple[str, ...]  # ids of the rules (and combinations) that applied
    fixable: bool = True
    #: Why covering cannot fix it (set when `fixable` is False).
    unfixable_because: str | None = None
    combinations: tuple[str, ...] = ()
    left_by_user: bool = False

    @property
    def needs_fix(self) -> bool:
        return self.severity is not Severity.NOTE

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity.value,
            "action": self.action.value,
            "reasons": [r.to_json() for r in self.reasons],
            "rules": list(self.rules),
            "fixable": self.fixable,
        }
        if self.unfixable_because:
            out["unfixable_because"] = self.unfixable_because
        if self.combinations:
            out["combinations"] = list(self.combinations)
        if self.left_by_user:
            out["left_by_user"] = True
        return out


@dataclass(slots=True)
class PolicyAssessment:
    """A profile's decisions on one scan, parallel to `scan.findings` and `scan.metadata`."""

    profile: str
    profile_title: str
    verdict: Verdict
    findings: list[Decision] = field(default_factory=list)
    metadata: list[Decision] = field(default_factory=list)
    combinations: list[str] = field(default_factory=list)  # ids of combinations that fired
    notes: list[str] = field(default_factory=list)

    @property
    def verdict_text(self) -> str:
        return self.verdict.text

    def outstanding(self) -> list[int]:
        """Indexes of block/warn findings the user chose to leave uncovered."""
        return [i for i, d in enumerate(self.findings) if d.left_by_user and d.needs_fix]

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.profile,
            "policy_title": self.profile_title,
            "verdict": self.verdict.value,
            "verdict_text": self.verdict.text,
            "findings": [d.to_json() for d in self.findings],
            "metadata": [d.to_json() for d in self.metadata],
            "combinations": list(self.combinations),
            "notes": list(self.notes),
        }


def text_class_of(finding: Finding) -> str | None:
    value = finding.extra.get("text_class")
    return value if isinstance(value, str) else None


def _label_matches(words: frozenset[str], finding: Finding) -> bool:
    """A label filter matches when the finding's label contains any of its words (any case)."""
    label = finding.label.lower()
    return any(word in label for word in words)


def _rule_matches(rule: Rule, finding: Finding) -> bool:
    if rule.category is not finding.category:
        return False
    if rule.text_classes and text_class_of(finding) not in rule.text_classes:
        return False
    return not rule.labels or _label_matches(rule.labels, finding)


def _condition_matches(cond: Condition, finding: Finding) -> bool:
    if finding.category not in cond.categories:
        return False
    if cond.text_classes and text_class_of(finding) not in cond.text_classes:
        return False
    return not cond.labels or _label_matches(cond.labels, finding)


def _dedupe(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    out: dict[tuple[str, str], Reason] = {}
    for r in reasons:
        out.setdefault((r.text, str(r.citation)), r)
    return tuple(out.values())


def _merge(rules: Sequence[Rule]) -> Decision:
    severity = max((r.severity for r in rules), key=lambda s: s.rank)
    action = max((r.action for r in rules), key=lambda a: a.rank)
    return Decision(
        severity=severity,
        action=action,
        reasons=_dedupe(x for r in rules for x in r.reasons),
        rules=tuple(r.id for r in rules),
    )


def _pick(candidates: Sequence[Rule]) -> list[Rule]:
    """Per source profile, the most specific matching rules."""
    chosen: list[Rule] = []
    sources = dict.fromkeys(r.source for r in candidates)
    for source in sources:
        mine = [r for r in candidates if r.source == source]
        top = max(r.specificity for r in mine)
        chosen.extend(r for r in mine if r.specificity == top)
    return chosen


def _decide_finding(finding: Finding, profile: Profile, image_area: int | None) -> Decision:
    matched = [r for r in profile.rules if r.category is not None and _rule_matches(r, finding)]
    if not matched:  # cannot happen for a validated profile: every category has a base rule
        raise PolicyError(f"profile {profile.name!r} has no rule for category {finding.category.value!r}")
    chosen = _pick(matched)
    decision = _merge(chosen)
    if image_area:
        share = finding.box.area / image_area
        for rule in chosen:
            if rule.do_not_share_above is not None and share >= rule.do_not_share_above:
                decision.severity = Severity.BLOCK
                decision.fixable = False
                decision.unfixable_because = (
                    f"the {finding.category.value} fills {share:.0%} of the photo (the limit is "
                    f"{rule.do_not_share_above:.0%}); covering it would leave nothing worth sharing"
                )
                break
    return decision


def _decide_metadata(item: MetadataItem, profile: Profile) -> Decision:
    matched = [r for r in profile.rules if r.metadata is item.kind]
    if not matched:
        raise PolicyError(f"profile {profile.name!r} has no rule for metadata kind {item.kind.value!r}")
    return _merge(_pick(matched))


def _apply_combinations(
    findings: Sequence[Finding], decisions: list[Decision], profile: Profile
) -> list[str]:
    fired: list[str] = []
    for combo in profile.combinations:
        involved: set[int] = set()
        for cond in combo.when:
            hits = [i for i, f in enumerate(findings) if _condition_matches(cond, f)]
            if not hits:
                break
            involved.update(hits)
        else:
            fired.append(combo.id)
            for i in sorted(involved):
                d = decisions[i]
                if combo.severity.rank > d.severity.rank:
                    d.severity = combo.severity
                if combo.action.rank > d.action.rank:
                    d.action = combo.action
                d.reasons = _dedupe((*d.reasons, *combo.reasons))
                d.rules = (*d.rules, combo.id)
                d.combinations = (*d.combinations, combo.id)
                if not combo.fixable:
                    d.fixable = False
                    d.unfixable_because = d.unfixable_because or (
                        combo.description or "the policy forbids this combination in any form"
                    )
    return fired


def evaluate(scan: ScanResult, profile: Profile, review: ReviewState | None = None) -> PolicyAssessment:
    """Decide every finding and metadata item of `scan` under `profile`, and give the verdict.

    `review` (optional) marks the findings the user left uncovered; the verdict stays the policy's
    view of the photo, and `PolicyAssessment.outstanding()` lists what the user left against it.
    """
    if not scan.ok:
        return PolicyAssessment(
            profile=profile.name,
            profile_title=profile.title,
            verdict=Verdict.DO_NOT_SHARE,
            notes=[f"The file could not be checked: {scan.error}"],
        )
    image_area = scan.width * scan.height if scan.width and scan.height else None
    decisions = [_decide_finding(f, profile, image_area) for f in scan.findings]
    fired = _apply_combinations(scan.findings, decisions, profile)
    meta = [_decide_metadata(m, profile) for m in scan.metadata]
    if review is not None:
        for i in review.left:
            if 0 <= i < len(decisions):
                decisions[i].left_by_user = True
    notes: list[str] = []
    everything = decisions + meta
    if any(not d.fixable for d in everything):
        verdict = Verdict.DO_NOT_SHARE
    elif any(d.needs_fix for d in everything):
        verdict = Verdict.SHARE_AFTER_FIXES
    else:
        verdict = Verdict.LOOKS_SAFE
    if scan.detector_errors:
        notes.append(
            "Some checks did not run (" + ", ".join(sorted(scan.detector_errors)) + "); "
            "the verdict covers only the checks that ran."
        )
        if verdict is Verdict.LOOKS_SAFE:
            verdict = Verdict.SHARE_AFTER_FIXES
            notes.append("Not called safe because a check failed: look at the photo yourself.")
    return PolicyAssessment(
        profile=profile.name,
        profile_title=profile.title,
        verdict=verdict,
        findings=decisions,
        metadata=meta,
        combinations=fired,
        notes=notes,
    )


def annotate_scan_json(scan_json: dict[str, Any], assessment: PolicyAssessment) -> dict[str, Any]:
    """Add the policy's view to a `ScanResult.to_json()` object (in place, and returned).

    Adds "policy", "verdict", "verdict_text", "policy_notes" to the file object and "severity",
    "action", "reasons" (and "fixable", "rules") to each finding and metadata dict.
    """
    scan_json["policy"] = assessment.profile
    scan_json["verdict"] = assessment.verdict.value
    scan_json["verdict_text"] = assessment.verdict.text
    scan_json["policy_notes"] = list(assessment.notes)
    if assessment.combinations:
        scan_json["combinations"] = list(assessment.combinations)
    for key, decisions in (("findings", assessment.findings), ("metadata", assessment.metadata)):
        items = scan_json.get(key) or []
        for item, decision in zip(items, decisions, strict=False):
            item.update(decision.to_json())
    return scan_json
