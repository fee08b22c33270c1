"""exiftool as an independent oracle: which tags in its `-j -G1 -a -u` output would be a leak.

Shared by scripts/leak_check.py and the metadata tests, so both judge exports by the same rules.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIFTOOL = shutil.which("exiftool")

#: (kind, exiftool group-1 prefixes, tag-name fragments). A group match wins over a name match.
LEAK_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("gps", ("GPS",), ("GPS",)),
    ("serial", (), ("SerialNumber", "ImageUniqueID", "Serial")),
    ("owner", (), ("Artist", "Copyright", "OwnerName", "Author", "Creator", "By-line", "Credit")),
    ("xmp", ("XMP",), ()),
    ("iptc", ("IPTC", "Photoshop"), ()),
    (
        "makernotes",
        (
            "MakerNotes",
            "Canon",
            "Nikon",
            "Sony",
            "Olympus",
            "Panasonic",
            "FujiFilm",
            "Casio",
            "Apple",
            "Samsung",
            "Pentax",
            "CIFF",
            "Ricoh",
            "Kodak",
            "Minolta",
            "Sigma",
            "Leica",
            "Sanyo",
            "GE",
            "HP",
            "JVC",
            "Reconyx",
        ),
        ("MakerNote",),
    ),
    (
        "thumbnail",
        ("IFD1", "MPF", "MPImage", "JFXX", "FlashPix", "PreviewIFD"),
        ("ThumbnailImage", "PreviewImage", "ThumbnailOffset", "JpgFromRaw", "MPImage", "OtherImage"),
    ),
    (
        "trailer",
        ("Trailer", "JUMBF", "C2PA", "Google", "Samsung"),
        ("Trailer", "MotionPhoto", "MicroVideo", "EmbeddedVideo"),
    ),
    ("comment", (), ("Comment",)),
)
PNG_STRUCTURAL = frozenset(
    {
        "ImageWidth",
        "ImageHeight",
        "BitDepth",
        "ColorType",
        "Compression",
        "Filter",
        "Interlace",
        "Gamma",
        "SRGBRendering",
        "PixelsPerUnitX",
        "PixelsPerUnitY",
        "PixelUnits",
        "WhitePointX",
        "WhitePointY",
        "RedX",
        "RedY",
        "GreenX",
        "GreenY",
        "BlueX",
        "BlueY",
        "BackgroundColor",
        "Transparency",
        "SignificantBits",
        "Palette",
        "ProfileName",  # the name field of an iCCP colour-profile chunk
    }
)
LEAK_KINDS = (
    "gps",
    "serial",
    "owner",
    "xmp",
    "iptc",
    "makernotes",
    "thumbnail",
    "png_text",
    "trailer",
    "comment",
)


def classify(tags: dict[str, Any]) -> dict[str, list[str]]:
    """Leaks in one exiftool `-j -G1 -a -u` record, by kind."""
    found: dict[str, list[str]] = {}
    for key, value in tags.items():
        group, _, tag = key.rpartition(":")
        if group in ("System", "File", "Composite", "") and tag != "Comment":
            continue
        if group.startswith("ICC"):  # a colour profile's own header (its creator and copyright)
            continue
        if group == "ExifTool":
            if tag == "Warning" and "trailer" in str(value).lower():
                found.setdefault("trailer", []).append(f"{key}={value}")
            continue
        if group == "PNG" and tag not in PNG_STRUCTURAL:
            found.setdefault("png_text", []).append(key)
            continue
        # Where a tag lives decides first (a serial inside maker notes counts as maker notes), then its name.
        kind = next((k for k, groups, _ in LEAK_RULES if groups and group.startswith(groups)), None)
        kind = kind or next((k for k, _, frags in LEAK_RULES if any(f in tag for f in frags)), None)
        if kind is not None:
            found.setdefault(kind, []).append(key)
    return found


def exiftool_records(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """exiftool's record for each path (one process for all of them), keyed by the path as given."""
    if EXIFTOOL is None:
        raise RuntimeError("exiftool is not installed")
    if not paths:
        return {}
    proc = subprocess.run(
        [EXIFTOOL, "-j", "-G1", "-a", "-u", *map(str, paths)], capture_output=True, text=True, check=False
    )
    doc: list[dict[str, Any]] = json.loads(proc.stdout or "[]")
    return {str(rec.get("SourceFile")): rec for rec in doc}


def exiftool_leaks(path: Path) -> dict[str, list[str]]:
    return classify(exiftool_records([path]).get(str(path), {}))


def trailing_bytes(data: bytes) -> int:
    """Bytes after the end of the picture (JPEG EOI, PNG IEND, RIFF size), judged without sharesafe."""
    if data.startswith(b"\xff\xd8"):
        if data.count(b"\xff\xd8\xff") != 1:  # a second image (thumbnail, MPF, preview) inside or after
            return max(len(data) - data.index(b"\xff\xd8\xff", 2), 1)
        return len(data) - (data.rfind(b"\xff\xd9") + 2)
    if data.startswith(b"\x89PNG"):
        end = data.rfind(b"IEND")
        return len(data) - (end + 8) if end >= 0 else 0
    if data.startswith(b"RIFF"):
        return len(data) - (8 + int.from_bytes(data[4:8], "little"))
    return 0
