"""The self-test: zero detectors, working fakes, and each way a broken bundle shows up."""

from __future__ import annotations

import contextlib
import io
import socket
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sharesafe import backends
from sharesafe.cli import EXIT_USAGE, main
from sharesafe.detector import Detector, ModelInfo, RGBImage
from sharesafe.selftest import _NetworkWatch, make_photo, run_self_test
from sharesafe.types import Box, Category, Finding

# Where the generated photo shows each thing (see sharesafe.samples.street_scene and make_photo).
POLICE_SIGN = (200, 200, 800, 330)
PLATE = (700, 930, 1000, 1000)
QR = (1290, 870, 1470, 1050)


@dataclass
class SampleDetector:
    """Finds fixed regions of the self-test photo while they still show detail (a covered region is
    flat, so a re-scan of a good export finds nothing)."""

    regions: list[tuple[Category, tuple[int, int, int, int]]]
    name: str = "sample"
    categories: frozenset[Category] = frozenset()
    info: ModelInfo = field(default_factory=lambda: ModelInfo("fake.onnx", "MIT", "1"))
    loaded: bool = False
    see_through_covers: bool = False
    on_load: Callable[[], None] | None = None
    on_detect: Callable[[], None] | None = None
    #: From the second call on, also report text the first scan did not show (a model that is not
    #: deterministic, or a cover that creates something new): the export must not verify.
    new_on_rescan: bool = False
    calls: int = 0

    def __post_init__(self) -> None:
        if not self.categories:
            self.categories = frozenset(c for c, _ in self.regions)

    def load(self) -> None:
        if self.on_load:
            self.on_load()
        self.loaded = True

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        if self.on_detect:
            self.on_detect()
        self.calls += 1
        h, w = image.shape[:2]
        out = []
        if self.new_on_rescan and self.calls > 1:
            out.append(Finding(Category.TEXT, "text", 0.9, Box(40, 1100, 300, 1180), self.name))
        for cat, (x1, y1, x2, y2) in self.regions:
            if not self.see_through_covers and float(image[y1:y2, x1:x2].std()) < 2.0:
                continue
            # the text on the photo is a police sign: the text classifier calls it a police marking
            extra = {"text_class": "police_marking"} if cat is Category.TEXT else {}
            box = Box.from_xyxy(x1, y1, x2, y2, w, h)
            out.append(Finding(cat, cat.value, 0.9, box, self.name, extra=extra))
        return out


@dataclass
class FakeBackend:
    name: str
    make: Callable[[], Detector]
    default: bool = True
    summary: str = "fake"
    module: str = "tests.fake"


def install_registry(monkeypatch: pytest.MonkeyPatch, *entries: FakeBackend) -> None:
    """Point the core at an in-memory registry module with the same interface as detectors.registry."""
    mod = types.ModuleType("fake_registry_for_selftest")
    by_name = {e.name: e for e in entries}

    def names(default_only: bool = False) -> list[str]:
        return [e.name for e in entries if e.default or not default_only]

    def build(selected: Sequence[str] | None = None) -> list[Detector]:
        chosen = names(True) if selected is None else list(selected)
        return [by_name[n].make() for n in chosen]

    mod.BACKENDS = tuple(entries)  # type: ignore[attr-defined]
    mod.names = names  # type: ignore[attr-defined]
    mod.build = build  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.setattr(backends, "REGISTRY_MODULE", mod.__name__)


def good_detector(**kw: object) -> SampleDetector:
    return SampleDetector(
        [(Category.TEXT, POLICE_SIGN), (Category.PLATE, PLATE), (Category.CODE, QR)],
        **kw,  # type: ignore[arg-type]
    )


def run(**kw: object) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_self_test(out, **kw)  # type: ignore[arg-type]
    return code, out.getvalue().splitlines()


def status(lines: list[str], name: str) -> str:
    (line,) = [ln for ln in lines if ln.split(" ", 1)[1].startswith(name)]
    return line.split(" ", 1)[0]


def test_zero_detectors_passes_with_metadata_checks_only(monkeypatch: pytest.MonkeyPatch) -> None:
    install_registry(monkeypatch)
    code, lines = run()
    assert code == 0
    assert lines[0].startswith("PASS detector registry: no detectors registered")
    for name in ("sample photo generated", "scan found", "export verified clean", "export re-read clean"):
        assert status(lines, name) == "PASS"
    assert status(lines, "original unchanged") == "PASS"
    assert status(lines, "offline") == "PASS"
    assert status(lines, "policy profiles loaded") == "PASS" and "strict" in lines[1]
    assert not any(ln.startswith("FAIL") for ln in lines)
    assert lines[-1].startswith("self-test passed: 8 checks")


def test_every_registered_detector_is_loaded_and_used(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[SampleDetector] = []

    def make() -> Detector:
        made.append(good_detector())
        return made[-1]

    optional = SampleDetector([], name="optional", categories=frozenset({Category.FACE}))
    install_registry(
        monkeypatch, FakeBackend("sample", make), FakeBackend("optional", lambda: optional, default=False)
    )
    code, lines = run()
    assert code == 0, lines
    assert lines[0] == lines[0] and "2 registered: sample, optional" in lines[0]
    assert status(lines, "detector sample loaded") == "PASS"
    assert status(lines, "detector optional loaded") == "PASS"  # optional ones are bundled too
    assert made[0].loaded and optional.loaded
    scan_line = next(ln for ln in lines if "scan found" in ln)
    assert "3 findings" in scan_line and "1 code, 1 plate, 1 text" in scan_line
    assert "3 regions covered" in next(ln for ln in lines if "export verified" in ln)
    assert lines[-1].startswith("self-test passed: 10 checks")


def test_a_detector_that_fails_to_load_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing_model() -> None:
        raise FileNotFoundError("centerface.onnx not found in the bundle")

    install_registry(
        monkeypatch,
        FakeBackend("broken", lambda: good_detector(on_load=missing_model)),
        FakeBackend("fine", lambda: SampleDetector([(Category.CODE, QR)], name="fine")),
    )
    code, lines = run()
    assert code == 1
    assert status(lines, "detector broken loaded") == "FAIL"
    assert "FileNotFoundError: centerface.onnx not found" in next(ln for ln in lines if "broken loaded" in ln)
    assert status(lines, "detector fine loaded") == "PASS"  # the others still run
    assert lines[-1].startswith("self-test FAILED: 1 of ")


def test_a_detector_that_cannot_be_built_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> Detector:
        raise ModuleNotFoundError("No module named 'rapidocr'")

    install_registry(monkeypatch, FakeBackend("text", boom))
    code, lines = run()
    assert code == 1 and status(lines, "detector text loaded") == "FAIL"
    assert "rapidocr" in next(ln for ln in lines if "detector text" in ln)


def test_a_loaded_model_that_sees_nothing_fails_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    blind = SampleDetector([], name="ocr", categories=frozenset({Category.TEXT, Category.FACE}))
    install_registry(monkeypatch, FakeBackend("ocr", lambda: blind))
    code, lines = run()
    assert code == 1
    line = next(ln for ln in lines if "scan found" in ln)
    assert line.startswith("FAIL") and "nothing found for text" in line  # FACE: the photo has none
    assert not any("export verified" in ln for ln in lines)  # later steps need the scan


def test_a_detector_error_during_the_scan_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash() -> None:
        raise RuntimeError("ONNX input shape mismatch")

    install_registry(monkeypatch, FakeBackend("x", lambda: good_detector(on_detect=crash)))
    with pytest.MonkeyPatch.context() as m:
        m.setattr("sharesafe.pipeline.log.exception", lambda *a, **k: None)
        code, lines = run()
    assert code == 1
    assert "ONNX input shape mismatch" in next(ln for ln in lines if "scan found" in ln)


def test_an_export_that_still_shows_a_finding_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    install_registry(monkeypatch, FakeBackend("x", lambda: good_detector(new_on_rescan=True)))
    code, lines = run()
    assert code == 1
    line = next(ln for ln in lines if "export verified" in ln)
    assert line.startswith("FAIL") and "still finds" in line


def test_an_attempted_connection_fails_the_offline_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def phone_home() -> None:
        with contextlib.suppress(OSError):  # no network here either way; the attempt is what counts
            socket.getaddrinfo("weights.example.invalid", 443)

    install_registry(monkeypatch, FakeBackend("x", lambda: good_detector(on_load=phone_home)))
    code, lines = run()
    assert code == 1
    offline = next(ln for ln in lines if ln.split(" ", 1)[1].startswith("offline"))
    assert offline.startswith("FAIL") and "socket.getaddrinfo" in offline
    assert "weights.example.invalid" in offline


def test_network_watch_only_records_during_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    install_registry(monkeypatch)
    assert run()[0] == 0
    with contextlib.suppress(OSError):
        socket.getaddrinfo("after.example.invalid", 80)  # outside a run: not recorded
    assert _NetworkWatch.seen == []
    assert run()[0] == 0


def test_limited_to_named_detectors_and_keep_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    never = FakeBackend("never", lambda: (_ for _ in ()).throw(AssertionError("built")))  # type: ignore[arg-type,return-value]
    install_registry(monkeypatch, FakeBackend("sample", good_detector), never)
    code, lines = run(names=["sample"], keep=tmp_path / "kept")
    assert code == 0, lines
    assert not any("never" in ln and "loaded" in ln for ln in lines)
    assert (tmp_path / "kept" / "self-test-photo.jpg").is_file()
    kept = sorted(p.name for p in (tmp_path / "kept" / "safe").iterdir())
    assert kept == [f"self-test-photo-safe{s}" for s in (".audit.csv", ".audit.html", ".audit.json", ".jpg")]


def test_extra_checks_from_a_front_end(monkeypatch: pytest.MonkeyPatch) -> None:
    install_registry(monkeypatch)

    def window() -> str:
        raise ImportError("libxcb-cursor.so.0: cannot open shared object file")

    code, lines = run(extra=[("desktop window shown", window)])
    assert code == 1
    assert status(lines, "desktop window shown") == "FAIL"


def test_metadata_the_reader_misses_fails_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    install_registry(monkeypatch)
    monkeypatch.setattr("sharesafe.pipeline.read_metadata", lambda data, fmt=None: [])
    code, lines = run()
    line = next(ln for ln in lines if "scan found" in ln)
    assert (
        code == 1
        and line.startswith("FAIL")
        and "metadata not reported: device, hidden, location, people" in line
    )


def test_a_missing_policy_folder_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    install_registry(monkeypatch)
    monkeypatch.setattr("sharesafe.policy_load.builtin_names", lambda: [])
    code, lines = run()
    assert code == 1 and status(lines, "policy profiles loaded") == "FAIL"


def test_photo_has_what_the_checks_expect(tmp_path: Path) -> None:
    from sharesafe.image import load_image

    img = load_image(make_photo(tmp_path)).pixels
    for x1, y1, x2, y2 in (POLICE_SIGN, PLATE, QR):
        assert img[y1:y2, x1:x2].std() > 20  # real detail where the fake detector looks


def test_cli_self_test(monkeypatch: pytest.MonkeyPatch) -> None:
    install_registry(monkeypatch, FakeBackend("sample", good_detector))
    out, err = io.StringIO(), io.StringIO()
    assert main(["self-test"], out=out, err=err) == 0
    assert "PASS detector sample loaded" in out.getvalue()
    assert main(["self-test", "--detectors", "nope"], out=out, err=err) == EXIT_USAGE
    assert "unknown detector(s): nope" in err.getvalue()
