"""What the officer sees of a check, typed: a badge per photo and the policy's reasons per finding.

Plain Python (no Qt). The verdicts and their labels are the core's (`sharesafe.policy.Verdict`), the
same words the CLI prints and the audit record writes; the app adds two states of its own, a photo
still being checked and a file that could not be checked.
"""

from __future__ import annotations

import enum
import logging
from functools import cache

from sharesafe.jobs import Checked
from sharesafe.policy import (
    DEFAULT_PROFILE,
    Decision,
    PolicyAssessment,
    PolicyError,
    Profile,
    Reason,
    Verdict,
    list_profiles,
    load_profile,
)

log = logging.getLogger(__name__)


class Badge(enum.Enum):
    """The badge on every photo: the policy's verdict, or one of the app's own two states."""

    PENDING = "pending"
    ERROR = "error"
    DO_NOT_SHARE = Verdict.DO_NOT_SHARE.value
    SHARE_AFTER_FIXES = Verdict.SHARE_AFTER_FIXES.value
    LOOKS_SAFE = Verdict.LOOKS_SAFE.value

    @property
    def label(self) -> str:
        if self is Badge.PENDING:
            return "Checking..."
        if self is Badge.ERROR:
            return "Error"
        return Verdict(self.value).text

    @classmethod
    def of(cls, verdict: Verdict) -> Badge:
        return cls(verdict.value)


#: Badge colours (background) per state, as RGB hex; chosen to stay legible with white text.
BADGE_COLOURS: dict[Badge, str] = {
    Badge.PENDING: "#6b7280",
    Badge.DO_NOT_SHARE: "#b91c1c",
    Badge.SHARE_AFTER_FIXES: "#b45309",
    Badge.LOOKS_SAFE: "#15803d",
    Badge.ERROR: "#4b5563",
}

#: In the order the batch summary lists them.
SUMMARY_ORDER = (Badge.DO_NOT_SHARE, Badge.SHARE_AFTER_FIXES, Badge.LOOKS_SAFE, Badge.ERROR, Badge.PENDING)


def badge_for(checked: Checked | None) -> Badge:
    """The badge of one photo (None: not checked yet)."""
    if checked is None:
        return Badge.PENDING
    if checked.scan.error is not None:
        return Badge.ERROR
    return Badge.of(checked.verdict)


def profiles() -> list[tuple[str, str]]:
    """(name, title) of every policy profile."""
    try:
        return list_profiles()
    except PolicyError as exc:  # a broken user profile must not stop the app
        log.warning("cannot list policy profiles: %s", exc)
        return []


def default_profile() -> str:
    return DEFAULT_PROFILE


@cache
def profile(name: str) -> Profile:
    """The named profile, loaded once."""
    return load_profile(name)


def _reason_parts(reasons: tuple[Reason, ...]) -> list[str]:
    return [f"{r.text} ({r.citation})" for r in reasons]


def _finding_decision(assessment: PolicyAssessment | None, finding_id: str) -> Decision | None:
    return assessment.decision_for(finding_id) if assessment is not None else None


def reasons_list(assessment: PolicyAssessment | None, finding_id: str) -> list[str]:
    """Each reason (with its citation) the policy gives for a finding, the strongest first."""
    decision = _finding_decision(assessment, finding_id)
    return _reason_parts(decision.reasons) if decision is not None else []


def reason_for(assessment: PolicyAssessment | None, finding_id: str) -> str:
    """The policy's strongest reason for a finding, and how many more ("" without one)."""
    decision = _finding_decision(assessment, finding_id)
    if decision is None or not decision.reasons:
        return ""
    first = _reason_parts(decision.reasons[:1])[0]
    more = len(decision.reasons) - 1
    return first + (f" (+{more} more)" if more else "")


def metadata_reason(assessment: PolicyAssessment | None, index: int) -> str:
    """Why the policy cares about metadata item `index` (its strongest reason)."""
    if assessment is None or not 0 <= index < len(assessment.metadata):
        return ""
    reasons = assessment.metadata[index].reasons
    return _reason_parts(reasons[:1])[0] if reasons else ""


__all__ = [
    "BADGE_COLOURS",
    "SUMMARY_ORDER",
    "Badge",
    "badge_for",
    "default_profile",
    "metadata_reason",
    "profile",
    "profiles",
    "reason_for",
    "reasons_list",
]
