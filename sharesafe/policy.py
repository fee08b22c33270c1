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
from sharesafe.types import Finding, MetadataItem, ScanResult, TextClass

__all__ = [
    "DEFAULT_PROFILE",
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
    "Rule",
    "SetAside",
    "Severity",
    "TextClass",
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
    #: The finding this decision is about (`Finding.id`); None for a metadata item.
    finding_id: str | None = None

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
        return out


@dataclass(slots=True)
class PolicyAssessment:
    """A profile's decisions on one scan: one per finding (in scan order, each naming its finding by
    id: look one up with `decision_for`) and one per metadata item (in scan order)."""

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

    def decision_for(self, finding_id: str) -> Decision | None:
        """The decision about the finding with this id (None when the scan had no such finding)."""
        for d in self.findings:
            if d.finding_id == finding_id:
                return d
        return None

    @property
    def unfixable(self) -> list[str]:
        """Why covering cannot make this photo shareable (one line per reason; empty when it can)."""
        return list(dict.fromkeys(d.unfixable_because or "" for d in self.findings if not d.fixable))

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


def _label_matches(words: frozenset[str], finding: Finding) -> bool:
    """A label filter matches when the finding's label contains any of its words (any case)."""
    label = finding.label.lower()
    return any(word in label for word in words)


def _rule_matches(rule: Rule, finding: Finding) -> bool:
    if rule.category is not finding.category:
        return False
    if rule.text_classes and finding.text_class not in rule.text_classes:
        return False
    return not rule.labels or _label_matches(rule.labels, finding)


def _condition_matches(cond: Condition, finding: Finding) -> bool:
    if finding.category not in cond.categories:
        return False
    if cond.text_classes and finding.text_class not in cond.text_classes:
        return False
    return not cond.labels or _label_matches(cond.labels, finding)


def _dedupe(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    out: dict[tuple[str, str], Reason] = {}
    for r in reasons:
        out.setdefault((r.text, str(r.citation)), r)
    return tuple(out.values())


def _merge(rules: Sequence[Rule]) -> Decision:
    """One decision from the rules that apply; the reasons of the strictest rules come first, so
    `reasons[0]` is the strongest."""
    severity = max((r.severity for r in rules), key=lambda s: s.rank)
    action = max((r.action for r in rules), key=lambda a: a.rank)
    strictest_first = sorted(rules, key=lambda r: (-r.severity.rank, -r.action.rank))
    return Decision(
        severity=severity,
        action=action,
        reasons=_dedupe(x for r in strictest_first for x in r.reasons),
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
    decision.finding_id = finding.id
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
                stronger = combo.severity.rank >= d.severity.rank
                if combo.severity.rank > d.severity.rank:
                    d.severity = combo.severity
                if combo.action.rank > d.action.rank:
                    d.action = combo.action
                # The combination's reasons lead when it is what makes the finding this serious.
                d.reasons = _dedupe(
                    (*combo.reasons, *d.reasons) if stronger else (*d.reasons, *combo.reasons)
                )
                d.rules = (*d.rules, combo.id)
                d.combinations = (*d.combinations, combo.id)
                if not combo.fixable:
                    d.fixable = False
                    d.unfixable_because = d.unfixable_because or (
                        combo.description or "the policy forbids this combination in any form"
                    )
    return fired


def evaluate(scan: ScanResult, profile: Profile) -> PolicyAssessment:
    """Decide every finding and metadata item of `scan` under `profile`, and give the verdict (the
    policy's view of the photo; what the user then covers is the review's, `sharesafe.review`).
    Findings without an id get one first (`ScanResult.ensure_ids`)."""
    if not scan.ok:
        return PolicyAssessment(
            profile=profile.name,
            profile_title=profile.title,
            verdict=Verdict.DO_NOT_SHARE,
            notes=[f"The file could not be checked: {scan.error}"],
        )
    scan.ensure_ids()
    image_area = scan.width * scan.height if scan.width and scan.height else None
    decisions = [_decide_finding(f, profile, image_area) for f in scan.findings]
    fired = _apply_combinations(scan.findings, decisions, profile)
    meta = [_decide_metadata(m, profile) for m in scan.metadata]
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
    for item in scan_json.get("findings") or []:
        decision = assessment.decision_for(str(item.get("id")))
        if decision is not None:
            item.update(decision.to_json())
    for item, decision in zip(scan_json.get("metadata") or [], assessment.metadata, strict=False):
        item.update(decision.to_json())
    return scan_json
