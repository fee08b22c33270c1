"""read_metadata finds and explains every kind of metadata in generated photos."""

from __future__ import annotations

import io

import fixtures as fx
import pytest
from PIL import Image

from sharesafe import formats
from sharesafe.metadata import leftover_metadata, read_metadata
from sharesafe.types import MetadataItem, MetadataKind, Risk


def by_tag(items: list[MetadataItem], tag: str) -> list[MetadataItem]:
    return [i for i in items if i.tag == tag]


def one(items: list[MetadataItem], tag: str, group_prefix: str = "") -> MetadataItem:
    found = [i for i in by_tag(items, tag) if i.group.startswith(group_prefix)]
    assert found, f"no {tag} in {[(i.group, i.tag) for i in items]}"
    return found[0]


def assert_well_formed(items: list[MetadataItem]) -> None:
    for entry in items:
        assert isinstance(entry.value, str) and len(entry.value) <= 200
        assert entry.value.isprintable()
        assert isinstance(entry.risk, Risk) and isinstance(entry.kind, MetadataKind)
        assert entry.why and entry.group and entry.tag


def test_loaded_jpeg_reports_everything() -> None:
    items = read_metadata(fx.loaded_jpeg())
    assert_well_formed(items)
    gps = one(items, "GPSPosition", "EXIF:GPS")
    assert gps.value == fx.GPS_TEXT
    assert (gps.risk, gps.kind) == (Risk.HIGH, MetadataKind.LOCATION)
    assert gps.why == "reveals where this photo was taken"
    for tag in ("BodySerialNumber", "LensSerialNumber"):
        serial = one(items, tag)
        assert (serial.risk, serial.kind) == (Risk.HIGH, MetadataKind.DEVICE)
    assert one(items, "BodySerialNumber").value == "BODY123456"
    assert one(items, "ImageUniqueID").kind is MetadataKind.DEVICE
    for tag in ("Artist", "Copyright", "CameraOwnerName", "XPAuthor"):
        assert one(items, tag).kind is MetadataKind.PEOPLE, tag
        assert one(items, tag).risk is Risk.HIGH
    assert one(items, "XPAuthor").value == "Jo Bloggs"
    assert one(items, "DateTimeOriginal").kind is MetadataKind.TIME
    make = one(items, "Make")
    assert (make.value, make.risk, make.kind) == ("NIKON CORPORATION", Risk.MEDIUM, MetadataKind.DEVICE)
    thumb = one(items, "ThumbnailImage", "EXIF:IFD1")
    assert thumb.kind is MetadataKind.HIDDEN and thumb.risk is Risk.HIGH
    assert thumb.why == "a hidden preview that may show the unedited picture"
    note = one(items, "MakerNote")
    assert "Nikon" in note.value and note.kind is MetadataKind.HIDDEN
    maker_serial = one(items, "SerialNumber", "EXIF:MakerNote Nikon")
    assert (maker_serial.value, maker_serial.kind, maker_serial.risk) == (
        "NIK7654321",
        MetadataKind.DEVICE,
        Risk.HIGH,
    )
    # XMP: the packet, its GPS in decimal degrees, serial and creator
    assert one(items, "XMP", "XMP").kind is MetadataKind.HIDDEN
    assert one(items, "GPSPosition", "XMP").value == fx.GPS_TEXT
    assert one(items, "SerialNumber", "XMP").kind is MetadataKind.DEVICE
    assert one(items, "creator", "XMP").value == "PC 1234 Smith"
    assert one(items, "City", "XMP").kind is MetadataKind.LOCATION
    # IPTC inside Photoshop APP13
    assert one(items, "PhotoshopIRB").kind is MetadataKind.HIDDEN
    assert one(items, "By-line", "IPTC").kind is MetadataKind.PEOPLE
    assert one(items, "City", "IPTC").value == "Springfield"
    assert "custody" not in one(items, "Comment", "JPEG:COM").value
    assert one(items, "Comment", "JPEG:COM").value == "shot by PC 1234 at the station"
    assert "2 images" in one(items, "MPF").value
    assert "C2PA" in one(items, "JUMBF").value
    trailer = one(items, "Trailer")
    assert (
        trailer.risk is Risk.HIGH and "motion photo" in trailer.value and "1 embedded JPEG" in trailer.value
    )
    assert "sRGB" in one(items, "ICC_Profile").value
    assert one(items, "JFIF").risk is Risk.NONE


def test_png_text_chunks() -> None:
    items = read_metadata(fx.png_with_text(), formats.PNG)
    assert_well_formed(items)
    assert one(items, "Author", "PNG:tEXt").kind is MetadataKind.PEOPLE
    assert one(items, "Comment", "PNG:tEXt").value == "taken at the custody suite"
    assert one(items, "Description", "PNG:zTXt").value.startswith("a long description")
    assert one(items, "Title", "PNG:iTXt").value == "Überschrift"
    assert one(items, "GPSPosition", "EXIF:GPS").value == fx.GPS_TEXT  # eXIf chunk
    assert one(items, "GPSPosition", "XMP").value == fx.GPS_TEXT  # iTXt XMP
    assert one(items, "ModifyDate", "PNG:tIME").value == "2024-05-01 10:20:30"
    assert one(items, "IHDR").risk is Risk.NONE


def test_webp_exif_xmp_icc() -> None:
    items = read_metadata(fx.webp_with_metadata())
    assert_well_formed(items)
    assert one(items, "GPSPosition", "EXIF:GPS").value == fx.GPS_TEXT
    assert one(items, "Artist").kind is MetadataKind.PEOPLE
    assert one(items, "creator", "XMP").value == "PC 1234 Smith"
    assert one(items, "ICC_Profile").kind is MetadataKind.TECHNICAL


def test_heic_exif_and_xmp() -> None:
    items = read_metadata(fx.heic_with_exif())
    assert_well_formed(items)
    assert one(items, "GPSPosition", "EXIF:GPS").value == fx.GPS_TEXT
    assert one(items, "BodySerialNumber").value == "BODY123456"
    assert one(items, "GPSPosition", "XMP").value == fx.GPS_TEXT


def test_tiff_tags() -> None:
    items = read_metadata(fx.tiff_with_tags(), formats.TIFF)
    assert_well_formed(items)
    assert one(items, "Artist", "TIFF").value == "PC 1234 Smith"
    assert one(items, "Copyright", "TIFF").kind is MetadataKind.PEOPLE
    assert one(items, "GPSPosition").value == fx.GPS_TEXT
    assert one(items, "ImageWidth").risk is Risk.NONE


def test_damaged_exif_is_reported_not_raised() -> None:
    base = fx.plain_jpeg()
    bad = (
        base[:2] + fx.segment(0xE1, b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x01" * 40) + base[2:]
    )
    items = read_metadata(bad)
    damaged = [i for i in items if "damaged" in i.value.lower()]
    assert damaged and damaged[0].kind is MetadataKind.HIDDEN and damaged[0].risk.rank >= Risk.MEDIUM.rank
    assert leftover_metadata(bad)  # the damaged block still counts as metadata to strip


def test_exif_without_header_is_damaged() -> None:
    base = fx.plain_jpeg()
    bad = base[:2] + fx.segment(0xE1, b"Exif\x00\x00garbage that is not TIFF") + base[2:]
    assert any("damaged" in i.why or "valid header" in i.value for i in read_metadata(bad))


def test_jfif_thumbnail_is_hidden_preview() -> None:
    base = fx.plain_jpeg()
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x02" + b"\x80" * 12
    data = base[:2] + fx.segment(0xE0, jfif) + base[2:]
    assert (
        one(read_metadata(data), "JFIFThumbnail").why == "a hidden preview that may show the unedited picture"
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_plain_pillow_output_has_no_leftover(fmt: str) -> None:
    buf = io.BytesIO()
    Image.fromarray(fx.pixels()).save(buf, fmt)
    assert leftover_metadata(buf.getvalue()) == []


def test_rgba_png_and_palette_png_have_no_leftover() -> None:
    for mode in ("RGBA", "P", "L"):
        buf = io.BytesIO()
        img = Image.fromarray(fx.pixels()).convert(mode)
        img.save(buf, "PNG", transparency=0) if mode == "P" else img.save(buf, "PNG")
        assert leftover_metadata(buf.getvalue()) == [], mode


def test_srgb_icc_only_allowed_when_asked() -> None:
    buf = io.BytesIO()
    Image.fromarray(fx.pixels()).save(buf, "JPEG", icc_profile=fx.srgb_icc())
    left = leftover_metadata(buf.getvalue())
    assert [i.tag for i in left] == ["ICC_Profile"]
    assert leftover_metadata(buf.getvalue(), allow_icc=True) == []


def test_unknown_format_does_not_raise() -> None:
    assert read_metadata(b"") == []
    assert read_metadata(b"hello world, not an image") == []
    items = read_metadata(b"junk" + fx.exif_bytes(thumbnail=False) + b"junk")
    assert one(items, "GPSPosition").value == fx.GPS_TEXT  # byte scan of unknown containers


def test_gif_comment_xmp_icc() -> None:
    data = fx.gif_with_metadata()
    items = read_metadata(data)
    assert_well_formed(items)
    assert one(items, "Comment", "GIF").value == "seized at 12 High St"
    assert one(items, "GPSPosition", "XMP").value == fx.GPS_TEXT
    assert "sRGB" in one(items, "ICC_Profile").value
    assert "Structure" not in {i.tag for i in items}
    Image.open(io.BytesIO(data)).load()  # the hand-made file is a valid GIF


@pytest.mark.parametrize(
    ("tail", "label"),
    [
        (b"AXS!" + b"\x00" * 12, "AFCP"),
        (b"SEFH" + b"\x00" * 8 + b"SEFT", "Samsung"),
        (b"\x00\x00\x00", "padding"),
    ],
)
def test_trailer_kinds_are_named(tail: bytes, label: str) -> None:
    items = read_metadata(
        fx.plain_jpeg() + b"data" * 5 + tail if label != "padding" else fx.plain_jpeg() + tail
    )
    found = [i for i in items if i.group == "JPEG:Trailer"]
    assert len(found) == 1 and label in found[0].value
    if label == "padding":
        assert found[0].risk is Risk.LOW
    else:
        assert found[0].risk is Risk.HIGH
