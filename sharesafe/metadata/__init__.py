"""Metadata report, lossless strip and leftover check (minimal version; the full reader replaces it)."""

from __future__ import annotations

import io

from PIL import Image

from sharesafe import formats
from sharesafe.errors import UnsupportedFormatError
from sharesafe.types import MetadataItem, MetadataKind, Risk


def read_metadata(data: bytes, fmt: str | None = None) -> list[MetadataItem]:
    items: list[MetadataItem] = []
    try:
        img = Image.open(io.BytesIO(data))
        exif = img.getexif()
    except Exception:  # noqa: BLE001
        return items
    for tag, value in exif.items():
        items.append(
            MetadataItem("EXIF", str(tag), str(value)[:80], Risk.MEDIUM, "EXIF tag", MetadataKind.HIDDEN)
        )
    if exif.get_ifd(0x8825):
        items.append(MetadataItem("EXIF:GPS", "GPS", "present", Risk.HIGH, "where", MetadataKind.LOCATION))
    return items


def strip_lossless(data: bytes, fmt: str, keep_icc: bool = False) -> bytes:
    raise UnsupportedFormatError(f"lossless strip of {fmt} is not available")


def leftover_metadata(data: bytes, fmt: str | None = None) -> list[MetadataItem]:
    return [m for m in read_metadata(data, fmt or formats.sniff(data[:64])) if m.risk is not Risk.NONE]
