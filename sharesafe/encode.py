"""Write upright pixels to a new file that carries no metadata at all (re-encode mode)."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageCms

from sharesafe import formats

#: Export format for each source format: HEIC/AVIF become JPEG (what every site accepts),
#: lossless sources stay lossless.
EXPORT_FORMAT = {
    formats.JPEG: formats.JPEG,
    formats.HEIF: formats.JPEG,
    formats.AVIF: formats.JPEG,
    formats.PNG: formats.PNG,
    formats.GIF: formats.PNG,
    formats.BMP: formats.PNG,
    formats.TIFF: formats.PNG,
    formats.WEBP: formats.WEBP,
}

JPEG_QUALITY = 92


def export_format_for(source_format: str, requested: str | None = None) -> str:
    if requested:
        name = requested.upper().replace("JPG", "JPEG")
        if name not in (formats.JPEG, formats.PNG, formats.WEBP):
            raise ValueError(f"cannot export as {requested}: choose jpeg, png or webp")
        return name
    return EXPORT_FORMAT.get(source_format, formats.JPEG)


def srgb_profile_bytes() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    data: bytes = profile.tobytes()
    return data


def encode(
    pixels: npt.NDArray[np.uint8],
    fmt: str,
    *,
    alpha: npt.NDArray[np.uint8] | None = None,
    embed_srgb: bool = False,
) -> bytes:
    """Encode RGB `pixels` (plus optional alpha) as `fmt` with no EXIF, XMP, IPTC, text or thumbnail."""
    if alpha is not None and fmt in (formats.PNG, formats.WEBP):
        img = Image.fromarray(np.dstack([pixels, alpha]).astype(np.uint8), mode="RGBA")
    else:
        img = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="RGB")
    # A fresh image has an empty info dict: nothing from the source can ride along.
    params: dict[str, object] = {}
    if embed_srgb:
        params["icc_profile"] = srgb_profile_bytes()
    buf = io.BytesIO()
    if fmt == formats.JPEG:
        img.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True, **params)
    elif fmt == formats.PNG:
        img.save(buf, "PNG", optimize=False, compress_level=6, **params)
    elif fmt == formats.WEBP:
        img.save(buf, "WEBP", quality=JPEG_QUALITY, method=4, **params)
    else:
        raise ValueError(f"cannot encode {fmt}")
    return buf.getvalue()
