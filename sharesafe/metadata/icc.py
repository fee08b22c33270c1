"""A short description of an ICC colour profile (header fields plus the description via Pillow)."""

from __future__ import annotations

import io

from sharesafe.metadata import explain
from sharesafe.metadata.explain import item, size_text
from sharesafe.types import MetadataItem


def icc_description(profile: bytes) -> str:
    desc = ""
    try:
        from PIL import ImageCms

        desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile))).strip()
    except Exception:  # noqa: BLE001 - a damaged profile is still reported, just without a name
        desc = ""
    return desc


def icc_items(profile: bytes, group: str = "ICC_Profile") -> list[MetadataItem]:
    """One item describing `profile`. Never raises."""
    if len(profile) < 128 or profile[36:40] != b"acsp":
        return [
            item(group, "ICC_Profile", f"damaged colour profile, {size_text(len(profile))}", explain.DAMAGED)
        ]
    desc = icc_description(profile) or "unnamed profile"
    device = profile[48:52].decode("latin-1").strip("\x00 ")
    model = profile[52:56].decode("latin-1").strip("\x00 ")
    extra = f", device {device}/{model}" if device or model else ""
    return [item(group, "ICC_Profile", f"{desc} ({size_text(len(profile))}{extra})", explain.ICC)]
