"""HEIF/HEIC (and AVIF) metadata via pillow-heif, with a plain box scan as fallback."""

from __future__ import annotations

import io
import struct
from typing import Any

from sharesafe.metadata import explain
from sharesafe.metadata.blocks import nested_items
from sharesafe.metadata.explain import item, size_text
from sharesafe.types import MetadataItem


def _top_boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    out: list[tuple[bytes, int, int]] = []
    pos = 0
    while pos + 8 <= len(data) and len(out) < 1000:
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        btype = data[pos + 4 : pos + 8]
        if size == 1 and pos + 16 <= len(data):
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        if size < 8:
            break
        out.append((btype, pos, min(pos + size, len(data))))
        pos += size
    return out


def read_heif(data: bytes) -> list[MetadataItem]:
    """Every metadata item of a HEIF/AVIF file. Never raises."""
    out: list[MetadataItem] = []
    try:
        import pillow_heif

        heif: Any = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=False)
    except Exception as exc:  # noqa: BLE001 - fall back to a byte scan for damaged or unusual files
        out.append(
            item(
                "HEIF",
                "Structure",
                f"could not be read with libheif ({exc}); scanned the bytes instead",
                explain.DAMAGED,
            )
        )
        out.extend(scan_bytes(data, "HEIF"))
        return out
    images = list(heif)
    for index, image in enumerate(images):
        info = image.info
        prefix = "" if index == 0 else f" (image {index + 1})"
        exif = info.get("exif")
        if exif:
            out.extend(nested_items(bytes(exif), "exif"))
        xmp = info.get("xmp")
        if xmp:
            out.extend(nested_items(bytes(xmp), "xmp"))
        icc = info.get("icc_profile")
        if icc:
            out.extend(nested_items(bytes(icc), "icc"))
        for meta in info.get("metadata") or []:
            mtype = str(meta.get("type", "?"))
            mdata = meta.get("data") or b""
            out.append(
                item(
                    "HEIF",
                    f"Metadata{prefix}",
                    f"{mtype} block, {size_text(len(mdata))}",
                    explain.UNKNOWN_BLOCK,
                )
            )
        thumbs = info.get("thumbnails") or []
        if thumbs:
            out.append(
                item(
                    "HEIF",
                    f"ThumbnailImage{prefix}",
                    f"{len(thumbs)} embedded thumbnail(s)",
                    explain.THUMBNAIL,
                )
            )
        depth = info.get("depth_images") or []
        if depth:
            out.append(
                item("HEIF", f"DepthImage{prefix}", f"{len(depth)} depth map(s)", explain.HIDDEN_IMAGES)
            )
        aux = info.get("aux") or {}
        if aux:
            out.append(
                item(
                    "HEIF",
                    f"AuxiliaryImage{prefix}",
                    f"{sum(len(v) for v in aux.values())} auxiliary image(s): {', '.join(sorted(aux))}",
                    explain.HIDDEN_IMAGES,
                )
            )
    if len(images) > 1:
        out.append(
            item("HEIF", "Images", f"{len(images)} top-level images in the file", explain.HIDDEN_IMAGES)
        )
    return out


def scan_bytes(data: bytes, group: str) -> list[MetadataItem]:
    """Find EXIF/XMP blocks in a file we cannot parse structurally (damaged files, RAW formats)."""
    out: list[MetadataItem] = []
    pos = data.find(b"Exif\x00\x00")
    if pos >= 0:
        out.extend(nested_items(data[pos : pos + 1_000_000], "exif"))
    start = data.find(b"<x:xmpmeta")
    if start >= 0:
        end = data.find(b"</x:xmpmeta>", start)
        end = end + 12 if end >= 0 else min(len(data), start + 100_000)
        out.extend(nested_items(data[start:end], "xmp"))
    if not out and (b"ftyp" in data[:16]):
        for btype, start, end in _top_boxes(data):
            if btype == b"meta":
                out.append(
                    item(group, "meta", f"metadata box, {size_text(end - start)}", explain.UNKNOWN_BLOCK)
                )
    return out
