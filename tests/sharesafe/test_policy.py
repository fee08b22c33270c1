"""Policy profiles: coverage, citations, validation errors, rule matching and verdicts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sharesafe.policy import (
    Action,
    PolicyError,
    Severity,
    Verdict,
    annotate_scan_json,
    builtin_names,
    evaluate,
    list_profiles,
    load_profile,
    profile_sources,
)
from sharesafe.types import Box, Category, Finding, MetadataItem, MetadataKind, Risk, ScanResult, TextClass

SEEDS = ["meghalaya", "mps", "department", "personal-template", "essex"]
ALL = [*SEEDS, "strict"]

#: The words each profile's citations must carry to name their document.
DOC_NAMES = {
    "meghalaya": "Meghalaya",
    "mps": "MPS",
    "department": "Department",
    "personal-template": "template",
    "essex": "Essex",
}


def finding(cat: Category, box: tuple[int, int, int, int] = (10, 10, 50, 50), **extra: str) -> Finding:
    return Finding(cat, cat.value, 0.9, Box(*box), "test", extra=dict(extra))


def meta(kind: MetadataKind, tag: str = "Tag", value: str = "v") -> MetadataItem:
    return MetadataItem("EXIF", tag, value, Risk.MEDIUM, "test", kind)


def scan_of(
    *findings: Finding, metadata: tuple[MetadataItem, ...] = (), w: int = 1000, h: int = 800
) -> ScanResult:
    return ScanResult(
        path=Path("photo.jpg"),
        sha256="0" * 64,
        format="JPEG",
        width=w,
        height=h,
        findings=list(findings),
        metadata=list(metadata),
    )


def test_builtin_profiles_are_listed() -> None:
    assert set(builtin_names()) == set(ALL)
    assert [n for n, _ in list_profiles()][: len(ALL)] == sorted(ALL)
    titles = dict(list_profiles())
    assert titles["essex"] == "Essex Police procedure C 3011 (2018)"
    assert dict(profile_sources())["essex"] == "built-in"


@pytest.mark.parametrize("name", ALL)
def test_every_category_and_metadata_kind_is_mapped(name: str) -> None:
    profile = load_profile(name)
    for cat in Category:
        d = evaluate(scan_of(finding(cat)), profile).findings[0]
        assert d.reasons, f"{name}: {cat.value} has no reason"
        assert d.action in (Action.COVER, Action.ASK, Action.NONE)
    for tc in TextClass:
        d = evaluate(scan_of(finding(Category.TEXT, text_class=tc)), profile).findings[0]
        assert d.reasons, f"{name}: text/{tc} has no reason"
    for kind in MetadataKind:
        d = evaluate(scan_of(metadata=(meta(kind),)), profile).metadata[0]
        assert d.reasons and d.action in (Action.STRIP, Action.ASK, Action.NONE), f"{name}: {kind.value}"
    # Each seed profile has a base rule per category and kind of its own (not only through strict).
    if name != "strict":
        cats = {r.category for r in profile.rules if r.is_base and r.category}
        kinds = {r.metadata for r in profile.rules if r.metadata}
        assert cats == set(Category) and kinds == set(MetadataKind)


@pytest.mark.parametrize("name", SEEDS)
def test_every_citation_names_its_document(name: str) -> None:
    profile = load_profile(name)
    reasons = [r for rule in profile.rules for r in rule.reasons]
    reasons += [r for c in profile.combinations for r in c.reasons]
    assert reasons
    for reason in reasons:
        citation = str(reason.citation)
        assert DOC_NAMES[name].lower() in citation.lower(), citation
        assert reason.citation.section.strip(), citation
        assert len(reason.text) > 20
    for item in (*profile.not_applicable, *profile.check_yourself):
        assert DOC_NAMES[name].lower() in item.document.short.lower()
        assert item.section and item.rule and item.why
    assert profile.not_applicable, f"{name} lists no rules considered and set aside"


def test_strict_unites_every_seed() -> None:
    strict = load_profile("strict")
    assert strict.members == tuple(SEEDS)
    d = evaluate(scan_of(finding(Category.FACE)), strict).findings[0]
    cited = {r.citation.document.key for r in d.reasons}
    assert cited == {"meghalaya", "mps", "department", "template", "essex"}
    # The strictest member wins: Meghalaya blocks premises, the others only warn.
    d = evaluate(scan_of(finding(Category.PREMISES)), strict).findings[0]
    assert d.severity is Severity.BLOCK


def test_specific_rule_beats_category_rule() -> None:
    profile = load_profile("mps")
    plain = evaluate(scan_of(finding(Category.TEXT, text_class="other")), profile).findings[0]
    marking = evaluate(scan_of(finding(Category.TEXT, text_class="protective_marking")), profile).findings[0]
    assert (plain.severity, plain.action) == (Severity.NOTE, Action.ASK)
    assert (marking.severity, marking.action) == (Severity.BLOCK, Action.COVER)
    assert marking.rules == ("mps.text-protective-marking",)
    assert "protectively marked" in marking.reasons[0].text


def test_verdicts() -> None:
    profile = load_profile("meghalaya")
    assert evaluate(scan_of(), profile).verdict is Verdict.LOOKS_SAFE
    # Notes only: a person and the camera's technical details.
    notes = scan_of(finding(Category.PERSON), metadata=(meta(MetadataKind.TECHNICAL),))
    assert evaluate(notes, profile).verdict is Verdict.LOOKS_SAFE
    # GPS: Meghalaya blocks it, but stripping fixes it.
    gps = evaluate(scan_of(metadata=(meta(MetadataKind.LOCATION),)), profile)
    assert gps.verdict is Verdict.SHARE_AFTER_FIXES
    assert gps.metadata[0].severity is Severity.BLOCK and gps.metadata[0].action is Action.STRIP
    # A small police-station sign in the corner can be covered ...
    small = evaluate(scan_of(finding(Category.PREMISES, (0, 0, 100, 100))), profile)
    assert small.verdict is Verdict.SHARE_AFTER_FIXES
    # ... a photo that IS of a police station cannot.
    big = evaluate(scan_of(finding(Category.PREMISES, (0, 0, 1000, 500))), profile)
    assert big.verdict is Verdict.DO_NOT_SHARE
    assert not big.findings[0].fixable and "fills 62%" in (big.findings[0].unfixable_because or "")
    # Stable string values.
    assert [v.value for v in Verdict] == ["do_not_share", "share_after_fixes", "looks_safe"]
    assert Verdict.DO_NOT_SHARE.text == "Do not share"


def test_do_not_share_limit_applies_under_strict_but_not_essex() -> None:
    photo = scan_of(finding(Category.PREMISES, (0, 0, 1000, 800)))
    assert evaluate(photo, load_profile("strict")).verdict is Verdict.DO_NOT_SHARE
    assert evaluate(photo, load_profile("essex")).verdict is Verdict.SHARE_AFTER_FIXES


def test_meghalaya_uniform_with_weapon_or_government_vehicle_blocks() -> None:
    profile = load_profile("meghalaya")
    alone = evaluate(scan_of(finding(Category.UNIFORM)), profile)
    assert alone.findings[0].severity is Severity.WARN and not alone.combinations
    weapon = finding(Category.WEAPON, (200, 200, 300, 300))
    patrol = Finding(Category.VEHICLE, "police vehicle (marking on a vehicle)", 0.7, Box(0, 0, 400, 300), "t")
    kit_car = Finding(Category.VEHICLE, "kit vehicle: district patrol car", 0.7, Box(0, 0, 400, 300), "t")
    ambulance = Finding(Category.VEHICLE, "emergency vehicle", 0.7, Box(0, 0, 400, 300), "t")
    for other, combo in (
        (weapon, "meghalaya.uniform-with-weapon"),
        (patrol, "meghalaya.uniform-with-government-vehicle"),
        (kit_car, "meghalaya.uniform-with-government-vehicle"),
        (ambulance, "meghalaya.uniform-with-government-vehicle"),
    ):
        a = evaluate(scan_of(finding(Category.UNIFORM), other), profile)
        assert a.combinations == [combo]
        assert all(d.severity is Severity.BLOCK for d in a.findings)
        assert any("bullet 1" in str(r.citation) for r in a.findings[0].reasons)
        assert a.verdict is Verdict.SHARE_AFTER_FIXES
    # An ordinary car is context, not a government vehicle: noted, not covered, no combination.
    car = Finding(Category.VEHICLE, "car", 0.7, Box(0, 0, 400, 300), "t")
    a = evaluate(scan_of(finding(Category.UNIFORM), car), profile)
    assert not a.combinations
    assert (a.findings[1].severity, a.findings[1].action) == (Severity.NOTE, Action.ASK)
    assert (evaluate(scan_of(patrol), profile).findings[0].action) is Action.COVER
    # A weapon without a uniform does not trigger it.
    a = evaluate(scan_of(weapon, finding(Category.FACE)), profile)
    assert not a.combinations and a.findings[0].severity is Severity.WARN


def test_template_face_with_uniform_blocks_and_essex_only_warns() -> None:
    photo = scan_of(finding(Category.FACE), finding(Category.UNIFORM, (0, 60, 80, 200)))
    t = evaluate(photo, load_profile("personal-template"))
    assert "personal-template.face-with-police-identity" in t.combinations
    assert t.findings[0].severity is Severity.BLOCK
    assert any(r.citation.section == "7b" for r in t.findings[0].reasons)
    e = evaluate(photo, load_profile("essex"))
    assert e.findings[0].severity is Severity.WARN
    assert any("3.4" in str(r.citation) for r in e.findings[0].reasons)


def test_protective_marking_on_a_document_blocks_the_document() -> None:
    photo = scan_of(
        finding(Category.DOCUMENT, (100, 100, 600, 700)),
        finding(Category.TEXT, (120, 110, 300, 140), text_class="protective_marking"),
        finding(Category.FACE, (700, 100, 760, 160)),
    )
    a = evaluate(photo, load_profile("essex"))
    assert a.findings[0].severity is Severity.BLOCK  # the document, raised by the combination
    assert a.findings[2].severity is Severity.WARN  # the face is not part of it


def test_unfixable_combination_and_labels_from_a_user_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARESAFE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "policies").mkdir()
    base = _minimal_profile("myforce")
    base += textwrap.dedent(
        """
        [[rules]]
        id = "rifle"
        category = "weapon"
        label = "Rifle"
        severity = "block"
        action = "cover"
        reasons = ["r"]

        [[combinations]]
        id = "armed-officer"
        description = "An armed officer in uniform may not be shown at all"
        when = [{ category = "uniform" }, { category = "weapon", label = "rifle" }]
        severity = "block"
        action = "cover"
        fixable = false
        reasons = ["r"]
        """
    )
    (tmp_path / "policies" / "myforce.toml").write_text(base)
    assert ("myforce", str(tmp_path / "policies" / "myforce.toml")) in profile_sources()
    assert ("myforce", "Test profile") in list_profiles()
    profile = load_profile("myforce")
    rifle = Finding(Category.WEAPON, "rifle", 0.8, Box(0, 0, 10, 10), "t")
    knife = Finding(Category.WEAPON, "knife", 0.8, Box(0, 0, 10, 10), "t")
    assert evaluate(scan_of(rifle), profile).findings[0].severity is Severity.BLOCK
    assert evaluate(scan_of(knife), profile).findings[0].severity is Severity.NOTE
    both = evaluate(scan_of(rifle, finding(Category.UNIFORM)), profile)
    assert both.verdict is Verdict.DO_NOT_SHARE
    assert both.findings[1].unfixable_because == "An armed officer in uniform may not be shown at all"
    assert evaluate(scan_of(knife, finding(Category.UNIFORM)), profile).verdict is Verdict.LOOKS_SAFE


def test_every_decision_names_its_finding() -> None:
    photo = scan_of(finding(Category.FACE), finding(Category.PERSON, (100, 100, 200, 300)))
    a = evaluate(photo, load_profile("mps"))
    assert [f.id for f in photo.findings] == ["f1", "f2"]  # given by the core, not the detector
    assert [d.finding_id for d in a.findings] == ["f1", "f2"]
    assert a.decision_for("f2") is a.findings[1] and a.decision_for("f9") is None


def test_failed_scan_and_failed_detector() -> None:
    broken = ScanResult(path=Path("x.jpg"), error="the file is truncated")
    a = evaluate(broken, load_profile("strict"))
    assert a.verdict is Verdict.DO_NOT_SHARE and "truncated" in a.notes[0]
    partial = scan_of()
    partial.detector_errors["faces"] = "RuntimeError: boom"
    a = evaluate(partial, load_profile("strict"))
    assert a.verdict is Verdict.SHARE_AFTER_FIXES and "faces" in a.notes[0]


def test_annotate_scan_json_adds_verdict_and_reasons() -> None:
    photo = scan_of(
        finding(Category.TEXT, text_class="police_marking"), metadata=(meta(MetadataKind.LOCATION),)
    )
    a = evaluate(photo, load_profile("meghalaya"))
    doc = annotate_scan_json(photo.to_json(), a)
    assert doc["verdict"] == "share_after_fixes" and doc["policy"] == "meghalaya"
    f = doc["findings"][0]
    assert f["severity"] == "warn" and f["action"] == "cover"
    assert {"text", "citation"} <= set(f["reasons"][0])
    assert doc["metadata"][0]["severity"] == "block"


# -- validation -----------------------------------------------------------------------------------


def _minimal_profile(name: str) -> str:
    """A valid profile mapping everything to a note, for tests to extend or break."""
    lines = [
        "schema = 1",
        "[profile]",
        f'name = "{name}"',
        'title = "Test profile"',
        "[documents.doc]",
        'title = "Test document"',
        'short = "Test doc"',
        "[reasons.r]",
        'text = "A paraphrased rule for tests."',
        'document = "doc"',
        'section = "1.1"',
    ]
    for cat in Category:
        lines += ["[[rules]]", f'id = "{cat.value}"', f'category = "{cat.value}"']
        lines += ['severity = "note"', 'action = "ask"', 'reasons = ["r"]']
    for kind in MetadataKind:
        lines += ["[[rules]]", f'id = "m-{kind.value}"', f'metadata = "{kind.value}"']
        lines += ['severity = "note"', 'action = "strip"', 'reasons = ["r"]']
    return "\n".join(lines) + "\n"


def _error_for(tmp_path: Path, text: str, name: str = "bad") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as exc:
        load_profile(str(path))
    return str(exc.value)


def test_minimal_profile_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(_minimal_profile("ok"))
    assert load_profile(str(path)).name == "ok"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('category = "face"', 'category = "faces"'), "unknown category 'faces'; known: face, person"),
        (('severity = "note"', 'severity = "fatal"'), "unknown severity 'fatal'; known: note, warn, block"),
        (('action = "ask"', 'action = "strip"'), "action 'strip' does not apply to a finding"),
        (('action = "strip"', 'action = "cover"'), "action 'cover' does not apply to metadata"),
        (('section = "1.1"', ""), "missing citation: 'section'"),
        (('document = "doc"', 'document = "nope"'), "citation names unknown document 'nope'"),
        (('document = "doc"', ""), "missing citation document"),
        (('metadata = "time"', 'metadata = "clock"'), "unknown metadata kind 'clock'"),
        (('reasons = ["r"]', 'reasons = ["q"]'), "unknown reason 'q'"),
        (('reasons = ["r"]', "reasons = []"), "needs at least one reason"),
        (("schema = 1", "schema = 7"), "expected schema = 1"),
        (('name = "bad"', 'name = "other"'), "must match the file name 'bad.toml'"),
    ],
)
def test_validator_errors_are_clear(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    old, new = change
    text = _minimal_profile("bad")
    assert old in text
    message = _error_for(tmp_path, text.replace(old, new, 1))
    assert expected in message
    assert "bad.toml" in message  # the error names the file


def test_validator_reports_unmapped_and_several_problems_at_once(tmp_path: Path) -> None:
    text = _minimal_profile("bad")
    cut = text.index('[[rules]]\nid = "plate"')
    end = text.index("[[rules]]", cut + 5)
    text = text[:cut] + text[end:]
    text = text.replace('text_class = "x"', "")
    text += '[[rules]]\nid = "t2"\ncategory = "text"\ntext_class = "graffiti"\nseverity = "warn"\n'
    text += 'action = "cover"\nreasons = ["r"]\nbogus = 1\n'
    message = _error_for(tmp_path, text)
    assert "unmapped: plate" in message
    assert "unknown text_class 'graffiti'" in message
    assert "unknown key 'bogus'" in message
    assert message.count("\n  - ") >= 3


def test_validator_other_errors(tmp_path: Path) -> None:
    assert "not valid TOML" in _error_for(tmp_path, "schema = = 1")
    block_none = _minimal_profile("bad").replace(
        'severity = "note"\naction = "ask"', 'severity = "block"\naction = "none"', 1
    )
    assert "a 'block' rule needs an action that fixes it" in _error_for(tmp_path, block_none)
    limit = _minimal_profile("bad").replace('id = "premises"', 'id = "premises"\ndo_not_share_above = 1.5')
    assert "do_not_share_above must be a share of the image in (0, 1]" in _error_for(tmp_path, limit)
    combo = _minimal_profile("bad") + '[[combinations]]\nid = "c"\nwhen = [{ category = "face" }]\n'
    combo += 'severity = "warn"\naction = "cover"\nreasons = ["r"]\n'
    assert "'when' must list at least two conditions" in _error_for(tmp_path, combo)
    unused = _minimal_profile("bad") + '[reasons.spare]\ntext = "x"\ndocument = "doc"\nsection = "2"\n'
    assert "[reasons.spare]: defined but no rule or combination uses it" in _error_for(tmp_path, unused)
    dup = _minimal_profile("bad") + '[[rules]]\nid = "face2"\ncategory = "face"\nseverity = "warn"\n'
    dup += 'action = "cover"\nreasons = ["r"]\n'
    assert "matches exactly what 'bad.face' matches" in _error_for(tmp_path, dup)


def test_unknown_profile_and_union_loops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARESAFE_CONFIG_DIR", str(tmp_path))
    with pytest.raises(PolicyError, match="no policy profile named 'nope'; available: department"):
        load_profile("nope")
    folder = tmp_path / "policies"
    folder.mkdir()
    for a, b in (("loop-a", "loop-b"), ("loop-b", "loop-a")):
        (folder / f"{a}.toml").write_text(
            f'schema = 1\n[profile]\nname = "{a}"\ntitle = "t"\nunites = ["{b}"]\n'
        )
    with pytest.raises(PolicyError, match="loop: loop-a -> loop-b -> loop-a"):
        load_profile("loop-a")
    (folder / "mine.toml").write_text(
        'schema = 1\n[profile]\nname = "mine"\ntitle = "t"\nunites = ["mps", "essex"]\n'
    )
    mine = load_profile("mine")
    assert mine.members == ("mps", "essex")
    assert evaluate(scan_of(finding(Category.FACE)), mine).findings[0].reasons


def test_user_file_cannot_replace_a_builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sharesafe.policy import shadowed_user_files

    monkeypatch.setenv("SHARESAFE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "mps.toml").write_text(_minimal_profile("mps"))
    assert load_profile("mps").origin == "built-in"
    assert shadowed_user_files() == [tmp_path / "policies" / "mps.toml"]
