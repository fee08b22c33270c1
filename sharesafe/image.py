"""Open any supported photo as upright RGB pixels, with a decompression-bomb guard.

EXIF orientation is applied exactly once, here: every box in ShareSafe is in upright pixel
coordinates and every export is written upright.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageCms, UnidentifiedImageError

from sharesafe import formats
from sharesafe.errors import (
    CorruptImageError,
    ImageTooLargeError,
    ShareSafeError,
    UnsupportedFormatError,
    readable,
)
from sharesafe.fsutil import DEFAULT_MAX_BYTES, read_regular_file

#: Default decoded-pixel budget: room for 108 MP phone and 100 MP medium-format cameras, small enough
#: that decoding stays under about 1.5 GB (a photo is held as 8-bit RGB, plus Pillow's own copy and
#: the detectors' downscaled ones) and that a small file declaring a huge image is refused at once.
DEFAULT_MAX_PIXELS = 120_000_000

#: What one pixel costs against the budget, by Pillow mode: 16-bit and float images are converted
#: through float64 arrays (8 bytes a sample), so they count three times.
_WIDE_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I", "F"})

#: Pillow's own `Image.open`, kept before any other library can replace it (ultralytics patches it to
#: retry through a `pi_heif` import it may not have).
_pil_open = Image.open

#: Orientation -> the transpose(s) that make the pixels upright (EXIF 2.32, tag 0x0112).
_UPRIGHT: dict[int, tuple[Image.Transpose, ...]] = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if _heif_registered:
        return
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        if hasattr(pillow_heif, "register_avif_opener"):
            pillow_heif.register_avif_opener()
    except ImportError:  # pragma: no cover - pillow-heif is a hard dependency
        pass
    _heif_registered = True


@dataclass(slots=True)
class LoadedImage:
    """Upright pixels of one photo plus what was learnt while opening it."""

    pixels: npt.NDArray[np.uint8]  # (height, width, 3) RGB, read-only (copy it to draw on it)
    format: str
    orientation: int  # the EXIF orientation that was applied (1 = none)
    alpha: npt.NDArray[np.uint8] | None = None  # (height, width) when the source had transparency
    frames: int = 1
    #: The colour profile the file carried (None: none, taken as sRGB).
    icc_profile: bytes | None = None
    icc_name: str | None = None
    _srgb: npt.NDArray[np.uint8] | None = field(default=None, init=False, repr=False, compare=False)
    _srgb_made: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def srgb_pixels(self) -> npt.NDArray[np.uint8] | None:
        """The same pixels converted to sRGB when the file carried another colour profile (else None).

        Made on first use: only an export needs them, and converting a 12 MP Display P3 phone photo
        costs about 0.3 s, which a scan would otherwise pay for nothing."""
        if not self._srgb_made:
            self._srgb = _to_srgb(self.pixels, self.icc_profile) if self.icc_profile else None
            self._srgb_made = True
        return self._srgb

    @property
    def export_pixels(self) -> npt.NDArray[np.uint8]:
        """What an export should encode: sRGB, because exports carry no colour profile."""
        return self.srgb_pixels if self.srgb_pixels is not None else self.pixels

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def _open(data: bytes, fmt: str) -> Image.Image:
    if fmt in (formats.HEIF, formats.AVIF):
        _register_heif()
    try:
        return _pil_open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise CorruptImageError(f"{fmt} file could not be decoded") from exc
    except MemoryError:
        raise
    except Exception as exc:  # any decoder failure is a damaged file, told as such
        raise CorruptImageError(f"{fmt} file is damaged: {readable(exc)}") from exc


def decode_cost(width: int, height: int, mode: str) -> int:
    """Pixels charged against the budget for decoding an image of this size and Pillow mode."""
    return width * height * (3 if mode in _WIDE_MODES else 1)


def upright(img: Image.Image, orientation: int) -> Image.Image:
    """The image turned upright for its EXIF orientation (pixels only: the EXIF block is not
    rewritten, so a damaged one cannot stop the photo from opening)."""
    out = img
    for method in _UPRIGHT.get(orientation, ()):
        out = out.transpose(method)
    if out is not img:
        out.info = dict(img.info)
    return out


def load_image_bytes(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Decode `data` to upright RGB. Raises a `ShareSafeError` subclass with a readable message."""
    if not data:
        raise CorruptImageError("the file is empty")
    fmt = formats.sniff(data[:64])
    if fmt is None:
        raise UnsupportedFormatError("not a supported image (JPEG, PNG, WebP, TIFF, HEIC/HEIF, GIF, BMP)")
    previous_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our own check below gives the clearer message
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = _open(data, fmt)
            width, height = img.size
            if width <= 0 or height <= 0:
                raise CorruptImageError(f"{fmt} file reports an empty image ({width}x{height})")
            cost = decode_cost(width, height, img.mode)
            if cost > max_pixels:
                wide = " at 16 or 32 bits a channel" if cost > width * height else ""
                raise ImageTooLargeError(
                    f"image is {width}x{height} = {width * height / 1e6:.0f} MP{wide}, over the "
                    f"decoding budget of {max_pixels / 1e6:.0f} MP (raise it with --max-pixels if "
                    "the file is trusted and the computer has the memory)"
                )
            try:
                frames = int(getattr(img, "n_frames", 1) or 1)
            except MemoryError:
                raise
            except Exception:  # noqa: BLE001 - a later frame is unreadable (RAW in a TIFF, a GIF cut
                frames = 1  # short); the first frame may still decode
            try:
                img.seek(0)
                direct = _heif_pixels(data, img) if fmt in (formats.HEIF, formats.AVIF) else None
                if direct is not None:
                    # pillow-heif has applied the container's rotation and mirroring already
                    orientation, icc, rgb, alpha = 1, img.info.get("icc_profile"), direct, None
                else:
                    img.load()
                    orientation = _orientation(img)
                    turned = upright(img, orientation)
                    icc = turned.info.get("icc_profile") or img.info.get("icc_profile")
                    rgb, alpha = _to_rgb(turned)
            except Image.DecompressionBombError as exc:  # pragma: no cover - guarded above
                raise ImageTooLargeError(readable(exc)) from exc
            except (MemoryError, ShareSafeError):
                raise
            except Exception as exc:  # struct.error, ImportError from a patched opener
                raise CorruptImageError(f"{fmt} file is damaged or truncated: {readable(exc)}") from exc
    finally:
        Image.MAX_IMAGE_PIXELS = previous_limit
    rgb.flags.writeable = False  # shared by the detectors, the viewer and the exporter: never drawn on
    return LoadedImage(
        pixels=rgb,
        format=fmt,
        orientation=orientation,
        alpha=alpha,
        frames=frames,
        icc_profile=icc or None,
        icc_name=_profile_name(icc) if icc else None,
    )


def _heif_pixels(data: bytes, img: Image.Image) -> npt.NDArray[np.uint8] | None:
    """The image of a HEIF/AVIF file that `img` (pillow-heif's Pillow plugin) is at, as 8-bit RGB straight
    from pillow-heif's decoded buffer.

    The same decoder and frame as the plugin gives, without the plugin's two copies of the
    pixels (into Pillow's memory, then out of it): a 12 MP HEIC opens about 0.05 s sooner. None when
    the frame is not plain RGB (alpha, greyscale, 16-bit), not what Pillow reported, or not decodable
    here: the caller then decodes through Pillow."""
    if img.mode != "RGB" or not type(img).__module__.startswith("pillow_heif"):
        return None  # e.g. an AVIF that Pillow's own plugin opened: pillow-heif may lack its decoder
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        frame = heif[img.tell()]
        if frame.mode != "RGB" or tuple(frame.size) != img.size:
            return None
        pixels = np.asarray(frame)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - Pillow's plugin then decodes it, or reports the damage
        return None
    if pixels.dtype != np.uint8 or pixels.shape != (img.size[1], img.size[0], 3):
        return None
    return np.ascontiguousarray(pixels)


def _profile_name(icc: bytes) -> str | None:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = ImageCms.getProfileDescription(profile).strip()
        return name or None
    except (OSError, ImageCms.PyCMSError, TypeError, ValueError):
        return None


def _to_srgb(rgb: npt.NDArray[np.uint8], icc: bytes) -> npt.NDArray[np.uint8] | None:
    """Convert pixels tagged with a non-sRGB profile (e.g. Display P3 from phones) to sRGB, so the
    export, which carries no profile, shows the same colours. None when already sRGB or unusable."""
    name = (_profile_name(icc) or "").lower()
    if not name or "srgb" in name:
        return None
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        transform = ImageCms.buildTransform(
            src, dst, "RGB", "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
        )
        out = ImageCms.applyTransform(Image.fromarray(rgb, "RGB"), transform)
        if out is None:
            return None
        return np.array(out, dtype=np.uint8)
    except (OSError, ImageCms.PyCMSError, TypeError, ValueError):
        return None


def load_image(
    path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES
) -> LoadedImage:
    """Read the file at `path` (never modifying it; regular files only) and decode it upright."""
    return load_image_bytes(read_regular_file(path, max_bytes), max_pixels=max_pixels)


def _orientation(img: Image.Image) -> int:
    if img.format in ("HEIF", "AVIF"):
        return 1  # pillow-heif applies the container's own rotation; EXIF orientation is informative
    try:
        value = img.getexif().get(0x0112, 1)
        return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not stop the photo from opening
        return 1


def _to_rgb(img: Image.Image) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8] | None]:
    alpha: npt.NDArray[np.uint8] | None = None
    mode = img.mode
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        arr = np.array(rgba, dtype=np.uint8)
        alpha_channel = arr[:, :, 3]
        if int(alpha_channel.min()) < 255:
            alpha = np.ascontiguousarray(alpha_channel)
        return np.ascontiguousarray(arr[:, :, :3]), alpha
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr16 = np.array(img, dtype=np.float64)
        top = float(arr16.max()) or 1.0
        grey = (arr16 / (65535.0 if top > 255 else 255.0) * 255.0).clip(0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([grey] * 3, axis=-1)), None
    if mode == "F":
        arrf = np.array(img, dtype=np.float64)
        lo, hi = float(arrf.min()), float(arrf.max())
        grey = ((arrf - lo) / ((hi - lo) or 1.0) * 255.0).clip(0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([grey] * 3, axis=-1)), None
    rgb = img.convert("RGB") if mode != "RGB" else img
    # One copy out of Pillow (a read-only view of its packed bytes), not two.
    return np.asarray(rgb, dtype=np.uint8), None
