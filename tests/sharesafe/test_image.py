import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image, features

from sharesafe import formats
from sharesafe.errors import (
    CorruptImageError,
    ImageTooLargeError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from sharesafe.image import _heif_pixels, load_image, load_image_bytes
from sharesafe.samples import exif_bytes, jpeg_bytes, rotate_for_orientation, street_scene


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_loads_upright(orientation: int) -> None:
    upright = street_scene(320, 240)
    stored = rotate_for_orientation(upright, orientation)
    data = jpeg_bytes(stored, exif_bytes(orientation=orientation), quality=100)
    loaded = load_image_bytes(data)
    assert loaded.orientation == orientation
    assert loaded.pixels.shape == upright.shape
    assert float(np.abs(loaded.pixels.astype(int) - upright).mean()) < 4.0


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("PNG", formats.PNG),
        ("WEBP", formats.WEBP),
        ("TIFF", formats.TIFF),
        ("GIF", formats.GIF),
        ("BMP", formats.BMP),
        ("JPEG", formats.JPEG),
    ],
)
def test_formats_detected_from_bytes_not_name(tmp_path, fmt: str, expected: str) -> None:
    img = Image.fromarray(street_scene(64, 48))
    path = tmp_path / "photo.jpg"  # same misleading extension for every format
    path.write_bytes(_encode(img, fmt))
    loaded = load_image(path)
    assert loaded.format == expected
    assert loaded.pixels.shape == (48, 64, 3)
    assert loaded.pixels.dtype == np.uint8


def test_heic_opens() -> None:
    heif = pillow_heif.from_pillow(Image.fromarray(street_scene(64, 48)))
    buf = io.BytesIO()
    heif.save(buf, quality=90)
    loaded = load_image_bytes(buf.getvalue())
    assert loaded.format == formats.HEIF
    assert loaded.pixels.shape == (48, 64, 3)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF plugin")
def test_avif_opens_through_pillow_when_pillow_heif_cannot() -> None:
    picture = Image.fromarray(street_scene(64, 48))
    buf = io.BytesIO()
    picture.save(buf, "AVIF", quality=90)
    loaded = load_image_bytes(buf.getvalue())
    assert loaded.format == formats.AVIF and loaded.pixels.shape == (48, 64, 3)


def test_png_alpha_and_16_bit() -> None:
    rgba = np.zeros((10, 12, 4), dtype=np.uint8)
    rgba[..., 3] = 128
    loaded = load_image_bytes(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert loaded.alpha is not None and loaded.alpha.shape == (10, 12)
    grey16 = Image.fromarray(np.full((5, 6), 40000, dtype=np.uint16))
    loaded16 = load_image_bytes(_encode(grey16, "PNG"))
    assert loaded16.pixels.shape == (5, 6, 3)
    assert 150 < int(loaded16.pixels[0, 0, 0]) < 160


def test_gif_takes_first_frame() -> None:
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    loaded = load_image_bytes(buf.getvalue())
    assert loaded.frames == 2
    assert loaded.pixels[0, 0, 0] > 200 and loaded.pixels[0, 0, 2] < 50


def test_bad_inputs_give_clear_errors(tmp_path) -> None:
    with pytest.raises(CorruptImageError, match="empty"):
        load_image_bytes(b"")
    with pytest.raises(UnsupportedFormatError, match="not a supported image"):
        load_image_bytes(b"hello, this is text" * 10)
    good = jpeg_bytes(street_scene(200, 150))
    with pytest.raises(CorruptImageError, match=r"damaged|truncated"):
        load_image_bytes(good[: len(good) // 3])
    with pytest.raises(UnsupportedFormatError, match="folder"):
        load_image(tmp_path)
    with pytest.raises(UnreadableFileError, match="cannot read"):
        load_image(tmp_path / "missing.jpg")


def test_decompression_bomb_is_refused_before_decoding() -> None:
    big = _encode(Image.new("L", (4000, 3000)), "PNG")
    with pytest.raises(ImageTooLargeError, match="12 MP"):
        load_image_bytes(big, max_pixels=10_000_000)
    assert load_image_bytes(big, max_pixels=12_000_000).width == 4000


def test_loaded_pixels_are_read_only() -> None:
    data = jpeg_bytes(street_scene(64, 48))
    a = load_image_bytes(data)
    with pytest.raises(ValueError, match="read-only"):
        a.pixels[:] = 0
    drawn = a.pixels.copy()
    drawn[:] = 0
    assert a.pixels.any() and load_image_bytes(data).pixels.any()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_heic_direct_decode_matches_pillow(mode: str) -> None:
    """The HEIF fast path gives the pixels Pillow's plugin gives (RGB); other modes go through Pillow."""
    pillow_heif.register_heif_opener()
    picture = Image.fromarray(street_scene(96, 64)).convert(mode)
    heif = pillow_heif.from_pillow(picture)
    buf = io.BytesIO()
    heif.save(buf, quality=90)
    loaded = load_image_bytes(buf.getvalue())
    with Image.open(io.BytesIO(buf.getvalue())) as via_pillow:
        expected = np.asarray(via_pillow.convert("RGB"))
    assert loaded.pixels.shape == (64, 96, 3) and loaded.pixels.flags.c_contiguous
    assert np.array_equal(loaded.pixels, expected)
    with Image.open(io.BytesIO(buf.getvalue())) as opened:
        direct = _heif_pixels(buf.getvalue(), opened)
    assert (direct is not None) == (opened.mode == "RGB")


def test_non_srgb_profile_is_converted_for_export() -> None:
    from PIL import ImageCms

    from tests.sharesafe.icc_fixture import wide_gamut_profile

    pixels = np.full((8, 8, 3), (200, 100, 50), dtype=np.uint8)
    tagged = load_image_bytes(_encode(Image.fromarray(pixels), "PNG", icc_profile=wide_gamut_profile()))
    assert tagged.icc_name == "Test Wide Gamut P3"
    assert tagged.srgb_pixels is not None
    assert np.array_equal(tagged.pixels, pixels)  # detectors see the stored values
    assert not np.array_equal(tagged.export_pixels, pixels)  # the export is converted to sRGB
    assert int(tagged.export_pixels[0, 0, 0]) > 200  # P3 red is more saturated than sRGB red

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = load_image_bytes(_encode(Image.fromarray(pixels), "PNG", icc_profile=srgb))
    assert plain.srgb_pixels is None and plain.export_pixels is plain.pixels


def _exif_with_bad_entry(tag: int, entry_type: int) -> bytes:
    """EXIF with orientation 6 and one entry whose type field is rewritten: Pillow's
    `ImageOps.exif_transpose` fails on such files (TypeError, AttributeError, struct.error)."""
    import struct

    import piexif

    b = bytearray(
        piexif.dump(
            {
                "0th": {
                    piexif.ImageIFD.Orientation: 6,
                    piexif.ImageIFD.XResolution: (72, 1),
                    piexif.ImageIFD.Make: b"Cam",
                }
            }
        )
    )
    fmt = "<" if b[6:8] == b"II" else ">"
    ifd = 6 + struct.unpack(fmt + "I", b[10:14])[0]
    for i in range(struct.unpack(fmt + "H", b[ifd : ifd + 2])[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack(fmt + "H", b[entry : entry + 2])[0] == tag:
            b[entry + 2 : entry + 8] = struct.pack(fmt + "HI", entry_type, 1)
    return bytes(b)


@pytest.mark.parametrize(("tag", "entry_type"), [(0x011A, 1), (0x010F, 11)])
def test_a_damaged_exif_entry_does_not_stop_the_photo_turning_upright(tag: int, entry_type: int) -> None:
    from PIL import ImageOps

    data = jpeg_bytes(np.ascontiguousarray(street_scene(64, 48)), _exif_with_bad_entry(tag, entry_type))
    with pytest.raises(Exception):  # noqa: B017 - the reproducer: Pillow's own helper fails
        ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    loaded = load_image_bytes(data)
    assert (loaded.width, loaded.height, loaded.orientation) == (48, 64, 6)


def test_a_patched_image_open_cannot_leak_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """ultralytics replaces `PIL.Image.open` with one that imports pi_heif on any unidentified file."""
    import sharesafe.image as image_module

    def patched(*args: object, **kwargs: object) -> Image.Image:
        raise ModuleNotFoundError("No module named 'pi_heif'")

    monkeypatch.setattr(Image, "open", patched)
    heif = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40
    with pytest.raises(CorruptImageError, match="HEIF file"):
        load_image_bytes(heif)  # our loader kept Pillow's own opener
    monkeypatch.setattr(image_module, "_pil_open", patched)
    with pytest.raises(CorruptImageError, match="HEIF file is damaged"):
        load_image_bytes(heif)


def test_messages_carry_no_object_reprs() -> None:
    from sharesafe.errors import readable

    assert readable("cannot identify image file <_io.BytesIO object at 0x7f3a2b1c>") == (
        "cannot identify image file the file"
    )
    assert " at 0x" not in readable("bad <PIL.Image.Image image mode=RGB size=1x1 at 0x7F00>")
    from sharesafe.metadata.explain import short

    assert " at 0x" not in short(
        "could not be read (cannot identify image file <_io.BytesIO object at 0x7f01>)"
    )


def test_srgb_copy_is_made_only_when_an_export_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    from sharesafe import image as image_module
    from tests.sharesafe.icc_fixture import wide_gamut_profile

    calls = []
    real = image_module._to_srgb
    monkeypatch.setattr(image_module, "_to_srgb", lambda rgb, icc: calls.append(1) or real(rgb, icc))
    pixels = np.full((8, 8, 3), (200, 100, 50), dtype=np.uint8)
    tagged = load_image_bytes(_encode(Image.fromarray(pixels), "PNG", icc_profile=wide_gamut_profile()))
    assert calls == []  # a scan never pays for the conversion
    first = tagged.export_pixels
    assert tagged.export_pixels is first and calls == [1]
