import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sharesafe.image import load_image
from sharesafe.pipeline import ExportOptions, collect_paths, export, scan
from sharesafe.redact import Style
from sharesafe.review import Review
from sharesafe.samples import exif_bytes, jpeg_bytes, street_scene, thumbnail_bytes, write_samples
from sharesafe.types import Box, Category, Finding, MetadataKind, ScanResult

EXIFTOOL = shutil.which("exiftool")


def covering(result: ScanResult, style: Style = Style.FILL) -> Review:
    """A review that covers every finding (the flow's own defaults come from a policy profile)."""
    return Review(result, {f.id: True for f in result.findings}, style=style)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def samples(tmp_path: Path) -> dict[str, Path]:
    return {p.name: p for p in write_samples(tmp_path / "in")}


@pytest.fixture
def gps_photo(tmp_path: Path) -> Path:
    pixels = street_scene(640, 480)
    path = tmp_path / "gps.jpg"
    path.write_bytes(jpeg_bytes(pixels, exif_bytes(thumbnail=thumbnail_bytes(pixels))))
    return path


def test_scan_reports_metadata_without_detectors(gps_photo: Path) -> None:
    result = scan(gps_photo)
    assert result.ok and result.format == "JPEG" and (result.width, result.height) == (640, 480)
    assert result.sha256 == digest(gps_photo)
    assert any(m.kind is MetadataKind.LOCATION for m in result.metadata)
    assert result.has_risks


def test_scan_never_raises_for_bad_files(samples: dict[str, Path], tmp_path: Path) -> None:
    assert "truncated" in (scan(samples["broken-download.jpg"]).error or "")
    assert "not a supported image" in (scan(samples["notes.jpg"]).error or "")
    assert scan(tmp_path / "nope.jpg").error
    assert "folder" in (scan(tmp_path).error or "")


def test_failing_detector_is_reported_and_others_still_run(gps_photo: Path, fake_detector_cls) -> None:
    class Broken:
        name = "broken"
        categories = frozenset({Category.FACE})
        info = None

        def load(self) -> None: ...

        def detect(self, image, context=()):
            raise RuntimeError("model file missing")

    good = fake_detector_cls([(Category.FACE, (10, 10, 60, 60))])
    result = scan(gps_photo, [Broken(), good])
    assert result.ok
    assert "model file missing" in result.detector_errors["broken"]
    assert [f.category for f in result.findings] == [Category.FACE]


def test_detectors_get_context_and_cannot_write_the_image(gps_photo: Path, fake_detector_cls) -> None:
    seen = {}

    class Recorder:
        name = "recorder"
        categories = frozenset()
        info = None

        def load(self) -> None: ...

        def detect(self, image, context=()):
            seen["context"] = list(context)
            image[0, 0] = 0  # must fail: images are read-only for detectors
            return []

    result = scan(gps_photo, [fake_detector_cls([(Category.PERSON, (5, 5, 100, 200))]), Recorder()])
    assert [f.category for f in seen["context"]] == [Category.PERSON]
    assert "read-only" in result.detector_errors["recorder"]


def test_export_strips_covers_verifies_and_keeps_original(
    gps_photo: Path, tmp_path: Path, fake_detector_cls
) -> None:
    before = digest(gps_photo)
    det = fake_detector_cls([(Category.FACE, (100, 100, 200, 220)), (Category.TEXT, (300, 50, 500, 100))])
    result = scan(gps_photo, [det])
    assert len(result.findings) == 2
    exported = export(result, tmp_path / "out", covering(result), detectors=[det])
    assert exported.ok, exported.error
    assert exported.output is not None and exported.output.parent == tmp_path / "out"
    assert digest(gps_photo) == before
    assert exported.leftover == []
    assert exported.output_sha256 == digest(exported.output)
    out = load_image(exported.output).pixels
    for f in result.findings:
        region = out[f.box.y1 + 8 : f.box.y2 - 8, f.box.x1 + 8 : f.box.x2 - 8]  # inside JPEG block edges
        if f.category is Category.TEXT:
            assert region.max() <= 12  # text always solid-filled
    assert det.calls == 2  # scanned, then re-scanned


def test_export_pixelate_changes_faces_but_fills_text(
    gps_photo: Path, tmp_path: Path, fake_detector_cls
) -> None:
    det = fake_detector_cls([(Category.FACE, (100, 100, 200, 220)), (Category.TEXT, (300, 50, 500, 100))])
    result = scan(gps_photo, [det])
    options = ExportOptions(rescan=False)
    exported = export(result, tmp_path / "out", covering(result, Style.PIXELATE), options, detectors=[det])
    assert exported.ok
    src, out = load_image(gps_photo).pixels, load_image(exported.output).pixels
    for f in result.findings:
        region = out[f.box.y1 + 8 : f.box.y2 - 8, f.box.x1 + 8 : f.box.x2 - 8]
        if f.category is Category.TEXT:
            assert region.max() <= 12
        else:
            assert region.max() > 0
            assert (
                np.abs(
                    region.astype(int) - src[f.box.y1 + 8 : f.box.y2 - 8, f.box.x1 + 8 : f.box.x2 - 8]
                ).mean()
                > 3
            )


def test_export_fails_verification_when_cover_is_left_off(
    gps_photo: Path, tmp_path: Path, fake_detector_cls
) -> None:
    det = fake_detector_cls([(Category.FACE, (100, 100, 200, 220))])
    result = scan(gps_photo, [det])
    review = covering(result)
    review.set_cover(result.findings[0].id, False)  # the user leaves the face: allowed, and reported as left
    ok = export(result, tmp_path / "out", review, detectors=[det])
    assert ok.verified and ok.left and not ok.covered

    class Sticky:  # a detector that still sees something under the cover: the export is not safe
        name = "sticky"
        categories = frozenset({Category.FACE})
        info = None

        def load(self) -> None: ...

        def detect(self, image, context=()):
            return [Finding(Category.FACE, "face", 0.9, Box(100, 100, 200, 220), "sticky")]

    result2 = scan(gps_photo, [Sticky()])
    # Pixelated, the face is still found: not safe.
    bad = export(result2, tmp_path / "out", covering(result2, Style.PIXELATE), detectors=[Sticky()])
    assert not bad.ok and "still finds" in (bad.error or "")
    # Under a solid rectangle nothing is left to see: a hit there is an artefact of the cover.
    filled = export(result2, tmp_path / "out", covering(result2), detectors=[Sticky()])
    assert filled.ok and filled.rescan_findings


def test_export_fails_when_rescan_finds_something_new(gps_photo: Path, tmp_path: Path) -> None:
    class Appears:  # finds nothing in the original and a face in the export (e.g. re-encoding noise)
        name = "appears"
        categories = frozenset({Category.FACE})
        info = None
        calls = 0

        def load(self) -> None: ...

        def detect(self, image, context=()):
            self.calls += 1
            if self.calls == 1:
                return []
            return [Finding(Category.FACE, "face", 0.4, Box(10, 10, 60, 60), "appears")]

    det = Appears()
    result = scan(gps_photo, [det])
    exported = export(result, tmp_path / "out", covering(result), detectors=[det])
    assert not exported.ok and "face at" in (exported.error or "")


def test_export_never_overwrites(gps_photo: Path, tmp_path: Path) -> None:
    result = scan(gps_photo)
    out = tmp_path / "out"
    names = [export(result, out, covering(result)).output for _ in range(3)]
    assert [p.name for p in names if p] == ["gps-safe.jpg", "gps-safe-2.jpg", "gps-safe-3.jpg"]
    assert not list(out.glob("*.part"))


def test_export_refuses_a_file_changed_since_the_scan(gps_photo: Path, tmp_path: Path) -> None:
    result = scan(gps_photo)
    gps_photo.write_bytes(gps_photo.read_bytes() + b"x")
    assert "changed since it was scanned" in (export(result, tmp_path / "out", covering(result)).error or "")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_export_of_rotated_photo_is_upright(tmp_path: Path, orientation: int) -> None:
    from sharesafe.samples import rotate_for_orientation

    upright = street_scene(320, 240)
    src = tmp_path / "rot.jpg"
    stored = rotate_for_orientation(upright, orientation)
    src.write_bytes(jpeg_bytes(stored, exif_bytes(orientation=orientation), quality=100))
    result = scan(src)
    exported = export(result, tmp_path / "out", covering(result))
    assert exported.ok
    out = load_image(exported.output)
    assert out.orientation == 1 and out.pixels.shape == upright.shape
    assert float(np.abs(out.pixels.astype(int) - upright).mean()) < 5


def test_heic_exports_as_jpeg(tmp_path: Path) -> None:
    import pillow_heif
    from PIL import Image

    heif = pillow_heif.from_pillow(Image.fromarray(street_scene(64, 48)))
    src = tmp_path / "phone.heic"
    heif.save(src, quality=90, exif=exif_bytes())
    result = scan(src)
    exported = export(result, tmp_path / "out", covering(result))
    assert exported.ok, exported.error
    assert exported.output.suffix == ".jpg"


def test_collect_paths_walks_sub_folders_and_skips_hidden(samples: dict[str, Path]) -> None:
    folder = next(iter(samples.values())).parent
    (folder / "sub").mkdir()
    (folder / "sub" / "copy.jpg").write_bytes(samples["plain-no-metadata.jpg"].read_bytes())
    (folder / ".hidden.jpg").write_bytes(b"x")
    assert len(collect_paths([folder], recursive=True)) == 6
    assert len(collect_paths([folder])) == 5


def test_collect_paths_keeps_named_files_and_dedupes(samples: dict[str, Path]) -> None:
    p = samples["notes.jpg"]
    assert collect_paths([p, p]) == [p]


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool not installed")
def test_exiftool_sees_no_identifying_metadata_in_export(gps_photo: Path, tmp_path: Path) -> None:
    result = scan(gps_photo)
    exported = export(result, tmp_path / "out", covering(result))
    before = json.loads(
        subprocess.run([EXIFTOOL, "-j", "-G1", "-a", str(gps_photo)], capture_output=True, check=True).stdout
    )[0]
    after = json.loads(
        subprocess.run(
            [EXIFTOOL, "-j", "-G1", "-a", str(exported.output)], capture_output=True, check=True
        ).stdout
    )[0]
    assert any(k.startswith("GPS:") for k in before) and any("Serial" in k for k in before)
    leaked = [
        k for k in after if k.split(":")[0] in ("GPS", "IFD0", "ExifIFD", "IFD1", "XMP", "IPTC", "MakerNotes")
    ]
    assert leaked == []
    assert not any(
        k.endswith(("SerialNumber", "Artist", "Copyright", "ThumbnailImage", "OwnerName")) for k in after
    )
