"""Read, explain and strip photo metadata.

`read_metadata` reports everything a photo carries, each item with a risk, a kind and a plain reason.
`strip_lossless` removes metadata from JPEG, PNG and WebP without touching the picture data.
`leftover_metadata` re-reads an export and returns whatever is not on the allowlist of harmless structural
keys: an export is only called safe when it returns nothing.
"""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image

from sharesafe import formats
from sharesafe.errors import UnsupportedFormatError
from sharesafe.metadata import explain
from sharesafe.metadata.explain import item
from sharesafe.metadata.generic import read_tiff, read_with_pillow
from sharesafe.metadata.gif import read_gif
from sharesafe.metadata.heif import read_heif, scan_bytes
from sharesafe.metadata.jpeg import read_jpeg, strip_jpeg
from sharesafe.metadata.png import read_png, strip_png
from sharesafe.metadata.webp import read_webp, strip_webp
from sharesafe.types import MetadataItem, MetadataKind, Risk

__all__ = [
    "ALLOWED_STRUCTURAL",
    "is_allowed",
    "leftover_metadata",
    "orientation_of",
    "read_metadata",
    "strip_lossless",
]

#: (group, tag) pairs that only describe how the picture is stored. Anything else left in an export fails it.
ALLOWED_STRUCTURAL: frozenset[tuple[str, str]] = frozenset(
    {("JPEG:APP0", "JFIF"), ("JPEG:APP14", "Adobe"), ("EXIF:IFD0", "Orientation")}
    | {
        (f"PNG:{c}", c)
        for c in (
            "IHDR",
            "tRNS",
            "gAMA",
            "cHRM",
            "sRGB",
            "pHYs",
            "sBIT",
            "bKGD",
            "acTL",
            "cICP",
            "mDCV",
            "cLLI",
        )
    }
)
_ICC_GROUPS = ("ICC_Profile", "PNG:iCCP", "WebP:ICCP")


def read_metadata(data: bytes, fmt: str | None = None) -> list[MetadataItem]:
    """Every metadata item in `data` (a whole file). `fmt` is a `sharesafe.formats` name; sniffed when None.

    Never raises: damaged blocks come back as items that say so.
    """
    try:
        return _read(data, fmt)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: report, never crash a scan
        return [
            item(
                "File",
                "Metadata",
                f"metadata could not be read: {type(exc).__name__}: {exc}",
                explain.DAMAGED,
            )
        ]


def _read(data: bytes, fmt: str | None) -> list[MetadataItem]:
    if fmt is None:
        fmt = formats.sniff(data[:64])
    if fmt == formats.JPEG:
        return read_jpeg(data)
    if fmt == formats.PNG:
        return read_png(data)
    if fmt == formats.WEBP:
        return read_webp(data)
    if fmt == formats.TIFF:
        return read_tiff(data)
    if fmt in (formats.HEIF, formats.AVIF):
        return read_heif(data)
    if fmt == formats.GIF:
        return read_gif(data)
    if fmt == formats.BMP:
        return read_with_pillow(data, fmt)
    return scan_bytes(data, fmt or "File")


def orientation_of(data: bytes) -> int:
    """The EXIF orientation (1-8) viewers apply to `data`, read as `sharesafe.image` reads it; 1 if none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = Image.open(io.BytesIO(data)).getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - no readable orientation means none is applied
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def minimal_exif(orientation: int) -> bytes:
    """A TIFF-structured EXIF body holding nothing but the orientation tag (no "Exif" prefix)."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    return b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\x00\x00\x00\x00"


def strip_lossless(data: bytes, fmt: str, keep_icc: bool = False, keep_orientation: bool = True) -> bytes:
    """`data` without metadata and with the picture data untouched (JPEG, PNG, WebP).

    JPEG keeps only the decoder's segments plus JFIF (its thumbnail zeroed), the Adobe colour-transform flag
    and, if `keep_icc`, the ICC profile; it drops every other APPn, COM, EXIF with its thumbnail, MPF, APP11
    and any data after the end marker. PNG and WebP keep only the chunks the picture needs.

    With `keep_orientation` (the default), a photo whose EXIF says "rotate when shown" gets a new EXIF block
    holding only that orientation tag, so it still displays upright; nothing else of the old EXIF survives.

    Raises UnsupportedFormatError for formats that need a re-encode (TIFF, HEIF, ...) and CorruptImageError
    when the structure is too damaged to strip safely.
    """
    if fmt not in (formats.JPEG, formats.PNG, formats.WEBP):
        raise UnsupportedFormatError(
            f"{fmt} files cannot be stripped losslessly; they are re-encoded instead"
        )
    orientation = orientation_of(data) if keep_orientation else 1
    exif = minimal_exif(orientation) if orientation != 1 else None
    if fmt == formats.JPEG:
        return strip_jpeg(data, keep_icc=keep_icc, exif=exif)
    if fmt == formats.PNG:
        return strip_png(data, keep_icc=keep_icc, exif=exif)
    return strip_webp(data, keep_icc=keep_icc, exif=exif)


def is_allowed(entry: MetadataItem, allow_icc: bool = False) -> bool:
    """Whether `entry` is a harmless structural key that may stay in an export."""
    if (entry.group, entry.tag) in ALLOWED_STRUCTURAL and entry.kind is MetadataKind.TECHNICAL:
        return entry.risk is Risk.NONE
    if allow_icc and entry.group in _ICC_GROUPS and entry.tag == "ICC_Profile":
        return entry.risk is Risk.LOW and entry.kind is MetadataKind.TECHNICAL
    return False


def leftover_metadata(data: bytes, fmt: str | None = None, *, allow_icc: bool = False) -> list[MetadataItem]:
    """Items in `data` that are not on the structural allowlist. An export is safe only when this is empty.

    `allow_icc` also allows one ICC colour profile (for exports written with `keep_icc`).
    """
    return [entry for entry in read_metadata(data, fmt) if not is_allowed(entry, allow_icc)]
