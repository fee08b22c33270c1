"""The audit record: what it holds, that it does not leak, and how it is written."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from sharesafe import audit
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.jobs import default_review, judge
from sharesafe.pipeline import export, scan
from sharesafe.policy import evaluate, load_profile
from sharesafe.samples import exif_bytes, jpeg_bytes
from sharesafe.types import Box, Category, ExportResult, Finding, MetadataItem, MetadataKind, Risk

GPS = (52.123456, 1.987654)  # known values the record must never show
SERIAL = "SN-XK42-998877"
OWNER = "Constable Tamsin Rowe"
RECOGNISED = "PC 4417 ROWE"


@dataclass
class TextDetector:
    """A stand-in for the OCR backend: one name/number text finding and one POLICE marking."""

    name: str = "fake-text"
    categories: frozenset[Category] = frozenset({Category.TEXT})
    info: ModelInfo = field(default_factory=lambda: ModelInfo("none", "MIT", "0"))

    def load(self) -> None:
        pass

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        h, w = image.shape[:2]
        out = []
        for (x1, y1, x2, y2), text, cls in (
            ((40, 40, 200, 80), RECOGNISED, "name_or_number"),
            ((300, 40, 460, 90), "POLICE", "police_marking"),
        ):
            if float(image[y1:y2, x1:x2].std()) < 1.0:
                continue  # covered: the re-scan of the export sees nothing there
            box = Box.from_xyxy(x1, y1, x2, y2, w, h)
            out.append(
                Finding(Category.TEXT, text, 0.88, box, self.name, detail=text, extra={"text_class": cls})
            )
        return out


def _photo(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (400, 600, 3), dtype=np.uint8)
    path = tmp_path / "in" / "duty.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(jpeg_bytes(pixels, exif_bytes(gps=GPS, serial=SERIAL, owner=OWNER)))
    return path


def _full_reader_items() -> list[MetadataItem]:
    """What the full metadata reader reports for this photo (values included, as it must)."""
    return [
        MetadataItem("EXIF:GPS", "GPSLatitude", f"{GPS[0]:.6f}", Risk.HIGH, "where", MetadataKind.LOCATION),
        MetadataItem("EXIF:GPS", "GPSLongitude", f"{GPS[1]:.6f}", Risk.HIGH, "where", MetadataKind.LOCATION),
        MetadataItem("EXIF", "BodySerialNumber", SERIAL, Risk.HIGH, "device", MetadataKind.DEVICE),
        MetadataItem("EXIF", "CameraOwnerName", OWNER, Risk.HIGH, "owner", MetadataKind.PEOPLE),
    ]


def _leaks(text: str) -> list[str]:
    lat_deg, lon_deg = "52", "1"
    patterns = [
        "52.12",
        "52,12",
        "1.98",
        "1.99",
        f"{lat_deg}° 7",
        "52/1",
        "7/1",  # minutes of the DMS latitude as stored in EXIF
        SERIAL,
        "XK42",
        "998877",
        OWNER,
        "Tamsin",
        "Rowe",
        "4417",
        str(Path.home()),
    ]
    del lon_deg
    return [p for p in patterns if p.lower() in text.lower()]


@pytest.fixture
def exported(tmp_path: Path) -> tuple[audit.AuditEntry, Path]:
    path = _photo(tmp_path)
    det = TextDetector()
    result = scan(path, [det])
    assert len(result.findings) == 2
    result.metadata = result.metadata + _full_reader_items()
    checked = judge(result, load_profile("meghalaya"))
    review = default_review(checked)
    name = next(f.id for f in result.findings if f.extra["text_class"] == "name_or_number")
    review.set_cover(name, False)  # the user leaves the collar number (against the policy)
    review.add_manual(Box(500, 300, 560, 360))
    done = export(result, tmp_path / "safe", review, None, [det])
    assert done.verified, done.error
    return audit.AuditEntry(result, done, checked.assessment, review), tmp_path


def test_record_contents(exported: tuple[audit.AuditEntry, Path]) -> None:
    entry, _ = exported
    record = audit.build_record([entry], now=datetime(2026, 11, 22, 4, 30, tzinfo=UTC))
    assert record["created"] == "2026-11-22T04:30:00Z"
    (f,) = record["files"]
    assert f["input"]["sha256"] == entry.scan.sha256 and len(f["output"]["sha256"]) == 64
    assert f["input"]["name"] == "duty.jpg" and f["output"]["name"] == "duty-safe.jpg"
    assert f["profile"]["name"] == "meghalaya" and f["verdict"] == "share_after_fixes"
    decisions = sorted((x["id"], x["category"], x["label"], x["decision"]) for x in f["findings"])
    assert decisions == [
        ("f1", "text", "police_marking", "covered"),  # the higher box comes first
        ("f2", "text", "name_or_number", "left_by_user"),
        ("m1", "manual", "region drawn by the user", "manual_region"),
    ]
    assert [x["id"] for x in f["findings"]] == ["f1", "f2", "m1"]
    assert not any(x["moved_by_user"] for x in f["findings"]) and f["override"] is None
    assert f["findings_left_against_policy"] == 1
    police = next(x for x in f["findings"] if x["label"] == "police_marking")
    assert police["severity"] == "warn" and police["box"] and police["score"] == 0.88
    assert any(
        r["citation"].startswith("Meghalaya Police guidelines, 'Refrain from', bullet 1")
        for r in police["reasons"]
    )
    removed = f["metadata_removed"]
    assert removed["by_kind"]["location"] >= 2 and removed["by_kind"]["device"] >= 1
    assert any(n.startswith("GPS location present - removed") for n in removed["notes"])
    assert f["verification"]["verified"] is True and f["verification"]["text"].startswith("Verified")


def test_record_files_do_not_leak(exported: tuple[audit.AuditEntry, Path]) -> None:
    entry, tmp_path = exported
    # The scan itself does hold the values (so this test can fail).
    assert _leaks(json.dumps(entry.scan.to_json()))
    paths = audit.write_audit([entry], tmp_path / "safe", "duty-safe.audit")
    assert paths.json == tmp_path / "safe" / "duty-safe.audit.json"
    for p in paths.all():
        text = p.read_text(encoding="utf-8")
        assert _leaks(text) == [], p.name
    html = paths.html.read_text()
    assert "GPS location present - removed" in html
    # Self-contained: no scripts, no external resources.
    assert "<script" not in html.lower()
    assert not re.search(r"(src|href)\s*=", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert "default-src 'none'" in html


def test_full_detail_includes_values(exported: tuple[audit.AuditEntry, Path], tmp_path: Path) -> None:
    entry, _ = exported
    paths = audit.write_audit([entry], tmp_path / "full", "record", full_detail=True)
    text = paths.json.read_text()
    assert SERIAL in text and OWNER in text and RECOGNISED in text and "52.123456" in text
    assert SERIAL in paths.html.read_text()


def test_batch_csv_has_one_row_per_finding(exported: tuple[audit.AuditEntry, Path], tmp_path: Path) -> None:
    entry, _ = exported
    empty = audit.AuditEntry(
        scan=entry.scan.__class__(path=Path("plain.jpg"), sha256="a" * 64, width=10, height=10),
        export=ExportResult(source=Path("plain.jpg"), output=Path("plain-safe.jpg"), verified=True),
        assessment=evaluate(
            entry.scan.__class__(path=Path("plain.jpg"), width=10, height=10), load_profile("strict")
        ),
    )
    paths = audit.write_audit([entry, empty], tmp_path / "batch", audit.batch_stem())
    rows = list(csv.DictReader(io.StringIO(paths.csv.read_text())))
    assert [r["file"] for r in rows] == ["duty.jpg"] * 3 + ["plain.jpg"]
    covered = next(r for r in rows if r["decision"] == "covered")
    assert covered["x1"] and "Meghalaya" in covered["citations"]
    assert rows[3]["decision"] == "no findings" and rows[3]["verdict"] == "looks_safe"
    assert "location:" in rows[0]["metadata_removed"]
    record = json.loads(paths.json.read_text())
    assert len(record["files"]) == 2
    assert "2 files" in paths.html.read_text()


def test_csv_cells_cannot_run_as_formulas() -> None:
    assert audit._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert audit._cell("-1") == "'-1"
    assert audit._cell("plain") == "plain"


def test_unverified_export_and_error_message_hide_folders(tmp_path: Path) -> None:
    scan_result = scan(_photo(tmp_path), [])
    bad = ExportResult(
        source=scan_result.path,
        output=tmp_path / "safe" / "duty-safe.jpg",
        verified=False,
        leftover=[MetadataItem("EXIF", "GPSLatitude", "52.123456", Risk.HIGH, "", MetadataKind.LOCATION)],
        error=f"metadata is still present in {scan_result.path}",
    )
    entry = audit.AuditEntry(scan_result, bad, evaluate(scan_result, load_profile("strict")))
    record = audit.build_record([entry])
    f = record["files"][0]
    assert f["verification"]["verified"] is False
    assert f["verification"]["text"].startswith("NOT verified: 1 metadata item(s) still present")
    assert f["verification"]["metadata_left"] == {"location": 1}
    assert str(tmp_path) not in json.dumps(record) and "duty.jpg" in f["error"]
    html = audit.render_html(record)
    assert "NOT verified" in html and "52.123456" not in html


def test_writes_are_atomic_and_leave_no_temp_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "r.json"
    audit._atomic_write(target, "first")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        audit._atomic_write(target, "second")
    assert target.read_text() == "first"
    assert os.listdir(target.parent) == ["r.json"]


def test_html_escapes_everything(tmp_path: Path) -> None:
    scan_result = scan(_photo(tmp_path), [])
    scan_result.findings = [
        Finding(Category.FACE, "<script>alert(1)</script>", 0.5, Box(0, 0, 5, 5), "<b>det</b>")
    ]
    done = ExportResult(source=scan_result.path, output=tmp_path / "o.jpg", covered=scan_result.findings)
    entry = audit.AuditEntry(scan_result, done, evaluate(scan_result, load_profile("mps")))
    html = audit.render_html(audit.build_record([entry]))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_existing_record_is_not_replaced(exported: tuple[audit.AuditEntry, Path], tmp_path: Path) -> None:
    entry, _ = exported
    first = audit.write_audit([entry], tmp_path / "r", "rec")
    second = audit.write_audit([entry], tmp_path / "r", "rec")
    assert first.json.name == "rec.json" and second.json.name == "rec-2.json"
    third = audit.write_audit([entry], tmp_path / "r", "rec", overwrite=True)
    assert third.json.name == "rec.json"


def test_csv_cell_with_leading_blanks_before_a_formula_is_quoted() -> None:
    assert audit._cell(" =HYPERLINK(1)") == "' =HYPERLINK(1)"
    assert audit._cell("\u00a0+1") == "'\u00a0+1"
    assert audit._cell(" plain") == " plain"


def _png_with_keyword(path: Path, keyword: bytes) -> Path:
    import struct
    import zlib

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 150)).save(buf, format="PNG")
    data = buf.getvalue()
    body = keyword + b"\x00" + b"seen"
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    path.write_bytes(data[:33] + chunk + data[33:])  # after the signature and IHDR
    return path


def _jpeg_with_app5(path: Path, signature: bytes) -> Path:
    import struct

    from sharesafe.samples import jpeg_bytes, street_scene

    data = jpeg_bytes(np.ascontiguousarray(street_scene(64, 48)))
    payload = signature + b"\x00" + b"\x01" * 20
    path.write_bytes(data[:2] + b"\xff\xe5" + struct.pack(">H", len(payload) + 2) + payload + data[2:])
    return path


def test_tag_names_taken_from_the_file_never_reach_the_record(tmp_path: Path) -> None:
    """Coordinates, a name and a serial hidden in a PNG text keyword and a JPEG APP5 signature."""
    from sharesafe.cli import main

    (tmp_path / "in").mkdir()
    _png_with_keyword(tmp_path / "in" / "a.png", b"51.50330N 0.11950W PC Jane Smith")
    _jpeg_with_app5(tmp_path / "in" / "b.jpg", b"SN-99812 51.50330,-0.11950")
    out_dir = tmp_path / "out"
    code = main(
        ["clean", str(tmp_path / "in"), "--out", str(out_dir), "--no-detectors"],
        out=io.StringIO(),
        err=io.StringIO(),
    )
    assert code in (0, 1)
    records = [p for p in out_dir.rglob("*") if p.suffix in (".json", ".csv", ".html") and "audit" in p.name]
    assert len(records) == 9  # a record beside each of the two copies, and the batch's
    for record in records:
        text = record.read_text(encoding="utf-8")
        for secret in ("51.5033", "0.1195", "Jane", "Smith", "99812"):
            assert secret not in text, (record.name, secret)
    batch = next(p for p in records if p.name.startswith("sharesafe-audit-") and p.suffix == ".json")
    assert "unknown item" in batch.read_text(encoding="utf-8")
