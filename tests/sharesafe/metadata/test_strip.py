"""Lossless strip and re-encoded exports, each checked by our reader and by exiftool as an oracle."""

from __future__ import annotations

import io
from pathlib import Path

import fixtures as fx
import numpy as np
import pytest
from PIL import Image

from sharesafe import formats
from sharesafe.errors import UnsupportedFormatError
from sharesafe.metadata import leftover_metadata, read_metadata, strip_lossless

needs_exiftool = pytest.mark.skipif(fx.EXIFTOOL is None, reason="exiftool is not installed")


def decode(data: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(data))
    img.load()
    return np.asarray(img)


def check_clean(data: bytes, tmp_path: Path, name: str, allow_icc: bool = False) -> None:
    """Both oracles: our allowlist check and exiftool's independent reading."""
    assert leftover_metadata(data, allow_icc=allow_icc) == []
    if fx.EXIFTOOL is not None:
        path = tmp_path / name
        path.write_bytes(data)
        assert fx.exiftool_leaks(path) == {}


def test_exiftool_oracle_sees_the_fixture_metadata(tmp_path: Path) -> None:
    """The oracle must be able to fail: it finds every leak kind in the unstripped photos."""
    if fx.EXIFTOOL is None:
        pytest.skip("exiftool is not installed")
    path = tmp_path / "loaded.jpg"
    path.write_bytes(fx.loaded_jpeg())
    leaks = fx.exiftool_leaks(path)
    for kind in ("gps", "serial", "owner", "xmp", "iptc", "makernotes", "thumbnail", "comment"):
        assert kind in leaks, kind
    png = tmp_path / "text.png"
    png.write_bytes(fx.png_with_text())
    assert "png_text" in fx.exiftool_leaks(png)
    assert fx.jpeg_hides_data(fx.loaded_jpeg())


@needs_exiftool
@pytest.mark.parametrize("orientation", [1, 6])
def test_jpeg_lossless_strip(tmp_path: Path, orientation: int) -> None:
    original = fx.loaded_jpeg(orientation=orientation)
    before = bytes(original)
    out = strip_lossless(original, formats.JPEG)
    assert original == before
    check_clean(out, tmp_path, "stripped.jpg")
    assert not fx.jpeg_hides_data(out)
    np.testing.assert_array_equal(decode(out), decode(original))
    assert len(out) < len(original)


def test_jpeg_strip_keeps_tables_and_scan_bytes() -> None:
    original = fx.loaded_jpeg(trailer=b"")
    out = strip_lossless(original, formats.JPEG)
    sos = original.rindex(b"\xff\xda")  # the main image's scan (the EXIF thumbnail has its own)
    scan = original[sos : original.index(b"\xff\xd9", sos)]
    assert scan in out  # the entropy-coded data is copied byte for byte


@needs_exiftool
def test_jpeg_strip_keep_icc(tmp_path: Path) -> None:
    out = strip_lossless(fx.loaded_jpeg(), formats.JPEG, keep_icc=True)
    assert [i.tag for i in leftover_metadata(out)] == ["ICC_Profile"]
    check_clean(out, tmp_path, "icc.jpg", allow_icc=True)
    assert "sRGB" in next(i.value for i in read_metadata(out) if i.tag == "ICC_Profile")


def test_jpeg_strip_zeroes_jfif_thumbnail_and_drops_jfxx() -> None:
    base = fx.plain_jpeg()
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x02" + b"\x80" * 12
    jfxx = b"JFXX\x00\x10" + fx.jpeg_thumbnail()
    data = base[:2] + fx.segment(0xE0, jfif) + fx.segment(0xE0, jfxx) + base[base.index(b"\xff", 2) :]
    out = strip_lossless(data, formats.JPEG)
    assert leftover_metadata(out) == []
    assert out.count(b"\xff\xd8\xff") == 1
    np.testing.assert_array_equal(decode(out), decode(data))


@pytest.mark.parametrize("kind", ["progressive", "cmyk", "grey", "restart", "subsampling444"])
def test_jpeg_strip_pixels_identical_for_variants(kind: str) -> None:
    arr = fx.pixels(80, 56, seed=3)
    img = Image.fromarray(arr)
    buf = io.BytesIO()
    exif = fx.exif_bytes()
    if kind == "progressive":
        img.save(buf, "JPEG", progressive=True, exif=exif)
    elif kind == "cmyk":
        img.convert("CMYK").save(buf, "JPEG", exif=exif)  # needs the Adobe APP14 segment to decode
    elif kind == "grey":
        img.convert("L").save(buf, "JPEG", exif=exif)
    elif kind == "restart":
        img.save(buf, "JPEG", exif=exif, restart_marker_blocks=1)
    else:
        img.save(buf, "JPEG", subsampling=0, quality=95, exif=exif)
    data = buf.getvalue()
    out = strip_lossless(data, formats.JPEG)
    assert leftover_metadata(out) == []
    np.testing.assert_array_equal(decode(out), decode(data))


@needs_exiftool
def test_png_lossless_strip(tmp_path: Path) -> None:
    original = fx.png_with_text()
    out = strip_lossless(original, formats.PNG)
    check_clean(out, tmp_path, "stripped.png")
    np.testing.assert_array_equal(decode(out), decode(original))


@needs_exiftool
@pytest.mark.parametrize("lossless", [False, True])
def test_webp_lossless_strip(tmp_path: Path, lossless: bool) -> None:
    original = fx.webp_with_metadata(lossless=lossless)
    out = strip_lossless(original, formats.WEBP)
    check_clean(out, tmp_path, "stripped.webp")
    np.testing.assert_array_equal(decode(out), decode(original))
    kept = strip_lossless(original, formats.WEBP, keep_icc=True)
    assert [i.tag for i in leftover_metadata(kept)] == ["ICC_Profile"]
    np.testing.assert_array_equal(decode(kept), decode(original))


@pytest.mark.parametrize("maker", ["tiff", "heic"])
def test_formats_without_lossless_strip_raise(maker: str) -> None:
    data = fx.tiff_with_tags() if maker == "tiff" else fx.heic_with_exif()
    fmt = formats.sniff(data[:64])
    assert fmt is not None
    with pytest.raises(UnsupportedFormatError):
        strip_lossless(data, fmt)


@needs_exiftool
@pytest.mark.parametrize("source", ["jpeg", "png", "webp", "heic", "tiff"])
@pytest.mark.parametrize("out_fmt", ["JPEG", "PNG", "WEBP"])
def test_reencoded_exports_are_clean(tmp_path: Path, source: str, out_fmt: str) -> None:
    """What the pipeline's re-encode does: decode upright pixels, write them with Pillow and no metadata."""
    data = {
        "jpeg": fx.loaded_jpeg,
        "png": fx.png_with_text,
        "webp": fx.webp_with_metadata,
        "heic": fx.heic_with_exif,
        "tiff": fx.tiff_with_tags,
    }[source]()
    assert leftover_metadata(data)  # the source is dirty
    from sharesafe.image import load_image_bytes

    image = load_image_bytes(data)
    buf = io.BytesIO()
    Image.fromarray(image.pixels).save(buf, out_fmt)
    check_clean(buf.getvalue(), tmp_path, f"export.{out_fmt.lower()}")


@needs_exiftool
@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_strip_keeps_only_the_orientation(tmp_path: Path, orientation: int) -> None:
    """A rotated photo stays upright after the strip: a new EXIF holds the orientation and nothing else."""
    from sharesafe.image import load_image_bytes

    original = fx.loaded_jpeg(orientation=orientation)
    out = strip_lossless(original, formats.JPEG)
    check_clean(out, tmp_path, "rotated.jpg")
    np.testing.assert_array_equal(load_image_bytes(out).pixels, load_image_bytes(original).pixels)
    path = tmp_path / "rotated.jpg"
    ifd_tags = [k for k in fx.exiftool_tags(path) if k.startswith(("IFD", "ExifIFD", "GPS", "XMP"))]
    assert ifd_tags == (["IFD0:Orientation"] if orientation != 1 else [])
    bare = strip_lossless(original, formats.JPEG, keep_orientation=False)
    assert not any(i.group.startswith("EXIF") for i in read_metadata(bare))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_webp_strip_keep_orientation(fmt: str) -> None:
    from sharesafe.image import load_image_bytes

    buf = io.BytesIO()
    Image.fromarray(fx.pixels()).save(
        buf, fmt, exif=fx.exif_bytes(orientation=6, thumbnail=False), lossless=True
    )
    original = buf.getvalue()
    out = strip_lossless(original, fmt)
    assert leftover_metadata(out) == []
    assert [i.tag for i in read_metadata(out) if i.group.startswith("EXIF")] == ["Orientation"]
    np.testing.assert_array_equal(load_image_bytes(out).pixels, load_image_bytes(original).pixels)
