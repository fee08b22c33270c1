"""The audit record written beside every safe copy: JSON for machines, CSV for a batch, HTML for people.

The record says what was checked and what was done, never what was found in the metadata or read
in the picture: no pixels, no GPS coordinates, no serial numbers or owner names, no recognised text.
"GPS location present - removed" is recorded; the coordinates are not. `full_detail=True` (the
user's explicit choice) adds the values and full paths.

All three files are written atomically (a temporary file in the same folder, then `os.replace`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sharesafe import __version__
from sharesafe.audit_html import render_html
from sharesafe.fsutil import atomic_write
from sharesafe.metadata.vocabulary import is_known_tag
from sharesafe.policy import Decision, PolicyAssessment
from sharesafe.review import Decided, Review
from sharesafe.types import (
    SOLID_FILL_CATEGORIES,
    Box,
    ExportResult,
    Finding,
    MetadataItem,
    MetadataKind,
    ScanResult,
)

#: 2: findings are named by id ("f1"; "m1" for drawn regions), moved boxes and overrides are recorded.
RECORD_VERSION = 2


#: How each metadata kind is described when removed (never its value).
_KIND_NOTE = {
    MetadataKind.LOCATION: "Location present - removed",
    MetadataKind.DEVICE: "Device identity (make, model, serial numbers, owner) present - removed",
    MetadataKind.PEOPLE: "Names of people (author, owner, tagged people) present - removed",
    MetadataKind.TIME: "Dates and times present - removed",
    MetadataKind.HIDDEN: "Hidden extras (thumbnails, edit history, embedded data) present - removed",
    MetadataKind.TECHNICAL: "Technical camera and file details present - removed",
}


@dataclass(slots=True)
class AuditEntry:
    """One exported file: its scan, the export, the policy's assessment and the user's review (None
    when nothing was reviewed: every finding is then recorded as not covered)."""

    scan: ScanResult
    export: ExportResult
    assessment: PolicyAssessment
    review: Review | None = None
    #: The user had a copy written although the policy says "Do not share" (`clean --force`, or
    #: confirmed in the app).
    forced: bool = False


@dataclass(frozen=True, slots=True)
class AuditPaths:
    json: Path
    csv: Path
    html: Path

    def all(self) -> tuple[Path, Path, Path]:
        return (self.json, self.csv, self.html)


def batch_stem(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"sharesafe-audit-{stamp}"


# -- building the record ------------------------------------------------------------------------


def _label(finding: Finding, full_detail: bool) -> str:
    """The finding's label; for anything that may be readable, its class instead (what was read
    must not reach the record)."""
    if full_detail or finding.category not in SOLID_FILL_CATEGORIES:
        return finding.label
    text_class = finding.text_class
    return text_class.value if text_class is not None else finding.category.value


def _reasons_json(decision: Decision | None) -> list[dict[str, str]]:
    if decision is None:
        return []
    return [{"text": r.text, "citation": str(r.citation)} for r in decision.reasons]


def _finding_json(
    finding: Finding,
    detected: Box,
    decided: Decided,
    decision: Decision | None,
    full_detail: bool,
) -> dict[str, Any]:
    """One finding (or drawn region) of the record: `finding` carries the box that was covered,
    `detected` the box the detector gave (they differ when the user moved it)."""
    text_class = finding.text_class
    moved = finding.box != detected
    decision_text = decided.text + (" (box moved by the user)" if moved else "")
    out: dict[str, Any] = {
        "id": finding.id,
        "category": finding.category.value,
        "label": _label(finding, full_detail),
        "text_class": text_class.value if text_class is not None else None,
        "score": round(float(finding.score), 4),
        "box": finding.box.as_list(),
        "box_detected": detected.as_list() if moved else None,
        "moved_by_user": moved,
        "detector": finding.detector,
        "decision": decided.value,
        "decision_text": decision_text,
        "severity": decision.severity.value if decision else None,
        "action": decision.action.value if decision else None,
        "reasons": _reasons_json(decision),
    }
    if full_detail:
        out["detail"] = finding.detail
        out["extra"] = {k: str(v) for k, v in finding.extra.items()}
    return out


def _findings_json(entry: AuditEntry, full_detail: bool) -> list[dict[str, Any]]:
    """Every finding with the decision the review holds for it, then every region the user drew:
    each named by its id, as the review and the export name it."""
    review, assessment = entry.review, entry.assessment
    out: list[dict[str, Any]] = []
    for finding in entry.scan.findings:
        decision = assessment.decision_for(finding.id)
        if review is None:
            out.append(_finding_json(finding, finding.box, Decided.NOT_COVERED, decision, full_detail))
            continue
        shown = finding.with_box(review.box(finding.id))
        out.append(_finding_json(shown, finding.box, review.decision(finding.id), decision, full_detail))
    for region in review.manual_findings if review is not None else ():
        out.append(_finding_json(region, region.box, Decided.MANUAL_REGION, None, full_detail))
    return out


def _override_json(entry: AuditEntry) -> dict[str, Any] | None:
    if not entry.forced:
        return None
    why = entry.assessment.unfixable
    return {
        "forced": True,
        "text": "The policy says this photo should not be shared"
        + (f" ({'; '.join(why)})" if why else "")
        + "; the user had a copy written anyway.",
    }


def _unknown_note(items: Sequence[MetadataItem]) -> str:
    sizes = ", ".join(f"{len(m.value.encode('utf-8'))} bytes" for m in items[:6])
    more = f" and {len(items) - 6} more" if len(items) > 6 else ""
    return f"unknown item{'s' if len(items) != 1 else ''} ({sizes}{more})"


def _metadata_summary(items: Iterable[MetadataItem]) -> tuple[dict[str, int], list[str]]:
    """Counts by kind and one note per kind. Tag names are shown only when they come from the known
    vocabulary (`metadata.vocabulary`): a name taken from the file itself can carry a value."""
    items = list(items)
    counts = Counter(m.kind.value for m in items)
    notes: list[str] = []
    for kind in MetadataKind:
        mine = [m for m in items if m.kind is kind]
        if not mine:
            continue
        note = _KIND_NOTE[kind]
        if kind is MetadataKind.LOCATION and any("gps" in (m.group + m.tag).lower() for m in mine):
            note = "GPS location present - removed"
        tags = sorted({m.tag for m in mine if is_known_tag(m.tag)})
        unknown = [m for m in mine if not is_known_tag(m.tag)]
        shown = ", ".join(tags[:12]) + (f" and {len(tags) - 12} more" if len(tags) > 12 else "")
        if unknown:
            shown = ", ".join(p for p in (shown, _unknown_note(unknown)) if p)
        note += f" ({len(mine)} item{'s' if len(mine) != 1 else ''}: {shown})"
        notes.append(note)
    return {k.value: counts[k.value] for k in MetadataKind if counts[k.value]}, notes


def _metadata_policy(scan: ScanResult, assessment: PolicyAssessment) -> dict[str, dict[str, Any]]:
    """Per metadata kind: the strictest decision the profile gave any item of that kind, and why."""
    out: dict[str, dict[str, Any]] = {}
    for item, decision in zip(scan.metadata, assessment.metadata, strict=False):
        kind = item.kind.value
        current = out.get(kind)
        if current is None or decision.severity.rank > current["_rank"]:
            out[kind] = {
                "_rank": decision.severity.rank,
                "severity": decision.severity.value,
                "action": decision.action.value,
                "reasons": _reasons_json(decision),
            }
    for value in out.values():
        del value["_rank"]
    return out


def _scrub(message: str | None, *paths: Path | None, items: Sequence[MetadataItem] = ()) -> str | None:
    """Drop folder names (which may hold a user name) and tag names outside the vocabulary (which
    may hold a value) from an error message."""
    if message is None:
        return None
    for m in items:  # the export's error names leftovers as group:tag
        if not is_known_tag(m.tag):
            message = message.replace(f"{m.group}:{m.tag}", "unknown item")
    for path in paths:
        if path is not None and str(path.parent) not in ("", "."):
            message = message.replace(str(path.parent) + os.sep, "")
    return message


def _file_record(entry: AuditEntry, full_detail: bool) -> dict[str, Any]:
    scan, export, assessment = entry.scan, entry.export, entry.assessment
    findings = _findings_json(entry, full_detail)

    removed_counts, removed_notes = _metadata_summary(export.metadata_removed)
    leftover_counts, _ = _metadata_summary(export.leftover)
    if export.verified:
        verification_text = (
            "Verified: the safe copy was read back from disk and checked; no revealing metadata remains"
            + ("; the pixels are unchanged." if export.mode == "lossless" else ".")
        )
    else:
        problems = []
        if export.leftover:
            problems.append(f"{len(export.leftover)} metadata item(s) still present")
        if export.rescan_findings:
            problems.append(f"the re-scan of the copy found {len(export.rescan_findings)} finding(s)")
        if export.error:
            problems.append("the export failed")
        verification_text = "NOT verified" + (": " + "; ".join(problems) if problems else "") + "."
    source_name = str(export.source) if full_detail else export.source.name
    output_name = None
    if export.output is not None:
        output_name = str(export.output) if full_detail else export.output.name
    unsafe_name = None
    if export.unsafe_copy is not None:
        unsafe_name = (
            str(export.unsafe_copy)
            if full_detail
            else f"{export.unsafe_copy.parent.name}/{export.unsafe_copy.name}"
        )
        verification_text += f" The copy was kept as {unsafe_name} for inspection only: do not share it."
    record: dict[str, Any] = {
        "input": {"name": source_name, "sha256": export.source_sha256 or scan.sha256, "format": scan.format},
        "output": {
            "name": output_name,
            "sha256": export.output_sha256,
            "mode": export.mode,
            "unsafe_copy": unsafe_name,
        },
        "image": {"width": scan.width, "height": scan.height},
        "profile": {"name": assessment.profile, "title": assessment.profile_title},
        "verdict": assessment.verdict.value,
        "verdict_text": assessment.verdict.text,
        "override": _override_json(entry),
        "policy_notes": list(assessment.notes),
        "findings": findings,
        "findings_left_against_policy": sum(
            1
            for f in findings
            if f["decision"] == Decided.LEFT_BY_USER and f["severity"] in ("block", "warn")
        ),
        "metadata_removed": {
            "total": len(export.metadata_removed),
            "by_kind": removed_counts,
            "notes": removed_notes,
            "policy_by_kind": _metadata_policy(scan, assessment),
        },
        "verification": {
            "verified": export.verified,
            "text": verification_text,
            "metadata_left": leftover_counts,
            "rescan_findings": len(export.rescan_findings),
        },
        "error": export.error
        if full_detail
        else _scrub(export.error, export.source, export.output, export.unsafe_copy, items=export.leftover),
    }
    if full_detail:
        record["metadata_removed"]["items"] = [m.to_json() for m in export.metadata_removed]
        record["verification"]["metadata_left_items"] = [m.to_json() for m in export.leftover]
    return record


def build_record(
    entries: Sequence[AuditEntry], *, full_detail: bool = False, now: datetime | None = None
) -> dict[str, Any]:
    """The audit record as a JSON-ready dict (the JSON file's content)."""
    created = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "record": "sharesafe-audit",
        "record_version": RECORD_VERSION,
        "sharesafe_version": __version__,
        "created": created.isoformat().replace("+00:00", "Z"),
        "full_detail": full_detail,
        "privacy": (
            "Full detail: metadata values, recognised text and full paths are included."
            if full_detail
            else "This record holds no pixels, no metadata values (no GPS coordinates, serial numbers "
            "or names) and no recognised text."
        ),
        "files": [_file_record(e, full_detail) for e in entries],
    }


# -- writing --------------------------------------------------------------------------------------

_CSV_COLUMNS = [
    "file",
    "input_sha256",
    "output_file",
    "output_sha256",
    "profile",
    "verdict",
    "verified",
    "forced",
    "finding_id",
    "category",
    "label",
    "text_class",
    "score",
    "x1",
    "y1",
    "x2",
    "y2",
    "moved_by_user",
    "decision",
    "severity",
    "action",
    "reasons",
    "citations",
    "metadata_removed",
]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (spreadsheets skip leading blanks
    before a formula sign, so " =..." is quoted as well as "=...")."""
    text = "" if value is None else str(value)
    if text.lstrip(" \u00a0")[:1] in _FORMULA_START or text[:1] in _FORMULA_START:
        text = "'" + text
    return text


def render_csv(record: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for f in record["files"]:
        removed = "; ".join(f"{k}:{v}" for k, v in f["metadata_removed"]["by_kind"].items())
        common = [
            f["input"]["name"],
            f["input"]["sha256"],
            f["output"]["name"],
            f["output"]["sha256"],
            f["profile"]["name"],
            f["verdict"],
            "yes" if f["verification"]["verified"] else "no",
            "yes" if f["override"] else "no",
        ]
        rows = f["findings"] or [None]
        for finding in rows:
            if finding is None:
                cells = ["", "", "", "", "", "", "", "", "", "", "no findings", "", "", "", ""]
            else:
                x1, y1, x2, y2 = finding["box"]
                cells = [
                    finding["id"],
                    finding["category"],
                    finding["label"],
                    finding["text_class"],
                    finding["score"],
                    x1,
                    y1,
                    x2,
                    y2,
                    "yes" if finding["moved_by_user"] else "no",
                    finding["decision"],
                    finding["severity"],
                    finding["action"],
                    " | ".join(r["text"] for r in finding["reasons"]),
                    " | ".join(r["citation"] for r in finding["reasons"]),
                ]
            writer.writerow([_cell(v) for v in [*common, *cells, removed]])
    return buf.getvalue()


def _atomic_write(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"), overwrite=True)


def write_audit(
    entries: Sequence[AuditEntry],
    directory: Path,
    stem: str,
    *,
    full_detail: bool = False,
    now: datetime | None = None,
    overwrite: bool = False,
    exact: bool = False,
) -> AuditPaths:
    """Write `stem`.json, `stem`.csv and `stem`.html into `directory`; one record for all entries.

    An existing record is never replaced unless `overwrite`: the stem becomes `stem-2`, `stem-3`...,
    or with `exact` FileExistsError is raised. The JSON file is created exclusively (a hard link that
    fails when the name appeared meanwhile), so two writers never both take one stem.
    """
    record = build_record(entries, full_detail=full_detail, now=now)
    texts = (
        json.dumps(record, indent=2, ensure_ascii=False) + "\n",
        render_csv(record),
        render_html(record),
    )

    def named(s: str) -> AuditPaths:
        return AuditPaths(directory / f"{s}.json", directory / f"{s}.csv", directory / f"{s}.html")

    paths = named(stem)
    n = 2
    while True:
        if overwrite:
            for path, text in zip(paths.all(), texts, strict=True):
                _atomic_write(path, text)
            return paths
        if not any(p.exists() for p in paths.all()):
            try:
                atomic_write(paths.json, texts[0].encode("utf-8"), overwrite=False)  # claims the stem
            except FileExistsError:
                if exact:
                    raise
            else:
                _atomic_write(paths.csv, texts[1])
                _atomic_write(paths.html, texts[2])
                return paths
        elif exact:
            raise FileExistsError(str(paths.json))
        paths = named(f"{stem}-{n}")
        n += 1
