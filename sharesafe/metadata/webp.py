"""WebP RIFF chunk walker: report EXIF/XMP/ICCP and drop them losslessly."""

from __future__ import annotations

import struct

from sharesafe.errors import CorruptImageError
from sharesafe.metadata import explain
from sharesafe.metadata.blocks import nested_items
from sharesafe.metadata.explain import Explanation, item, size_text
from sharesafe.metadata.icc import icc_items
from sharesafe.metadata.xmp import xmp_items
from sharesafe.types import MetadataItem, MetadataKind, Risk

STRUCTURAL_CHUNKS = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"})
_FLAG_ICC, _FLAG_EXIF, _FLAG_XMP = 0x20, 0x08, 0x04


def chunks(data: bytes) -> tuple[list[tuple[bytes, int, int]], str | None]:
    """(fourcc, start, end) of each top-level chunk, `end` including the pad byte, and a damage note."""
    out: list[tuple[bytes, int, int]] = []
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return out, "no RIFF/WEBP header"
    riff_end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    pos = 12
    while pos + 8 <= riff_end:
        fourcc = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > riff_end:
            out.append((fourcc, pos, riff_end))
            return out, f"chunk {fourcc!r} is cut off"
        out.append((fourcc, pos, min(end, riff_end)))
        pos = end
    note = None
    if riff_end < len(data):
        note = "trailer"
    return out, note


def read_webp(data: bytes) -> list[MetadataItem]:
    """Every metadata item of a WebP. Never raises."""
    found, note = chunks(data)
    out: list[MetadataItem] = []
    for fourcc, start, end in found:
        size = struct.unpack("<I", data[start + 4 : start + 8])[0]
        body = data[start + 8 : min(start + 8 + size, end)]
        name = fourcc.decode("latin-1").strip()
        if fourcc == b"EXIF":
            out.extend(nested_items(body, "exif"))
        elif fourcc == b"XMP ":
            out.extend(xmp_items(body))
        elif fourcc == b"ICCP":
            out.extend(icc_items(body, group="WebP:ICCP"))
        elif fourcc in STRUCTURAL_CHUNKS:
            continue
        else:
            out.append(
                item(f"WebP:{name}", name, f"unknown chunk, {size_text(len(body))}", explain.UNKNOWN_BLOCK)
            )
    if note == "trailer":
        riff_end = 8 + struct.unpack("<I", data[4:8])[0]
        out.append(
            item(
                "WebP:Trailer",
                "Trailer",
                f"{size_text(len(data) - riff_end)} after the end of the picture",
                explain.TRAILER,
            )
        )
    elif note:
        out.append(
            item(
                "WebP",
                "Structure",
                note,
                Explanation(
                    Risk.LOW,
                    MetadataKind.TECHNICAL,
                    "the file structure is damaged; parts of it could not be checked",
                ),
            )
        )
    return out


def strip_webp(data: bytes, keep_icc: bool = False, exif: bytes | None = None) -> bytes:
    """Keep the picture chunks (and ICCP if asked), fix the VP8X flags and the RIFF size.

    `exif` (a TIFF-structured body) is written as the only EXIF chunk; it needs a VP8X header, so it is
    only written when the file has one (a file with EXIF always does)."""
    found, note = chunks(data)
    if note and note != "trailer":
        raise CorruptImageError(f"WebP structure is damaged: {note}")
    if not found:
        raise CorruptImageError("WebP has no chunks")
    body = bytearray()
    for fourcc, start, end in found:
        if fourcc == b"VP8X":
            chunk = bytearray(data[start:end])
            flags = chunk[8]
            flags &= ~(_FLAG_EXIF | _FLAG_XMP) & 0xFF
            if exif:
                flags |= _FLAG_EXIF
            if not keep_icc:
                flags &= ~_FLAG_ICC & 0xFF
            chunk[8] = flags
            body += chunk
        elif fourcc in STRUCTURAL_CHUNKS or (keep_icc and fourcc == b"ICCP"):
            body += data[start:end]
            if (end - start) % 2:
                body += b"\x00"
        # EXIF, XMP, ICCP and unknown chunks are dropped: decoders skip unknown chunks by specification
    if exif and any(fourcc == b"VP8X" for fourcc, _, _ in found):
        body += b"EXIF" + struct.pack("<I", len(exif)) + exif + (b"\x00" if len(exif) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + bytes(body)
