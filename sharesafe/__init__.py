"""ShareSafe core: check a photo for what a police social-media policy forbids, and make a safe copy.

The core is pure Python (numpy, Pillow, OpenCV) and never imports Qt or torch.
"""

from sharesafe.types import (
    Box,
    Category,
    ExportResult,
    Finding,
    MetadataItem,
    MetadataKind,
    Risk,
    ScanResult,
)

__all__ = [
    "Box",
    "Category",
    "ExportResult",
    "Finding",
    "MetadataItem",
    "MetadataKind",
    "Risk",
    "ScanResult",
]

__version__ = "0.1.0"
