"""One place that turns a scan into what the officer sees: a verdict per photo and a reason per finding.

Plain Python (no Qt). When the core's policy profiles are installed (`sharesafe.policy` with
`evaluate` and `load_profile`), the verdict and the reasons come from the chosen profile; until then
the verdict is derived from the scan itself (needs fixes / looks safe / error) and reasons are empty.
"""

from __future__ import annotations

import enum
import importlib
import logging
from functools import cache
from typing import Any

from sharesafe.types import Finding, ScanResult

log = logging.getLogger(__name__)


class Verdict(enum.Enum):
    """Badge shown on every photo."""

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

#: The core policy verdicts (their string values) mapped onto the badges.
_POLICY_VERDICTS = {
    "do_not_share": Verdict.DO_NOT_SHARE,
    "share_after_fixes": Verdict.NEEDS_FIXES,
    "looks_safe": Verdict.LOOKS_SAFE,
}


def policy_module() -> Any | None:
    """The core's policy module (issue 5) when it is installed, else None."""
    try:
        mod = importlib.import_module("sharesafe.policy")
    except ModuleNotFoundError:
        return None
    return mod if hasattr(mod, "evaluate") and hasattr(mod, "load_profile") else None


def profiles() -> list[tuple[str, str]]:
    """(name, title) of every policy profile; empty without the policy module."""
    mod = policy_module()
    if mod is None:
        return []
    try:
        return [(str(n), str(t)) for n, t in mod.list_profiles()]
    except Exception as exc:  # noqa: BLE001 - a broken user profile must not stop the app
        log.warning("cannot list policy profiles: %s", exc)
        return []


def default_profile() -> str | None:
    mod = policy_module()
    return None if mod is None else str(getattr(mod, "DEFAULT_PROFILE", "strict"))


@cache
def _profile(name: str) -> Any:
    mod = policy_module()
    assert mod is not None
    return mod.load_profile(name)


def assess(result: ScanResult, profile: str | None) -> Any | None:
    """The profile's assessment of a scan (None without policies, or for a file that failed)."""
    mod = policy_module()
    if mod is None or profile is None or not result.ok:
        return None
    return mod.evaluate(result, _profile(profile))


def verdict_for(result: ScanResult | None, assessment: Any | None = None) -> Verdict:
    """The verdict for one scanned photo (None: not scanned yet)."""
    if result is None:
        return Verdict.PENDING
    if result.error is not None:
        return Verdict.ERROR
    if assessment is not None:
        found = _POLICY_VERDICTS.get(str(getattr(assessment.verdict, "value", assessment.verdict)))
        if found is not None:
            return found
    return Verdict.NEEDS_FIXES if result.has_risks else Verdict.LOOKS_SAFE


def _reason_parts(reasons: Any) -> list[str]:
    parts = []
    for r in reasons or ():
        citation = getattr(r, "citation", None)
        text = getattr(r, "text", str(r))
        parts.append(f"{text} ({citation})" if citation is not None else text)
    return parts


def _reason_text(reasons: Any) -> str:
    return "; ".join(_reason_parts(reasons))


def reasons_list(assessment: Any | None, index: int) -> list[str]:
    """Each reason (with its citation) the policy gives for finding `index`."""
    decisions = getattr(assessment, "findings", []) if assessment is not None else []
    return _reason_parts(decisions[index].reasons) if 0 <= index < len(decisions) else []


def reason_for(finding: Finding, assessment: Any | None = None, index: int | None = None) -> str:
    """Why the force's policy cares about a finding ("" until a policy gives a reason)."""
    if assessment is not None and index is not None:
        decisions = getattr(assessment, "findings", [])
        if 0 <= index < len(decisions):
            return _reason_text(decisions[index].reasons)
    reason = finding.extra.get("reason") if finding.extra else None
    if isinstance(reason, str):
        return reason
    return ""


def metadata_reason(assessment: Any | None, index: int) -> str:
    if assessment is None:
        return ""
    decisions = getattr(assessment, "metadata", [])
    return _reason_text(decisions[index].reasons) if 0 <= index < len(decisions) else ""


def default_cover(assessment: Any | None) -> list[bool] | None:
    """The profile's default decision per finding: cover when its action is "cover" (as the CLI does);
    None without a policy (the core's own defaults apply)."""
    if assessment is None:
        return None
    return [str(getattr(d.action, "value", d.action)) == "cover" for d in assessment.findings]
