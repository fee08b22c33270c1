"""Recognise an image format from its first bytes, never from the file name."""

from __future__ import annotations

JPEG = "JPEG"
PNG = "PNG"
WEBP = "WEBP"
TIFF = "TIFF"
HEIF = "HEIF"
GIF = "GIF"
BMP = "BMP"
AVIF = "AVIF"

#: Formats ShareSafe can open and export from.

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}
_AVIF_BRANDS = {b"avif", b"avis"}


def sniff(head: bytes) -> str | None:
    """Return the format name for a file starting with `head` (>= 32 bytes), or None if unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head.startswith(b"BM") and len(head) >= 14:
        return BMP
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brands = {head[8:12]}
        box_size = int.from_bytes(head[:4], "big")
        end = min(box_size, len(head))
        brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
        if brands & _AVIF_BRANDS and not brands & (_HEIF_BRANDS - {b"mif1", b"msf1"}):
            return AVIF
        if brands & _HEIF_BRANDS or brands & _AVIF_BRANDS:
            return HEIF
    return None


#: File extension used for an export in each format.
EXTENSIONS = {
    JPEG: ".jpg",
    PNG: ".png",
    WEBP: ".webp",
    TIFF: ".tif",
    HEIF: ".heic",
    GIF: ".gif",
    BMP: ".bmp",
    AVIF: ".avif",
}

#: Extensions a folder scan picks up (type is still checked from the bytes).
IMAGE_SUFFIXES = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".jif",
        ".pjpeg",
        ".pjp",
        ".png",
        ".webp",
        ".tif",
        ".tiff",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
        ".gif",
        ".bmp",
        ".dng",
    }
)
