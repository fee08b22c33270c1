"""Explain an EXIF/TIFF block (IFD0, Exif, GPS, Interop, IFD1 thumbnail, MakerNote) with Pillow's reader."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

from PIL import ExifTags, Image

from sharesafe.metadata import explain
from sharesafe.metadata.explain import item, size_text
from sharesafe.types import MetadataItem

_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_IFD_INTEROP = 0xA005
_TAG_MAKERNOTE = 0x927C
_TAG_XMP = 700
_TAG_IPTC = 33723
_TAG_PHOTOSHOP = 34377
_TAG_ICC = 34675
_TAG_SUBIFDS = 330
_POINTER_TAGS = {_IFD_EXIF, _IFD_GPS, _IFD_INTEROP, _TAG_SUBIFDS, 0x014A}

_INTEROP_NAMES = {
    1: "InteroperabilityIndex",
    2: "InteroperabilityVersion",
    0x1000: "RelatedImageFileFormat",
    0x1001: "RelatedImageWidth",
    0x1002: "RelatedImageLength",
}

#: Makers whose MakerNote starts with a recognisable signature.
_MAKERNOTE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"Nikon", "Nikon"),
    (b"OLYMPUS", "Olympus"),
    (b"OM SYSTEM", "OM System"),
    (b"FUJIFILM", "Fujifilm"),
    (b"Apple iOS", "Apple"),
    (b"Panasonic", "Panasonic"),
    (b"SONY", "Sony"),
    (b"PENTAX", "Pentax"),
    (b"AOC", "Pentax"),
    (b"QVC", "Casio"),
    (b"LEICA", "Leica"),
    (b"SAMSUNG", "Samsung"),
    (b"SIGMA", "Sigma"),
    (b"FOVEON", "Sigma"),
    (b"Ricoh", "Ricoh"),
    (b"RICOH", "Ricoh"),
    (b"KDK", "Kodak"),
    (b"MLT0", "Minolta"),
    (b"HUAWEI", "Huawei"),
    (b"GOOGLE", "Google"),
    (b"DJI", "DJI"),
)

# Callbacks so that exif.py need not import the modules that import it.
NestedReader = Callable[[bytes, str], list[MetadataItem]]


def makernote_vendor(note: bytes, make: str) -> str:
    head = note[:16]
    for sig, vendor in _MAKERNOTE_SIGNATURES:
        if head.startswith(sig):
            return vendor
    return make.strip() or "unknown maker"


def format_value(value: Any) -> str:
    """A short readable string for a value Pillow decoded from a TIFF entry."""
    if isinstance(value, bytes):
        if len(value) > 64 or any(b < 0x20 and b not in (0, 9, 10, 13) for b in value[:64].rstrip(b"\x00")):
            return f"<{size_text(len(value))} of binary data>"
        return value.decode("latin-1").rstrip("\x00")
    if isinstance(value, str):
        return value.rstrip("\x00")
    if isinstance(value, tuple):
        if len(value) > 16:
            return f"<{len(value)} values>"
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    try:
        as_float = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)
    if as_float.is_integer():
        return str(int(as_float))
    return f"{as_float:g}"


def _text_value(tag_name: str, value: Any) -> str:
    if tag_name.startswith("XP") and isinstance(value, bytes):  # Windows XP* tags are UTF-16LE
        return value.decode("utf-16-le", errors="replace").rstrip("\x00")
    if tag_name == "UserComment" and isinstance(value, bytes):
        code, body = value[:8], value[8:]
        if code.startswith(b"UNICODE"):
            text = body.decode("utf-16-be" if body[:1] == b"\x00" else "utf-16-le", errors="replace")
        else:
            text = body.decode("latin-1")
        return text.rstrip("\x00 ")
    return format_value(value)


def _to_degrees(value: Any) -> float | None:
    try:
        if isinstance(value, tuple) and len(value) >= 1:
            parts = [float(v) for v in value[:3]] + [0.0, 0.0]
            return parts[0] + parts[1] / 60.0 + parts[2] / 3600.0
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def gps_decimal(gps: Mapping[int, Any]) -> tuple[float, float] | None:
    """Latitude and longitude in signed decimal degrees from a GPS IFD, or None if absent/invalid."""
    lat = _to_degrees(gps.get(2)) if 2 in gps else None
    lon = _to_degrees(gps.get(4)) if 4 in gps else None
    if lat is None or lon is None:
        return None
    lat_ref = format_value(gps.get(1, "N")).strip().upper()[:1]
    lon_ref = format_value(gps.get(3, "E")).strip().upper()[:1]
    if lat_ref == "S":
        lat = -lat
    if lon_ref == "W":
        lon = -lon
    if lat != lat or lon != lon or abs(lat) > 90 or abs(lon) > 180:  # NaN or out of range
        return None
    return lat, lon


def _tag_name(tag: int, gps: bool = False, interop: bool = False) -> str:
    if gps:
        return ExifTags.GPSTAGS.get(tag, f"GPSTag0x{tag:04X}")
    if interop:
        return _INTEROP_NAMES.get(tag, f"InteropTag0x{tag:04X}")
    name = ExifTags.TAGS.get(tag)
    if name is None:
        return f"Tag0x{tag:04X}"
    return {"ExifImageWidth": "PixelXDimension", "ExifImageHeight": "PixelYDimension"}.get(name, name)


_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


def raw_ifd0_payloads(body: bytes, wanted: frozenset[int]) -> dict[int, bytes]:
    """The raw bytes of the `wanted` tags in IFD0, whatever type and count they claim.

    Pillow drops blobs whose declared count it does not expect (e.g. IPTC stored as LONG[n] in TIFF files),
    so the embedded-block tags are read here directly, within the bounds of `body`.
    """
    out: dict[int, bytes] = {}
    order: Literal["little", "big"] = "little" if body[:2] == b"II" else "big"
    ifd = int.from_bytes(body[4:8], order)
    if ifd + 2 > len(body):
        return out
    count = min(int.from_bytes(body[ifd : ifd + 2], order), 4096)
    for i in range(count):
        entry = body[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        if len(entry) < 12:
            break
        tag = int.from_bytes(entry[0:2], order)
        if tag not in wanted:
            continue
        size = _TYPE_SIZES.get(int.from_bytes(entry[2:4], order), 1) * int.from_bytes(entry[4:8], order)
        if size <= 4:
            out[tag] = entry[8 : 8 + size]
        else:
            offset = int.from_bytes(entry[8:12], order)
            out[tag] = body[offset : offset + size]
    return out


_BLOCK_TAGS = frozenset({_TAG_XMP, _TAG_IPTC, _TAG_PHOTOSHOP, _TAG_ICC})


def exif_items(
    raw: bytes,
    group: str = "EXIF",
    nested: NestedReader | None = None,
    tiff_file: bool = False,
) -> list[MetadataItem]:
    """Items for an EXIF block (`Exif\\0\\0` + TIFF, or a bare TIFF header). Never raises.

    `nested(payload, kind)` is called for XMP/IPTC/Photoshop/ICC payloads found inside TIFF tags, with kind
    one of "xmp", "iptc", "photoshop", "icc".
    """
    try:
        return _exif_items(raw, group, nested, tiff_file)
    except Exception as exc:  # noqa: BLE001 - damaged metadata must be reported, never crash the scan
        return [item(group, "EXIF", f"damaged EXIF block ({size_text(len(raw))}): {exc}", explain.DAMAGED)]


def _exif_items(raw: bytes, group: str, nested: NestedReader | None, tiff_file: bool) -> list[MetadataItem]:
    body = raw[6:] if raw.startswith(b"Exif\x00") else raw
    out: list[MetadataItem] = []
    if body[:4] not in (b"II*\x00", b"MM\x00*"):
        return [
            item(group, "EXIF", f"EXIF block without a valid header ({size_text(len(raw))})", explain.DAMAGED)
        ]
    ifd0_group = f"{group}:IFD0"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exif = Image.Exif()
        exif.load(body)
        ifd0 = dict(exif)
        sub_ifds: list[tuple[str, dict[int, Any], bool, bool]] = [(ifd0_group, ifd0, False, False)]
        if _IFD_EXIF in ifd0:
            sub_ifds.append((f"{group}:ExifIFD", dict(exif.get_ifd(_IFD_EXIF)), False, False))
        if _IFD_GPS in ifd0:
            sub_ifds.append((f"{group}:GPS", dict(exif.get_ifd(_IFD_GPS)), True, False))
        exif_ifd = sub_ifds[1][1] if len(sub_ifds) > 1 and sub_ifds[1][0].endswith("ExifIFD") else {}
        if _IFD_INTEROP in exif_ifd:
            sub_ifds.append((f"{group}:Interop", dict(exif.get_ifd(_IFD_INTEROP)), False, True))
        ifd1 = dict(exif.get_ifd(ExifTags.IFD.IFD1))
    make = format_value(ifd0.get(0x010F, ""))
    for grp, ifd, is_gps, is_interop in sub_ifds:
        if is_gps:
            out.extend(_gps_items(grp, ifd))
            continue
        for tag, value in ifd.items():
            if tag in _POINTER_TAGS:
                continue
            name = _tag_name(tag, interop=is_interop)
            if tag == _TAG_MAKERNOTE:
                note = value if isinstance(value, bytes) else b""
                vendor = makernote_vendor(note, make)
                out.append(item(grp, "MakerNote", f"{vendor} maker notes, {size_text(len(note))}"))
                from sharesafe.metadata.makernote import makernote_items

                out.extend(makernote_items(note, vendor, body, group))
                continue
            if tag in _BLOCK_TAGS and grp == ifd0_group:
                continue  # read raw below
            if tag in _BLOCK_TAGS and isinstance(value, bytes | tuple):
                payload = value if isinstance(value, bytes) else bytes(int(v) & 0xFF for v in value)
                kind = {_TAG_XMP: "xmp", _TAG_IPTC: "iptc", _TAG_PHOTOSHOP: "photoshop", _TAG_ICC: "icc"}[tag]
                if nested is not None:
                    out.extend(nested(payload, kind))
                else:
                    out.append(item(grp, name, f"<{size_text(len(payload))}>", explain.UNKNOWN_BLOCK))
                continue
            out.append(item(grp, name, _text_value(name, value)))
    for tag, payload in raw_ifd0_payloads(body, _BLOCK_TAGS).items():
        if not payload:
            continue
        kind = {_TAG_XMP: "xmp", _TAG_IPTC: "iptc", _TAG_PHOTOSHOP: "photoshop", _TAG_ICC: "icc"}[tag]
        if nested is not None:
            out.extend(nested(payload, kind))
        else:
            out.append(
                item(ifd0_group, _tag_name(tag), f"<{size_text(len(payload))}>", explain.UNKNOWN_BLOCK)
            )
    if ifd1:
        out.extend(_ifd1_items(f"{group}:IFD1", ifd1, tiff_file))
    if caught:
        messages = "; ".join(sorted({str(w.message) for w in caught}))[:150]
        out.append(item(group, "EXIF", f"EXIF block is partly damaged: {messages}", explain.DAMAGED))
    return out


def _gps_items(group: str, gps: dict[int, Any]) -> list[MetadataItem]:
    out: list[MetadataItem] = []
    position = gps_decimal(gps)
    if position is not None:
        out.append(item(group, "GPSPosition", f"{position[0]:.5f}, {position[1]:.5f}", explain.LOCATION))
    for tag, value in gps.items():
        name = _tag_name(tag, gps=True)
        if position is not None and tag in (1, 2, 3, 4):
            continue  # already shown as one decimal position
        if tag in (2, 4, 20, 22):  # a coordinate without a usable partner
            deg = _to_degrees(value)
            text = f"{deg:.5f}" if deg is not None else format_value(value)
        else:
            text = format_value(value)
        out.append(item(group, name, text))
    if not gps:
        out.append(item(group, "GPSInfo", "empty GPS record", explain.LOCATION_DETAIL))
    return out


def _ifd1_items(group: str, ifd1: dict[int, Any], tiff_file: bool) -> list[MetadataItem]:
    if tiff_file:
        width, height = ifd1.get(256), ifd1.get(257)
        return [item(group, "SecondImage", f"second image/page {width}x{height}", explain.HIDDEN_IMAGES)]
    length = ifd1.get(0x0202) or ifd1.get(0x0117)
    size = ""
    if isinstance(length, int):
        size = size_text(length)
    elif isinstance(length, tuple):
        size = size_text(sum(int(v) for v in length))
    if 0x0201 in ifd1 or 0x0111 in ifd1:
        return [item(group, "ThumbnailImage", f"embedded thumbnail {size}".strip(), explain.THUMBNAIL)]
    return [item(group, "IFD1", f"second EXIF directory with {len(ifd1)} tags", explain.HIDDEN_IMAGES)]
