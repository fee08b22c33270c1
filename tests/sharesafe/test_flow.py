"""The one check-and-make-safe flow (issue 15): ids from detection to audit, the one rule for what is
covered by default, "Do not share" respected, the shared batch loop, and the CLI and the self-test
reaching the export and the audit record only through it."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from sharesafe import backends
from sharesafe.cli import EXIT_CLEAN, EXIT_RISKS, main
from sharesafe.detector import Detector, ModelInfo, RGBImage
from sharesafe.geometry import covered_share, is_on, nms, share_inside
from sharesafe.jobs import OutputFolder, check, check_many, clean_many, default_review, in_order, make_safe
from sharesafe.pipeline import export
from sharesafe.policy import Action, load_profile
from sharesafe.review import Decided, Review
from sharesafe.types import Box, Category, Finding, ScanResult, TextClass
from tests.flow_spy import FlowSpy
from tests.sharesafe.street_photos import photo


@dataclass
class Station:
    """A police station filling most of the photo (as the cues detector reports signage), and a
    face: under Meghalaya's policy covering cannot make such a photo shareable."""

    name: str = "fake-premises"
    categories: frozenset[Category] = frozenset({Category.PREMISES, Category.FACE})
    info: ModelInfo = field(default_factory=lambda: ModelInfo("none", "MIT", "0"))
    share: float = 0.6

    def load(self) -> None:
        pass

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        h, w = image.shape[:2]
        sx, sy = int(w * self.share**0.5), int(h * self.share**0.5)
        out = []
        if float(image[10:40, 10:40].std()) > 1:  # gone once covered
            out.append(Finding(Category.FACE, "face", 0.9, Box(10, 10, 40, 40), self.name))
        if float(image[:sy, :sx].std()) > 1:
            out.append(
                Finding(Category.PREMISES, "police premises (signage)", 0.8, Box(0, 0, sx, sy), self.name)
            )
        return out


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(args), out=out, err=err), out.getvalue(), err.getvalue()


def use_detectors(monkeypatch: pytest.MonkeyPatch, *dets: Detector) -> None:
    def load(names: Iterable[str] | None = None) -> list[Detector]:
        return list(dets)

    monkeypatch.setattr(backends, "load", load)


# -- ids, the review and the audit record ------------------------------------------------------------


def f(cat: Category, box: tuple[int, int, int, int], **extra: str) -> Finding:
    return Finding(cat, cat.value, 0.9, Box(*box), "test", extra=dict(extra))


def test_ids_are_given_once_in_order_and_kept() -> None:
    scan = ScanResult(
        Path("x.jpg"), findings=[f(Category.FACE, (0, 0, 5, 5)), f(Category.TEXT, (9, 9, 20, 20))]
    )
    scan.ensure_ids()
    assert [x.id for x in scan.findings] == ["f1", "f2"]
    scan.findings.append(f(Category.PLATE, (30, 30, 40, 40)))
    scan.findings.append(scan.findings[0])  # a duplicate id gets a new one
    scan.ensure_ids()
    assert [x.id for x in scan.findings] == ["f1", "f2", "f3", "f4"]
    assert scan.finding("f3").category is Category.PLATE


def test_review_by_id_moves_untick_and_drawn_regions() -> None:
    scan = ScanResult(
        Path("x.jpg"), findings=[f(Category.FACE, (0, 0, 50, 50)), f(Category.PERSON, (0, 0, 90, 90))]
    )
    scan.ensure_ids()
    review = Review(scan, {"f1": True, "f2": False})
    assert [review.decision(i) for i in ("f1", "f2")] == [Decided.COVERED, Decided.NOT_COVERED]
    review.move("f1", Box(5, 5, 55, 55))
    assert review.box("f1") == Box(5, 5, 55, 55) and review.moved("f1")
    assert review.covered_findings[0].box == Box(5, 5, 55, 55) and review.covered_findings[0].id == "f1"
    review.set_cover("f1", False)
    assert review.decision("f1") is Decided.LEFT_BY_USER  # the default was to cover it
    review.set_cover("f2", True)
    assert review.decision("f2") is Decided.COVERED
    m = review.add_manual(Box(60, 60, 70, 70))
    assert m == "m1" and review.decision(m) is Decided.MANUAL_REGION
    review.move(m, Box(61, 61, 71, 71))
    assert review.regions()[-1][0] == Box(61, 61, 71, 71)
    review.remove_manual(m)
    assert review.add_manual(Box(1, 1, 9, 9)) == "m2"  # ids are never reused
    review.move("f1", Box(0, 0, 50, 50))  # back where it was found: no longer moved
    assert not review.moved("f1")
    with pytest.raises(ValueError, match="one default per finding"):
        Review(scan, {"f1": True})
    with pytest.raises(KeyError):
        review.set_cover("f9", True)


def test_default_review_is_the_profile_cover_action(tmp_path: Path) -> None:
    src = photo(tmp_path / "a.jpg")
    dets = [_Fixed([(Category.FACE, (10, 10, 60, 60)), (Category.PERSON, (5, 5, 200, 230))])]
    for name in ("strict", "meghalaya", "mps"):
        checked = check(src, dets, load_profile(name))
        review = default_review(checked)
        for d in checked.assessment.findings:
            assert d.finding_id is not None
            assert review.covers(d.finding_id) is (d.action is Action.COVER), (name, d)
    only = default_review(checked, metadata_only=True)
    assert not only.needs_pixels_changed
    assert {only.decision(x.id) for x in checked.scan.findings} <= {Decided.LEFT_BY_USER, Decided.NOT_COVERED}


@dataclass
class _Fixed:
    """Fixed findings while their region still shows detail (a solid cover makes them go)."""

    regions: list[tuple[Category, tuple[int, int, int, int]]]
    name: str = "fixed"
    categories: frozenset[Category] = frozenset(Category)
    info: ModelInfo = field(default_factory=lambda: ModelInfo("none", "MIT", "0"))
    delay: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    def load(self) -> None:
        pass

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        time.sleep(self.delay)
        h, w = image.shape[:2]
        return [
            Finding(cat, cat.value, 0.9, Box.from_xyxy(*box, w, h), self.name, extra=dict(self.extra))
            for cat, box in self.regions
            if float(image[box[1] : box[3], box[0] : box[2]].std()) > 1.0
        ]


def test_audit_record_names_each_decision_by_id_with_moved_boxes(tmp_path: Path) -> None:
    src = photo(tmp_path / "in" / "a.jpg", size=(640, 480))
    det = _Fixed(
        [
            (Category.FACE, (40, 40, 120, 140)),
            (Category.PLATE, (300, 380, 420, 420)),
            (Category.FACE, (500, 50, 580, 150)),
        ]
    )
    checked = check(src, [det], load_profile("strict"))
    ids = [x.id for x in checked.scan.findings]
    assert ids == ["f1", "f2", "f3"]
    review = default_review(checked)
    review.move("f1", Box(30, 30, 140, 160))  # the user grows the first face's box
    review.set_cover("f2", False)  # leaves the plate
    drawn = review.add_manual(Box(200, 200, 260, 260))
    done = make_safe(checked, review, tmp_path / "out", detectors=[det])
    assert done.ok and done.audit is not None, done.export
    (rec,) = json.loads(done.audit.json.read_text())["files"]
    by_id = {x["id"]: x for x in rec["findings"]}
    assert set(by_id) == {"f1", "f2", "f3", drawn}
    assert by_id["f1"]["decision"] == "covered" and by_id["f1"]["moved_by_user"]
    assert (
        by_id["f1"]["box"] == [30, 30, 140, 160]
        and by_id["f1"]["box_detected"] == review.scan.finding("f1").box.as_list()
    )
    assert by_id["f2"]["decision"] == "left_by_user" and not by_id["f2"]["moved_by_user"]
    assert by_id["f3"]["decision"] == "covered" and by_id["f3"]["box_detected"] is None
    assert by_id[drawn]["decision"] == "manual_region" and by_id[drawn]["box"] == [200, 200, 260, 260]
    assert rec["findings_left_against_policy"] == 1
    # The export's lists name the same ids.
    assert done.export is not None
    assert sorted(x.id for x in done.export.covered) == ["f1", "f3", drawn]
    assert [x.id for x in done.export.left] == ["f2"]


def test_text_class_is_one_typed_vocabulary() -> None:
    t = f(Category.TEXT, (0, 0, 5, 5), text_class="police_marking")
    assert t.text_class is TextClass.POLICE_MARKING
    assert f(Category.TEXT, (0, 0, 5, 5), text_class="made-up").text_class is None
    assert f(Category.TEXT, (0, 0, 5, 5)).text_class is None


def test_geometry() -> None:
    assert share_inside(Box(0, 0, 10, 10), Box(5, 0, 20, 10)) == 0.5
    assert is_on(Box(0, 0, 10, 10), Box(4, 0, 20, 10), 0.6) and not is_on(
        Box(0, 0, 10, 10), Box(5, 0, 20, 10), 0.6
    )
    assert not is_on(Box(3, 3, 3, 3), Box(0, 0, 10, 10), 0.1)  # an empty box is on nothing
    assert covered_share(Box(0, 0, 10, 10), [Box(0, 0, 5, 10), Box(3, 0, 10, 5)]) == 0.75
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 10, 10]], dtype=np.float32)
    scores = np.array([0.5, 0.9, 0.8, 0.7], dtype=np.float32)
    assert nms(boxes, scores, 0.5) == [1, 2]
    assert nms(boxes, scores, 0.5, classes=np.array([0, 0, 0, 1])) == [1, 2, 3]


# -- "Do not share" ---------------------------------------------------------------------------------


def test_clean_premises_photo_under_meghalaya_needs_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = photo(tmp_path / "in" / "station.jpg", size=(640, 480))
    use_detectors(monkeypatch, Station())
    out_dir = tmp_path / "out"
    code, out, _ = run_cli("clean", "--policy", "meghalaya", "--out", str(out_dir), str(src))
    assert code == EXIT_RISKS
    assert "verdict: Do not share" in out and "NOT WRITTEN" in out and "--force" in out
    assert "fills 70% of the photo (the limit is 35%)" in out
    written = [p for p in out_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert written == []  # no copy, no record, nothing in NOT-SAFE/ either
    code, out, _ = run_cli("clean", "--policy", "meghalaya", "--json", "--out", str(out_dir), str(src))
    (doc,) = json.loads(out)["files"]
    assert doc["export"] is None and "fills 70%" in doc["refused"] and doc["verdict"] == "do_not_share"
    # --force: written, verified, and the record says the user overrode the verdict.
    code, out, _ = run_cli("clean", "--policy", "meghalaya", "--force", "--out", str(out_dir), str(src))
    assert "written with --force" in out
    record = json.loads((out_dir / "station-safe.audit.json").read_text())
    (rec,) = record["files"]
    assert rec["verdict"] == "do_not_share" and rec["override"]["forced"] is True
    assert "fills 70%" in rec["override"]["text"]
    assert "Override" in (out_dir / "station-safe.audit.html").read_text()
    csv_rows = (out_dir / "station-safe.audit.csv").read_text().splitlines()
    assert all(",yes," in row for row in csv_rows[1:])  # forced
    # Under a policy without that limit the same photo is shareable after fixes, and written.
    code, out, _ = run_cli("clean", "--policy", "mps", "--out", str(tmp_path / "mps"), str(src))
    assert "verdict: Share after fixes" in out and (tmp_path / "mps" / "station-safe.jpg").is_file()


def test_make_safe_refuses_a_blocked_photo_unless_forced(tmp_path: Path) -> None:
    src = photo(tmp_path / "in" / "station.jpg", size=(640, 480))
    checked = check(src, [Station()], load_profile("meghalaya"))
    assert checked.blocked and "fills 70%" in checked.blocked_because
    refused = make_safe(checked, default_review(checked), tmp_path / "out", detectors=[Station()])
    assert refused.export is None and refused.refused and not refused.ok
    assert not (tmp_path / "out").exists()
    forced = make_safe(checked, default_review(checked), tmp_path / "out", detectors=[Station()], force=True)
    assert forced.ok and forced.forced and forced.entry is not None and forced.entry.forced


# -- the batch loop ---------------------------------------------------------------------------------


def test_in_order_keeps_input_order_and_bounds_what_is_in_flight() -> None:
    started: list[int] = []
    running = 0
    most = 0
    lock = threading.Lock()

    def work(i: int) -> int:
        nonlocal running, most
        with lock:
            started.append(i)
            running += 1
            most = max(most, running)
        time.sleep(0.02 * ((7 * i) % 5))  # finish out of order
        with lock:
            running -= 1
        return i * i

    taken: list[int] = []

    def items() -> Iterable[int]:
        for i in range(40):
            taken.append(i)
            yield i

    out = []
    for i, value in enumerate(in_order(items(), work, workers=3)):
        assert len(taken) <= i + 1 + 2 * 3  # never more than 2 x workers taken ahead
        out.append(value)
    assert out == [i * i for i in range(40)]
    assert 1 < most <= 3


def test_in_order_cancel_stops_new_work() -> None:
    flag = threading.Event()

    def work(i: int) -> int:
        if i == 3:
            flag.set()
        time.sleep(0.01)
        return i

    out = list(in_order(range(100), work, workers=2, cancel=flag))
    assert out[:4] == [0, 1, 2, 3] and len(out) < 12  # what had started finishes; nothing new starts


def test_check_many_matches_one_by_one_and_each_detector_sees_one_photo_at_a_time(tmp_path: Path) -> None:
    paths = [photo(tmp_path / f"p{i}.jpg", seed=i * 20) for i in range(6)]
    paths.insert(3, tmp_path / "missing.jpg")

    @dataclass
    class Exclusive(_Fixed):
        inside: int = 0
        overlapped: bool = False

        def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
            self.inside += 1
            self.overlapped = self.overlapped or self.inside > 1
            try:
                return super().detect(image, context)
            finally:
                self.inside -= 1

    det = Exclusive([(Category.FACE, (10, 10, 60, 60))], delay=0.02)
    profile = load_profile("strict")
    batch = list(check_many(paths, [det], profile, workers=3))
    serial = [check(p, [det], profile) for p in paths]
    assert [c.path for c in batch] == paths
    assert [c.scan.error is None for c in batch] == [c.scan.error is None for c in serial]
    assert [[x.id for x in c.scan.findings] for c in batch] == [
        [x.id for x in c.scan.findings] for c in serial
    ]
    assert [c.verdict for c in batch] == [c.verdict for c in serial]
    assert not det.overlapped


def test_clean_many_resumes_and_writes_in_order(tmp_path: Path) -> None:
    paths = [photo(tmp_path / "in" / f"p{i}.jpg", seed=i * 30) for i in range(5)]
    profile = load_profile("strict")
    with OutputFolder.open(tmp_path / "out") as folder:
        first = list(clean_many(paths, [], profile, folder, workers=3))
    assert [c.path for c in first] == paths and all(c.copy is not None and c.copy.ok for c in first)
    with OutputFolder.open(tmp_path / "out") as folder:
        again = list(clean_many(paths, [], profile, folder, workers=3))
    assert [c.resumed for c in again] == [tmp_path / "out" / f"p{i}-safe.jpg" for i in range(5)]


# -- the front ends reach the export and the record only through the flow ------------------------------


def test_the_spy_sees_an_export_that_bypasses_the_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = FlowSpy(monkeypatch)
    src = photo(tmp_path / "a.jpg")
    checked = check(src, [], load_profile("strict"))
    export(checked.scan, tmp_path / "out", default_review(checked))  # a front end doing it itself
    assert spy.exports == [False]
    with pytest.raises(AssertionError, match="did not go through"):
        spy.records.append(True)
        spy.assert_only_through_flow()


def test_cli_clean_exports_and_records_only_through_the_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        photo(tmp_path / "in" / f"p{i}.jpg", seed=i * 40)
    use_detectors(monkeypatch, _Fixed([(Category.FACE, (10, 10, 60, 60))]))
    spy = FlowSpy(monkeypatch)
    code, _, _ = run_cli("clean", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert code == EXIT_RISKS
    spy.assert_only_through_flow()
    assert len(spy.exports) == 3 and len(spy.records) == 4  # a record per copy, and the batch's


def test_cli_demo_exports_and_records_only_through_the_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = FlowSpy(monkeypatch)
    code, out, _ = run_cli("demo", "--out", str(tmp_path / "demo"), "--no-detectors")
    assert code == EXIT_CLEAN, out
    spy.assert_only_through_flow()


def test_self_test_exports_and_records_only_through_the_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sharesafe.test_selftest import install_registry, run

    install_registry(monkeypatch)
    spy = FlowSpy(monkeypatch)
    code, lines = run()
    assert code == 0, lines
    spy.assert_only_through_flow()
