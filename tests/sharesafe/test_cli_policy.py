"""The CLI's policy options: --policy, verdicts and reasons in JSON, `policies`, audit files on clean."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from sharesafe import backends
from sharesafe.cli import EXIT_CLEAN, EXIT_RISKS, EXIT_USAGE, main
from sharesafe.detector import Detector, ModelInfo, RGBImage
from sharesafe.samples import exif_bytes, jpeg_bytes
from sharesafe.types import Box, Category, Finding

GPS = (26.574, 91.883)  # Shillong-ish; the test checks it never reaches the audit record
SERIAL = "SN-ML-20260011"
OWNER = "Inspector Lyngdoh"


@dataclass
class PoliceText:
    """Stands in for the OCR backend: reads 'POLICE' on the sign in the photo."""

    name: str = "fake-ocr"
    categories: frozenset[Category] = frozenset({Category.TEXT})
    info: ModelInfo = field(default_factory=lambda: ModelInfo("none", "MIT", "0"))

    def load(self) -> None:
        pass

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        x1, y1, x2, y2 = 100, 60, 400, 140
        if float(image[y1:y2, x1:x2].std()) < 1.0:
            return []  # covered
        h, w = image.shape[:2]
        box = Box.from_xyxy(x1, y1, x2, y2, w, h)
        return [
            Finding(
                Category.TEXT,
                "POLICE",
                0.93,
                box,
                self.name,
                detail="POLICE",
                extra={"text_class": "police_marking"},
            )
        ]


@pytest.fixture
def photo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def load(names: Iterable[str] | None = None) -> list[Detector]:
        return [PoliceText()]

    monkeypatch.setattr(backends, "load", load)
    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    path = tmp_path / "in" / "station-sign.jpg"
    path.parent.mkdir()
    path.write_bytes(jpeg_bytes(pixels, exif_bytes(gps=GPS, serial=SERIAL, owner=OWNER)))
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _citations(items: list[dict[str, object]]) -> list[str]:
    return [str(r["citation"]) for item in items for r in item["reasons"]]  # type: ignore[attr-defined]


def test_scan_policy_meghalaya_json(photo: Path) -> None:
    code, out, _ = run("scan", "--policy", "meghalaya", "--json", str(photo))
    assert code == EXIT_RISKS
    (entry,) = json.loads(out)["files"]
    assert entry["policy"] == "meghalaya"
    assert entry["verdict"] == "share_after_fixes"
    (text,) = entry["findings"]
    assert text["category"] == "text" and text["extra"]["text_class"] == "police_marking"
    assert text["severity"] == "warn" and text["action"] == "cover"
    cites = _citations([text])
    assert cites and all(c.startswith("Meghalaya Police guidelines") for c in cites)
    assert any("'Refrain from', bullet 2" in c for c in cites)
    gps = [m for m in entry["metadata"] if m["kind"] == "location"]
    assert gps and all(m["severity"] == "block" and m["action"] == "strip" for m in gps)
    assert all(c.startswith("Meghalaya") for c in _citations(gps))
    assert all({"text", "citation"} <= set(r) for m in entry["metadata"] for r in m["reasons"])


def test_scan_policy_essex_json(photo: Path) -> None:
    code, out, _ = run("scan", "--policy", "essex", "--json", str(photo))
    assert code == EXIT_RISKS
    (entry,) = json.loads(out)["files"]
    assert entry["policy"] == "essex" and entry["verdict"] == "share_after_fixes"
    cites = _citations(entry["findings"])
    assert cites and all(c.startswith("Essex Police C 3011") for c in cites)
    assert any(c.startswith("Essex Police C 3011, 3.4") for c in cites)
    gps = [m for m in entry["metadata"] if m["kind"] == "location"]
    assert any("5.0" in c for c in _citations(gps))


def test_scan_default_policy_is_strict_and_text_output_shows_reasons(photo: Path) -> None:
    _, out, _ = run("scan", "--json", str(photo))
    (entry,) = json.loads(out)["files"]
    assert entry["policy"] == "strict"
    docs = {c.split(",")[0] for c in _citations(entry["findings"])}
    assert {"Meghalaya Police guidelines", "MPS principles 2020", "Essex Police C 3011"} <= docs
    _, out, _ = run("scan", "--policy", "mps", str(photo))
    assert "verdict: Share after fixes (policy mps)" in out
    assert "[MPS principles 2020, Personal safety paragraph" in out


def test_unknown_policy_is_a_usage_error(photo: Path) -> None:
    code, _, err = run("scan", "--policy", "nope", str(photo))
    assert code == EXIT_USAGE and "no policy profile named 'nope'" in err


def test_policies_list_and_show() -> None:
    code, out, _ = run("policies")
    assert code == EXIT_CLEAN
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["department", "essex", "meghalaya", "mps", "personal-template", "strict"]
    assert "(default)" in out.splitlines()[-1]
    code, out, _ = run("policies", "show", "meghalaya")
    assert code == EXIT_CLEAN
    assert "premises: block, cover, do not share if it fills >= 35%" in out
    assert "Considered and not applicable to photos:" in out and "anti-government groups" in out
    code, out, _ = run("policies", "show", "essex", "--json")
    doc = json.loads(out)
    assert doc["name"] == "essex" and doc["rules"] and doc["considered_not_applicable"]
    code, _, err = run("policies", "show", "nope")
    assert code == EXIT_USAGE and "no policy profile named" in err


def test_clean_writes_audit_record_beside_copy(photo: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "safe"
    code, out, _ = run("clean", "--policy", "meghalaya", "--json", "--out", str(out_dir), str(photo))
    assert code == EXIT_RISKS
    (entry,) = json.loads(out)["files"]
    assert entry["export"]["verified"], entry["export"]["error"]
    assert entry["verdict"] == "share_after_fixes"
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "station-sign-safe.audit.csv",
        "station-sign-safe.audit.html",
        "station-sign-safe.audit.json",
        "station-sign-safe.jpg",
    ]
    record = json.loads((out_dir / "station-sign-safe.audit.json").read_text())
    (f,) = record["files"]
    assert f["profile"]["name"] == "meghalaya"
    assert [x["decision"] for x in f["findings"]] == ["covered"]
    for p in out_dir.glob("*.audit.*"):
        text = p.read_text()
        for secret in (SERIAL, OWNER, "26.57", "91.88", "POLICE"):
            assert secret not in text, (p.name, secret)


def test_clean_batch_writes_one_csv_for_all(photo: Path, tmp_path: Path) -> None:
    second = photo.with_name("second.jpg")
    second.write_bytes(photo.read_bytes())
    out_dir = tmp_path / "safe"
    run("clean", "--out", str(out_dir), str(photo.parent))
    batch = sorted(out_dir.glob("sharesafe-audit-*.csv"))
    assert len(batch) == 1
    rows = batch[0].read_text().splitlines()
    assert len(rows) == 3  # header + one finding per file
    assert {r.split(",")[0] for r in rows[1:]} == {"second.jpg", "station-sign.jpg"}
