"""Every label the coco and police_vehicle detectors emit reaches a rule of its own in every profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors import coco
from sharesafe.policy import evaluate
from sharesafe.policy_load import builtin_names, load_profile
from sharesafe.types import Box, Category, Finding, ScanResult

POLICE = "police vehicle: chequered livery (yellow-green/blue) + light bar (blue)"


def _finding(category: Category, label: str) -> Finding:
    return Finding(category, label, 0.8, Box(10, 10, 60, 40), "test")


@pytest.mark.parametrize("name", builtin_names())
def test_scene_labels_reach_their_rules(name: str) -> None:
    profile = load_profile(name)
    findings = [_finding(t.category, t.label) for t in coco.CLASS_MAP.values()]
    findings.append(_finding(Category.VEHICLE, POLICE))
    scan = ScanResult(path=Path("x.jpg"), width=1000, height=800, findings=findings)
    decisions = evaluate(scan, profile).findings
    by_label = {f.label: d for f, d in zip(findings, decisions, strict=True)}
    for label, d in by_label.items():
        assert d.rules, f"{name}: {label!r} reached no rule"
    # a police vehicle is what the policies are about; an ordinary car is context
    assert any("police" in r for r in by_label[POLICE].rules)
    assert not any("police" in r for r in by_label["vehicle: car"].rules)
    assert by_label[POLICE].needs_fix
    for label in ("screen: laptop", "screen: phone", "screen: monitor or tv"):
        assert any("screen" in r for r in by_label[label].rules)
    assert any("document" in r for r in by_label["document: book or papers"].rules)
    assert any("weapon" in r for r in by_label["knife"].rules)
