"""What the `sharesafe` command prints: a checked (or cleaned) photo as lines of text or as its JSON
document, and a policy profile as text or JSON (`sharesafe policies show`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from sharesafe.jobs import Checked, Cleaned, SafeCopy
from sharesafe.policy import Decision, Profile, Reason, SetAside, annotate_scan_json
from sharesafe.types import MetadataItem, MetadataKind, Risk


def file_json(item: Checked | Cleaned) -> dict[str, Any]:
    if isinstance(item, Cleaned) and item.resumed is not None:
        return {"path": str(item.path), "sha256": item.sha256, "error": None, "resumed": str(item.resumed)}
    checked = item if isinstance(item, Checked) else item.checked
    assert checked is not None
    doc = annotate_scan_json(checked.scan.to_json(), checked.assessment)
    copy = item.copy if isinstance(item, Cleaned) else None
    if copy is not None:
        doc["export"] = copy.export.to_json() if copy.export is not None else None
        if copy.refused is not None:
            doc["refused"] = copy.refused
        if copy.forced:
            doc["forced"] = True
    return doc


def _reason_lines(decision: Decision, why: bool, indent: str) -> list[str]:
    """The strongest reason with a count of the others, or (`why`) every reason."""
    reasons = decision.reasons
    if not reasons:
        return []
    if why:
        return [f"{indent}- {r.text} [{r.citation}]" for r in reasons]
    first = reasons[0]
    more = f" (+{len(reasons) - 1} more: --why)" if len(reasons) > 1 else ""
    return [f"{indent}- {first.text} [{first.citation}]{more}"]


def _metadata_lines(items: Sequence[MetadataItem], decisions: Sequence[Decision], why: bool) -> list[str]:
    """Metadata worth acting on, one line per kind (every item with `why`)."""
    lines: list[str] = []
    by_kind: dict[MetadataKind, list[tuple[MetadataItem, Decision | None]]] = {}
    for j, m in enumerate(items):
        decision = decisions[j] if j < len(decisions) else None
        if m.risk.rank >= Risk.MEDIUM.rank or (decision is not None and decision.needs_fix):
            by_kind.setdefault(m.kind, []).append((m, decision))
    for kind, group in by_kind.items():
        worst = max((d for _, d in group if d is not None), key=lambda d: d.severity.rank, default=None)
        sev = f"{worst.severity.value:<5} " if worst is not None else ""
        if why:
            for m, _ in group:
                lines.append(f"       {sev}{m.risk.value:<6} {m.group} {m.tag}: {m.value}  - {m.why}")
        else:
            tags = ", ".join(dict.fromkeys(m.tag for m, _ in group))
            lines.append(f"       {sev}metadata  {kind.value}: {len(group)} item(s) ({tags})")
        if worst is not None:
            lines.extend(_reason_lines(worst, why, " " * 13))
    return lines


def print_result(item: Checked | Cleaned, out: TextIO, why: bool = False) -> None:
    if isinstance(item, Cleaned) and item.resumed is not None:
        print(f"DONE   {item.path} -> {item.resumed} (verified copy and record already there)", file=out)
        return
    checked = item if isinstance(item, Checked) else item.checked
    assert checked is not None
    result, assessment = checked.scan, checked.assessment
    if result.error:
        print(f"ERROR  {result.path}: {result.error}", file=out)
        return
    status = "RISKS" if result.has_risks else "OK   "
    print(f"{status}  {result.path}  ({result.format} {result.width}x{result.height})", file=out)
    print(f"       verdict: {assessment.verdict.text} (policy {assessment.profile})", file=out)
    for note in assessment.notes:
        print(f"       note: {note}", file=out)
    for f in result.findings:
        detail = f" '{f.detail}'" if f.detail else ""
        decision = assessment.decision_for(f.id)
        sev = f"{decision.severity.value:<5} " if decision is not None else ""
        action = f"  -> {decision.action.value}" if decision is not None else ""
        where = f"  score {f.score:.2f}  box {f.box.as_list()}" if why else ""
        print(f"       {sev}{f.category.value:<9} {f.id:<4} {f.label}{detail}{action}{where}", file=out)
        if decision is not None:
            if decision.unfixable_because:
                print(f"             cannot be fixed: {decision.unfixable_because}", file=out)
            for line in _reason_lines(decision, why, " " * 13):
                print(line, file=out)
    for line in _metadata_lines(result.metadata, assessment.metadata, why):
        print(line, file=out)
    for name, message in result.detector_errors.items():
        print(f"       detector {name} failed: {message}", file=out)
    copy = item.copy if isinstance(item, Cleaned) else None
    if copy is not None:
        _print_copy(copy, out)


def _print_copy(copy: SafeCopy, out: TextIO) -> None:
    exported = copy.export
    if exported is None:
        print(
            f"       -> NOT WRITTEN: {copy.checked.verdict.text}: {copy.refused}. "
            "Covering cannot fix this photo; --force writes a copy anyway (the audit record says so).",
            file=out,
        )
        return
    forced = " - written with --force although the policy says do not share" if copy.forced else ""
    if exported.ok:
        print(f"       -> {exported.output} (verified clean){forced}", file=out)
    else:
        kept = f" (unverified copy kept as {exported.unsafe_copy})" if exported.unsafe_copy else ""
        print(f"       -> NOT SAFE: {exported.error}{kept}", file=out)


def _rule_target(rule: Any) -> str:
    target = rule.category.value if rule.category is not None else f"metadata: {rule.metadata.value}"
    if rule.text_classes:
        target += " [" + ", ".join(sorted(rule.text_classes)) + "]"
    if rule.labels:
        target += " label=" + "/".join(sorted(rule.labels))
    return target


def profile_json(profile: Profile) -> dict[str, Any]:
    def reasons(items: Any) -> list[dict[str, str]]:
        return [r.to_json() for r in items]

    return {
        "name": profile.name,
        "title": profile.title,
        "summary": profile.summary,
        "unites": list(profile.members),
        "documents": [{"key": d.key, "title": d.title, "short": d.short} for d in profile.documents],
        "rules": [
            {
                "id": r.id,
                "source": r.source,
                "category": r.category.value if r.category else None,
                "metadata": r.metadata.value if r.metadata else None,
                "text_class": sorted(r.text_classes),
                "label": sorted(r.labels),
                "severity": r.severity.value,
                "action": r.action.value,
                "do_not_share_above": r.do_not_share_above,
                "reasons": reasons(r.reasons),
            }
            for r in profile.rules
        ],
        "combinations": [
            {
                "id": c.id,
                "description": c.description,
                "severity": c.severity.value,
                "action": c.action.value,
                "fixable": c.fixable,
                "reasons": reasons(c.reasons),
            }
            for c in profile.combinations
        ],
        "considered_not_applicable": [
            {"document": s.document.short, "section": s.section, "rule": s.rule, "why": s.why}
            for s in profile.not_applicable
        ],
        "check_yourself": [
            {"document": s.document.short, "section": s.section, "rule": s.rule, "why": s.why}
            for s in profile.check_yourself
        ],
    }


def print_profile(profile: Profile, out: TextIO) -> None:
    print(f"{profile.name}: {profile.title}", file=out)
    if profile.summary:
        print(f"  {profile.summary}", file=out)
    if profile.members:
        print(f"  unites: {', '.join(profile.members)}", file=out)
    print("\nDocuments:", file=out)
    for d in profile.documents:
        print(f"  {d.short}: {d.title}", file=out)
    sources = list(dict.fromkeys(r.source for r in profile.rules))
    for source in sources:
        heading = "Rules" if len(sources) == 1 else f"Rules from {source}"
        print(f"\n{heading}:", file=out)
        for r in (r for r in profile.rules if r.source == source):
            limit = (
                f", do not share if it fills >= {r.do_not_share_above:.0%}" if r.do_not_share_above else ""
            )
            print(f"  {_rule_target(r)}: {r.severity.value}, {r.action.value}{limit}", file=out)
            _print_reasons(r.reasons, out)
    if profile.combinations:
        print("\nCombinations:", file=out)
        for c in profile.combinations:
            fix = "" if c.fixable else ", cannot be fixed by covering"
            print(f"  {c.description or c.id}: {c.severity.value}, {c.action.value}{fix}", file=out)
            _print_reasons(c.reasons, out)
    _print_sections("Check these yourself (no detector looks for them)", profile.check_yourself, out)
    _print_sections("Considered and not applicable to photos", profile.not_applicable, out)


def _print_reasons(reasons: Sequence[Reason], out: TextIO) -> None:
    for reason in reasons:
        print(f"      - {reason.text} [{reason.citation}]", file=out)


def _print_sections(heading: str, sections: Sequence[SetAside], out: TextIO) -> None:
    """Policy sections listed with the profile but not checked by a detector, and why."""
    if not sections:
        return
    print(f"\n{heading}:", file=out)
    for s in sections:
        print(f"  {s.document.short}, {s.section}: {s.rule}\n      ({s.why})", file=out)
