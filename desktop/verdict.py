"""One place that turns a scan into what the officer sees: a verdict per photo and a reason per finding.

Plain Python (no Qt). Until policy profiles exist in the core, the verdict is derived from the
scan itself; when the core grows a policy API, `verdict_for` and `reasons_for` are the only two
functions to change.
"""

from __future__ import annotations

import enum
import importlib
from typing import Any

from sharesafe.types import Finding, ScanResult


class Verdict(enum.Enum):
    """Badge shown on every photo, worst first."""

    PENDING = "checking..."
    DO_NOT_SHARE = "do not share"
    NEEDS_FIXES = "needs fixes"
    LOOKS_SAFE = "looks safe"
    ERROR = "error"

    @property
    def label(self) -> str:
        return self.value.capitalize()


#: Badge colours (background) per verdict, as RGB hex; chosen to stay legible with white text.
VERDICT_COLOURS: dict[Verdict, str] = {
    Verdict.PENDING: "#6b7280",
    Verdict.DO_NOT_SHARE: "#b91c1c",
    Verdict.NEEDS_FIXES: "#b45309",
    Verdict.LOOKS_SAFE: "#15803d",
    Verdict.ERROR: "#4b5563",
}


def _policy_module() -> Any | None:
    """The core's policy module once it exists (issue 5); None until then."""
    try:
        return importlib.import_module("sharesafe.policy")
    except ModuleNotFoundError:
        return None


def verdict_for(result: ScanResult | None) -> Verdict:
    """The verdict for one scanned photo (None: not scanned yet)."""
    if result is None:
        return Verdict.PENDING
    if result.error is not None:
        return Verdict.ERROR
    policy = _policy_module()
    if policy is not None and hasattr(policy, "desktop_verdict"):
        name: str = policy.desktop_verdict(result)
        try:
            return Verdict(name)
        except ValueError:
            pass
    return Verdict.NEEDS_FIXES if result.has_risks else Verdict.LOOKS_SAFE


def reason_for(finding: Finding) -> str:
    """Why the force's policy cares about a finding ("" until policy profiles set one)."""
    reason = finding.extra.get("reason") if finding.extra else None
    if isinstance(reason, str):
        return reason
    if isinstance(reason, list | tuple) and reason:
        return "; ".join(str(r) for r in reason)
    return ""
