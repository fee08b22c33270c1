"""Dispatch a metadata payload found inside another container (EXIF in a PNG chunk, XMP in a TIFF tag...)."""

from __future__ import annotations

import threading

from sharesafe.metadata import explain
from sharesafe.metadata.exif import exif_items
from sharesafe.metadata.explain import item, size_text
from sharesafe.metadata.icc import icc_items
from sharesafe.metadata.iptc import iim_items, irb_items
from sharesafe.metadata.xmp import xmp_items
from sharesafe.types import MetadataItem

_state = threading.local()  # nesting depth per thread: scans may run in worker threads


def nested_items(payload: bytes, kind: str) -> list[MetadataItem]:
    """Items for `payload` of `kind` ("exif", "xmp", "iptc", "photoshop", "icc"). Never raises."""
    depth = getattr(_state, "depth", 0)
    if depth > 4:  # a file that nests blocks inside each other forever
        return [item("Nested", kind, f"{size_text(len(payload))} nested too deeply", explain.DAMAGED)]
    _state.depth = depth + 1
    try:
        if kind == "exif":
            return exif_items(payload, "EXIF", nested=nested_items)
        if kind == "xmp":
            return xmp_items(payload)
        if kind == "iptc":
            return iim_items(payload)
        if kind == "photoshop":
            return irb_items(payload, nested=nested_items)
        if kind == "icc":
            return icc_items(payload)
        return [item("Nested", kind, f"{size_text(len(payload))}", explain.UNKNOWN_BLOCK)]
    finally:
        _state.depth = depth
