"""Serial numbers and owner names inside the best-documented maker notes (Canon, Nikon, Fujifilm,
Panasonic). Everything else in a maker note is reported as one opaque block."""

from __future__ import annotations

import warnings
from typing import Any

from PIL import Image

from sharesafe.metadata.exif import format_value
from sharesafe.metadata.explain import item
from sharesafe.types import MetadataItem

#: vendor -> {tag: name} of the fields worth their own line.
_FIELDS: dict[str, dict[int, str]] = {
    "Canon": {
        0x0006: "CanonImageType",
        0x0009: "OwnerName",
        0x000C: "SerialNumber",
        0x0096: "InternalSerialNumber",
    },
    "Nikon": {0x001D: "SerialNumber", 0x00A0: "SerialNumber2"},
    "Fujifilm": {0x0010: "InternalSerialNumber"},
    "Panasonic": {0x0025: "InternalSerialNumber", 0x0069: "BabyName", 0x006B: "Text"},
}


def _ifd_at(body: bytes, offset: int) -> dict[int, Any]:
    """The IFD at `offset` of a TIFF `body`, read with Pillow's bounded reader."""
    exif = Image.Exif()
    exif.load(body)
    found = exif._get_ifd_dict(offset)
    return dict(found or {})


def makernote_items(note: bytes, vendor: str, body: bytes, group: str) -> list[MetadataItem]:
    """Owner and serial fields from a maker note. `body` is the whole EXIF TIFF block (for offsets relative to
    it). Never raises; returns [] when the layout is not one we know."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tags = _read(note, vendor, body)
    except Exception:  # noqa: BLE001 - a maker note we cannot walk is still reported as a block
        return []
    out: list[MetadataItem] = []
    for tag, name in _FIELDS.get(vendor, {}).items():
        if tag in tags:
            value = format_value(tags[tag]).strip()
            if value and value not in ("0", "<4 bytes of binary data>"):
                out.append(item(f"{group}:MakerNote {vendor}", name, value))
    return out


def _read(note: bytes, vendor: str, body: bytes) -> dict[int, Any]:
    if vendor == "Nikon" and note.startswith(b"Nikon\x00\x02") and note[10:12] in (b"II", b"MM"):
        exif = Image.Exif()
        exif.load(note[10:])  # type 3 notes hold a whole TIFF structure of their own
        return dict(exif)
    if vendor == "Fujifilm" and note.startswith(b"FUJIFILM"):
        start = int.from_bytes(note[8:12], "little")
        return _ifd_at(b"II*\x00" + start.to_bytes(4, "little") + note[8:], start)
    if vendor == "Canon":
        pos = body.find(note)
        return _ifd_at(body, pos) if pos > 0 else {}
    if vendor == "Panasonic" and note.startswith(b"Panasonic\x00"):
        pos = body.find(note)
        return _ifd_at(body, pos + 12) if pos > 0 else {}
    return {}
