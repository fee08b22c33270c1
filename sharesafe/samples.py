"""Sample photos made in code, so the demo and the tests never need third-party files.

They carry the things ShareSafe looks for: GPS, a camera serial, an owner name and a hidden
thumbnail in EXIF, a rotated orientation tag, PNG text chunks, rendered police and protective
markings, a licence plate and a QR code - and one file that is broken on purpose.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import piexif
from PIL import Image, PngImagePlugin

Pixels = npt.NDArray[np.uint8]

#: Where the demo's photos claim to have been taken (a public square, for the demo only).
SAMPLE_GPS = (51.50330, -0.11950)
SAMPLE_SERIAL = "SN-4711-DEMO"
SAMPLE_OWNER = "Demo Officer"


def _rational(value: float) -> tuple[int, int]:
    frac = Fraction(value).limit_denominator(1_000_000)
    return frac.numerator, frac.denominator


def _dms(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return (degrees, 1), (minutes, 1), _rational(round(seconds, 4))


def exif_bytes(
    *,
    gps: tuple[float, float] | None = SAMPLE_GPS,
    serial: str | None = SAMPLE_SERIAL,
    owner: str | None = SAMPLE_OWNER,
    orientation: int = 1,
    thumbnail: bytes | None = None,
    when: str = "2026:11:01 09:30:00",
) -> bytes:
    """An EXIF block with the identifying tags a phone or camera writes."""
    zeroth: dict[int, object] = {
        piexif.ImageIFD.Make: b"DemoCam",
        piexif.ImageIFD.Model: b"DemoCam X1",
        piexif.ImageIFD.Orientation: orientation,
        piexif.ImageIFD.Software: b"DemoCam firmware 1.0",
        piexif.ImageIFD.DateTime: when.encode(),
    }
    if owner:
        zeroth[piexif.ImageIFD.Artist] = owner.encode()
        zeroth[piexif.ImageIFD.Copyright] = f"(c) {owner}".encode()
    exif: dict[int, object] = {piexif.ExifIFD.DateTimeOriginal: when.encode()}
    if serial:
        exif[piexif.ExifIFD.BodySerialNumber] = serial.encode()
        if owner:
            exif[piexif.ExifIFD.CameraOwnerName] = owner.encode()
    gps_ifd: dict[int, object] = {}
    if gps:
        lat, lon = gps
        gps_ifd = {
            piexif.GPSIFD.GPSVersionID: (2, 3, 0, 0),
            piexif.GPSIFD.GPSLatitudeRef: b"N" if lat >= 0 else b"S",
            piexif.GPSIFD.GPSLatitude: _dms(lat),
            piexif.GPSIFD.GPSLongitudeRef: b"E" if lon >= 0 else b"W",
            piexif.GPSIFD.GPSLongitude: _dms(lon),
        }
    data: dict[str, object] = {"0th": zeroth, "Exif": exif, "GPS": gps_ifd, "1st": {}, "thumbnail": None}
    if thumbnail:
        data["1st"] = {
            piexif.ImageIFD.JPEGInterchangeFormat: 0,
            piexif.ImageIFD.JPEGInterchangeFormatLength: 0,
        }
        data["thumbnail"] = thumbnail
    out: bytes = piexif.dump(data)
    return out


def street_scene(width: int = 1600, height: int = 1200, seed: int = 7) -> Pixels:
    """A plain scene with a 'POLICE' sign, a protective marking, a collar number and a UK plate."""
    rng = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), dtype=np.uint8)
    sky = np.linspace(200, 150, height // 2, dtype=np.float32)[:, None]
    img[: height // 2] = np.dstack([sky * 0.8, sky * 0.9, sky]).astype(np.uint8)
    img[height // 2 :] = (90, 90, 95)
    img = np.clip(img.astype(np.int16) + rng.integers(-6, 7, img.shape), 0, 255).astype(np.uint8)
    s = width / 1600
    # Building with a blue sign
    cv2.rectangle(img, (int(100 * s), int(150 * s)), (int(900 * s), int(600 * s)), (180, 170, 150), -1)
    cv2.rectangle(img, (int(200 * s), int(200 * s)), (int(800 * s), int(330 * s)), (30, 50, 140), -1)
    cv2.putText(
        img,
        "POLICE",
        (int(300 * s), int(300 * s)),
        cv2.FONT_HERSHEY_DUPLEX,
        3.0 * s,
        (255, 255, 255),
        max(1, int(6 * s)),
        cv2.LINE_AA,
    )
    # A document on a noticeboard
    cv2.rectangle(img, (int(980 * s), int(180 * s)), (int(1500 * s), int(420 * s)), (245, 245, 240), -1)
    cv2.putText(
        img,
        "OFFICIAL-SENSITIVE",
        (int(1000 * s), int(260 * s)),
        cv2.FONT_HERSHEY_SIMPLEX,
        1.1 * s,
        (20, 20, 20),
        max(1, int(3 * s)),
        cv2.LINE_AA,
    )
    cv2.putText(
        img,
        "PC 1234 J. SMITH",
        (int(1000 * s), int(360 * s)),
        cv2.FONT_HERSHEY_SIMPLEX,
        1.1 * s,
        (20, 20, 20),
        max(1, int(3 * s)),
        cv2.LINE_AA,
    )
    # A car with a plate
    cv2.rectangle(img, (int(450 * s), int(760 * s)), (int(1250 * s), int(1050 * s)), (40, 40, 160), -1)
    cv2.rectangle(img, (int(700 * s), int(930 * s)), (int(1000 * s), int(1000 * s)), (20, 210, 240), -1)
    cv2.putText(
        img,
        "AB12 CDE",
        (int(712 * s), int(985 * s)),
        cv2.FONT_HERSHEY_DUPLEX,
        1.35 * s,
        (10, 10, 10),
        max(1, int(3 * s)),
        cv2.LINE_AA,
    )
    return np.ascontiguousarray(img[:, :, ::-1])  # drawn in BGR order above; return RGB


def qr_card(payload: str = "https://example.invalid/duty-roster?officer=1234", size: int = 900) -> Pixels:
    """A card with a QR code on it."""
    img = np.full((size, size, 3), 235, dtype=np.uint8)
    encoder = cv2.QRCodeEncoder.create()
    qr = encoder.encode(payload)
    qr = cv2.resize(qr, (size // 2, size // 2), interpolation=cv2.INTER_NEAREST)
    off = size // 4
    img[off : off + qr.shape[0], off : off + qr.shape[1]] = qr[:, :, None]
    return img


def plain_photo(width: int = 1200, height: int = 800, seed: int = 3) -> Pixels:
    """Nothing to find: soft gradients and noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    r = 120 + 80 * x + 0 * y
    g = 140 + 60 * y + 0 * x
    b = 160 - 40 * x * y
    img = np.dstack([r, g, b]) + rng.normal(0, 4, (height, width, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def jpeg_bytes(pixels: Pixels, exif: bytes | None = None, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img = Image.fromarray(pixels)
    if exif:
        img.save(buf, "JPEG", quality=quality, exif=exif)
    else:
        img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def thumbnail_bytes(pixels: Pixels, size: int = 160) -> bytes:
    img = Image.fromarray(pixels)
    img.thumbnail((size, size))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=75)
    return buf.getvalue()


def rotate_for_orientation(upright: Pixels, orientation: int) -> Pixels:
    """The stored pixels a camera writes for `orientation` so that applying the tag gives `upright`."""
    a = upright
    if orientation == 2:
        a = a[:, ::-1]
    elif orientation == 3:
        a = a[::-1, ::-1]
    elif orientation == 4:
        a = a[::-1, :]
    elif orientation == 5:
        a = np.transpose(a, (1, 0, 2))
    elif orientation == 6:
        a = np.rot90(a, 1)
    elif orientation == 7:
        a = np.transpose(a[::-1, ::-1], (1, 0, 2))  # transverse is its own inverse
    elif orientation == 8:
        a = np.rot90(a, -1)
    return np.ascontiguousarray(a)


def write_samples(folder: Path) -> list[Path]:
    """Write the demo photos into `folder` (created if needed) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    street = street_scene()
    stored = rotate_for_orientation(street, 6)
    exif = exif_bytes(orientation=6, thumbnail=thumbnail_bytes(street))
    path = folder / "street-with-gps.jpg"
    path.write_bytes(jpeg_bytes(stored, exif))
    written.append(path)

    card = Image.fromarray(qr_card())
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SAMPLE_OWNER)
    info.add_text("Comment", "taken at the station front desk")
    buf = io.BytesIO()
    card.save(buf, "PNG", pnginfo=info)
    path = folder / "qr-card.png"
    path.write_bytes(buf.getvalue())
    written.append(path)

    path = folder / "plain-no-metadata.jpg"
    path.write_bytes(jpeg_bytes(plain_photo()))
    written.append(path)

    path = folder / "broken-download.jpg"
    path.write_bytes(jpeg_bytes(plain_photo(seed=5))[:1500])
    written.append(path)

    path = folder / "notes.jpg"  # wrong extension: not an image at all
    path.write_bytes(b"shopping list: milk, bread\n")
    written.append(path)
    return written
