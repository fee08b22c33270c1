"""The tag names an audit record may show without `--full-detail`: a closed vocabulary.

Metadata readers take some tag names from the file itself (a PNG text keyword, a JPEG APPn signature,
an XMP property, a GIF application id, an unknown chunk's type). A crafted file can put anything
there - coordinates, a name, a serial number - so a record that printed every tag name would leak
values through the names. Only names from the standards' own tables and from ShareSafe's readers
are shown; anything else is an "unknown item".
"""

from __future__ import annotations

import re
from functools import cache

from PIL import ExifTags

#: Names the readers write themselves (not taken from the file).
_READER_NAMES = frozenset(
    {
        "Adobe",
        "AuxiliaryImage",
        "C2PA",
        "Chunk",
        "Comment",
        "DepthImage",
        "ExtendedXMP",
        "Extension",
        "FlashPix",
        "Frames",
        "GPSPosition",
        "ICC_Profile",
        "Images",
        "JFIF",
        "JFIFThumbnail",
        "JFXXThumbnail",
        "JUMBF",
        "MakerNote",
        "Metadata",
        "ModifyDate",
        "Padding",
        "PhotoshopThumbnail",
        "PlainText",
        "Structure",
        "ThumbnailImage",
        "Trailer",
        "XMP",
    }
)

#: PNG's registered text keywords (PNG 3rd edition, 11.3.4.2) and the ones ImageMagick writes.
_PNG_KEYWORDS = frozenset(
    {
        "Title",
        "Author",
        "Description",
        "Copyright",
        "Creation Time",
        "Software",
        "Disclaimer",
        "Warning",
        "Source",
        "Comment",
        "XML:com.adobe.xmp",
        "Raw profile type exif",
        "Raw profile type APP1",
        "Raw profile type iptc",
        "Raw profile type xmp",
        "Raw profile type icc",
        "Raw profile type 8bim",
        "date:create",
        "date:modify",
        "date:timestamp",
    }
)

#: Chunk types and block names from the PNG, WebP, GIF and HEIF specifications.
_CONTAINER_NAMES = frozenset(
    {
        # PNG ancillary chunks
        "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "hIST", "pHYs", "sPLT", "tIME",
        "tEXt", "zTXt", "iTXt", "eXIf", "acTL", "fcTL", "fdAT", "oFFs", "pCAL", "sCAL", "gIFg",
        "gIFx", "sTER", "cICP", "mDCv", "cLLi", "caBX", "vpAg", "dSIG", "iDOT",
        # WebP chunks
        "EXIF", "XMP", "ICCP", "ANIM", "ANMF", "ALPH", "VP8", "VP8L", "VP8X",
        # GIF application extensions
        "NETSCAPE2.0", "ANIMEXTS1.0", "XMP DataXMP", "ICCRGBG1012", "MGK8BIM0000", "MGKIPTC0000",
    }
)  # fmt: skip

#: Known JPEG APPn signatures, as `_app_name` spells them.
_APP_SIGNATURES = frozenset(
    {
        "JFIF",
        "JFXX",
        "Exif",
        "http://ns.adobe.com/xap/",
        "ICC_PROFILE",
        "MPF",
        "FPXR",
        "Photoshop 3.0",
        "Adobe",
        "Ducky",
        "AROT",
        "HPQ-Capture",
        "QVCI",
        "FLIR",
        "SCRN",
        "JP",
        "Meta",
        "MMIMETA",
        "Ocad",
        "PIC",
    }
)

#: Names the readers build from numbers, which carry nothing but the number.
_NUMBERED = re.compile(
    r"(?:(?:GPS|Interop)?Tag0x[0-9A-F]{4}|Dataset\d:\d{1,3}|0x[0-9A-F]{4}|Marker0x[0-9A-F]{2}|APP\d{1,2})"
    r"(?: \(image \d{1,4}\))?"
)
_IMAGE_SUFFIX = re.compile(r" \(image \d{1,4}\)$")


@cache
def known_names() -> frozenset[str]:
    """Every tag name in the vocabulary (EXIF, GPS, IPTC, XMP and ShareSafe's own tables)."""
    from sharesafe.metadata import exif, explain, iptc

    names: set[str] = set(_READER_NAMES | _PNG_KEYWORDS | _CONTAINER_NAMES)
    names.update(str(v) for v in ExifTags.TAGS.values())
    names.update(str(v) for v in ExifTags.GPSTAGS.values())
    names.update(str(v) for v in exif._INTEROP_NAMES.values())
    names.update(str(v) for v in iptc.IIM_NAMES.values())
    names.update(str(v) for v in iptc._RESOURCE_NAMES.values())
    names.update(explain._TABLE)
    names.update(explain._SERIAL_TAGS)
    names.update(f"APP{n} {sig}" for n in range(16) for sig in _APP_SIGNATURES)
    return frozenset(names)


def is_known_tag(name: str) -> bool:
    """True when `name` comes from the vocabulary, so showing it reveals nothing about the file."""
    if _NUMBERED.fullmatch(name):
        return True
    return _IMAGE_SUFFIX.sub("", name) in known_names()
