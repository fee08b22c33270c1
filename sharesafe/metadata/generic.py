"""TIFF, GIF, BMP and other formats: metadata as Pillow exposes it."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from sharesafe.metadata import explain
from sharesafe.metadata.blocks import nested_items
from sharesafe.metadata.exif import exif_items
from sharesafe.metadata.explain import item
from sharesafe.metadata.heif import scan_bytes
from sharesafe.types import MetadataItem


def read_tiff(data: bytes) -> list[MetadataItem]:
    """Tags of a TIFF file (and TIFF-based RAW): IFD0 as the main image, EXIF/GPS sub-directories."""
    return exif_items(data, "TIFF", nested=nested_items, tiff_file=True)


def read_with_pillow(data: bytes, fmt: str) -> list[MetadataItem]:
    """GIF, BMP and others: what Pillow's decoder finds in `info`. Never raises."""
    out: list[MetadataItem] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data))
            info = dict(img.info)
            frames = int(getattr(img, "n_frames", 1) or 1)
            if fmt == "GIF":  # comments may sit on any frame
                for i in range(1, min(frames, 500)):
                    img.seek(i)
                    if "comment" in img.info and "comment" not in info:
                        info["comment"] = img.info["comment"]
    except Exception as exc:  # noqa: BLE001 - damaged files are reported, the scan goes on
        out.append(
            item(fmt, "Structure", f"could not be read ({exc}); scanned the bytes instead", explain.DAMAGED)
        )
        out.extend(scan_bytes(data, fmt))
        return out
    for key, value in info.items():
        raw = value if isinstance(value, bytes) else value.encode("utf-8") if isinstance(value, str) else None
        if key == "exif" and raw:
            out.extend(nested_items(raw, "exif"))
        elif key in ("xmp", "XML:com.adobe.xmp") and raw:
            out.extend(nested_items(raw, "xmp"))
        elif key == "icc_profile" and raw:
            out.extend(nested_items(raw, "icc"))
        elif key == "comment" and raw:
            out.append(
                item(f"{fmt}:Comment", "Comment", raw.decode("utf-8", errors="replace"), explain.COMMENT)
            )
        elif key == "extension" and isinstance(value, tuple | bytes):
            out.append(
                item(f"{fmt}:Extension", "Extension", "application extension block", explain.UNKNOWN_BLOCK)
            )
    if frames > 1:
        out.append(item(fmt, "Frames", f"{frames} frames (only the first is exported)", explain.STRUCTURAL))
    return out
