"""Photos with known metadata, generated in code (no files from ../shared)."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import piexif
from PIL import Image, PngImagePlugin

XMP_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    b' xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/"'
    b' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
    b' exif:GPSLatitude="51,30.198N" exif:GPSLongitude="0,7.17W" aux:SerialNumber="XMP-SN-4242"'
    b' photoshop:City="London">'
    b"<dc:creator><rdf:Seq><rdf:li>PC 1234 Smith</rdf:li></rdf:Seq></dc:creator>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)
GPS_TEXT = "51.50330, -0.11950"


def pixels(width: int = 96, height: int = 64, seed: int = 0) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A picture with structure (gradients and noise) so codecs do real work."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256], axis=-1)
    noise = rng.integers(0, 40, size=(height, width, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def jpeg_thumbnail() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def nikon_makernote(serial: bytes = b"NIK7654321") -> bytes:
    """A Nikon type-3 maker note: a header, then a TIFF structure of its own with tag 0x001D SerialNumber."""
    value = serial + b"\x00"
    entry = struct.pack(">HHII", 0x001D, 2, len(value), 26)
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\x00" * 4 + value
    return b"Nikon\x00\x02\x10\x00\x00" + tiff


def exif_bytes(orientation: int = 1, thumbnail: bool = True) -> bytes:
    """EXIF with GPS (51.50330 N, 0.11950 W), serials, owner, artist, copyright, times and a thumbnail."""
    exif: dict[str, Any] = {
        "0th": {
            piexif.ImageIFD.Make: b"NIKON CORPORATION",
            piexif.ImageIFD.Model: b"NIKON D750",
            piexif.ImageIFD.Artist: b"PC 1234 Smith",
            piexif.ImageIFD.Copyright: b"Example Constabulary",
            piexif.ImageIFD.Orientation: orientation,
            piexif.ImageIFD.XPAuthor: "Jo Bloggs".encode("utf-16-le") + b"\x00\x00",
        },
        "Exif": {
            piexif.ExifIFD.DateTimeOriginal: b"2024:05:01 10:20:30",
            piexif.ExifIFD.BodySerialNumber: b"BODY123456",
            piexif.ExifIFD.LensSerialNumber: b"LENS654321",
            piexif.ExifIFD.CameraOwnerName: b"Jo Bloggs",
            piexif.ExifIFD.ImageUniqueID: b"0123456789abcdef0123456789abcdef",
            piexif.ExifIFD.MakerNote: nikon_makernote(),
        },
        "GPS": {
            piexif.GPSIFD.GPSLatitudeRef: b"N",
            piexif.GPSIFD.GPSLatitude: ((51, 1), (30, 1), (1188, 100)),
            piexif.GPSIFD.GPSLongitudeRef: b"W",
            piexif.GPSIFD.GPSLongitude: ((0, 1), (7, 1), (102, 10)),
        },
        "Interop": {piexif.InteropIFD.InteroperabilityIndex: b"R98"},
        "1st": {},
        "thumbnail": jpeg_thumbnail() if thumbnail else None,
    }
    if thumbnail:
        exif["1st"] = {piexif.ImageIFD.Compression: 6}
    data: bytes = piexif.dump(exif)
    return data


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def iptc_app13() -> bytes:
    def dataset(num: int, value: bytes) -> bytes:
        return b"\x1c\x02" + bytes([num]) + struct.pack(">H", len(value)) + value

    iim = dataset(80, b"PC 1234 Smith") + dataset(90, b"Springfield") + dataset(120, b"Arrest on Main St")
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    if len(iim) % 2:
        resource += b"\x00"
    return segment(0xED, b"Photoshop 3.0\x00" + resource)


def mpf_app2() -> bytes:
    """An APP2 MPF header announcing 2 images (the index itself, as cameras write it)."""
    entries = struct.pack(">HHII", 0xB000, 7, 4, int.from_bytes(b"0100", "big"))
    entries += struct.pack(">HHII", 0xB001, 4, 1, 2)
    ifd = struct.pack(">H", 2) + entries + b"\x00\x00\x00\x00"
    return segment(0xE2, b"MPF\x00" + b"MM\x00*" + struct.pack(">I", 8) + ifd)


def plain_jpeg(arr: np.ndarray[Any, np.dtype[np.uint8]] | None = None, **save: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels() if arr is None else arr).save(buf, "JPEG", quality=90, **save)
    return buf.getvalue()


def loaded_jpeg(orientation: int = 1, trailer: bytes | None = None) -> bytes:
    """A JPEG carrying every kind of metadata ShareSafe must find and remove."""
    base = plain_jpeg(exif=exif_bytes(orientation), icc_profile=srgb_icc())
    assert base[:2] == b"\xff\xd8"
    extra = (
        segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP_PACKET)
        + iptc_app13()
        + mpf_app2()
        + segment(0xEB, b"JP\x00\x00\x00\x00\x00\x01" + b"jumbc2pa" + b"\x00" * 16)
        + segment(0xFE, b"shot by PC 1234 at the station")
    )
    body = base[:2] + extra + base[2:]
    if trailer is None:
        trailer = jpeg_thumbnail() + b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
    return body + trailer


def srgb_icc() -> bytes:
    from PIL import ImageCms

    data: bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return data


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "PC 1234 Smith")
    info.add_text("Comment", "taken at the custody suite")
    info.add_text("Description", "a long description " * 20, zip=True)
    info.add_itxt("Title", "Überschrift", lang="de", tkey="Titel")
    info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode("utf-8"))
    buf = io.BytesIO()
    Image.fromarray(pixels()).save(buf, "PNG", pnginfo=info, exif=exif_bytes(thumbnail=False))
    data = buf.getvalue()
    # Add a tIME chunk before IEND.
    body = struct.pack(">HBBBBB", 2024, 5, 1, 10, 20, 30)
    chunk = struct.pack(">I", len(body)) + b"tIME" + body + struct.pack(">I", zlib.crc32(b"tIME" + body))
    return data[:-12] + chunk + data[-12:]


def webp_with_metadata(lossless: bool = False) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels()).save(
        buf,
        "WEBP",
        exif=exif_bytes(thumbnail=False),
        xmp=XMP_PACKET,
        icc_profile=srgb_icc(),
        lossless=lossless,
        quality=90,
    )
    return buf.getvalue()


def heic_with_exif() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.fromarray(pixels()).save(buf, "HEIF", exif=exif_bytes(thumbnail=False), xmp=XMP_PACKET, quality=80)
    return buf.getvalue()


def tiff_with_tags() -> bytes:
    """An uncompressed RGB TIFF whose IFD0 also carries Artist/Copyright and EXIF + GPS sub-directories.

    Pillow's TIFF writer drops EXIF sub-directories, so piexif writes the directories and the strip follows.
    """
    arr = pixels(32, 24)
    exif = piexif.load(exif_bytes(thumbnail=False))
    exif["0th"].update(
        {
            piexif.ImageIFD.ImageWidth: arr.shape[1],
            piexif.ImageIFD.ImageLength: arr.shape[0],
            piexif.ImageIFD.BitsPerSample: (8, 8, 8),
            piexif.ImageIFD.Compression: 1,
            piexif.ImageIFD.PhotometricInterpretation: 2,
            piexif.ImageIFD.SamplesPerPixel: 3,
            piexif.ImageIFD.RowsPerStrip: arr.shape[0],
            piexif.ImageIFD.StripByteCounts: arr.size,
            piexif.ImageIFD.StripOffsets: 0,
        }
    )
    exif.pop("thumbnail", None)
    exif["1st"] = {}
    head = piexif.dump(exif)[6:]
    exif["0th"][piexif.ImageIFD.StripOffsets] = len(head)
    head = piexif.dump(exif)[6:]
    return head + arr.tobytes()


def gif_with_metadata() -> bytes:
    """A GIF with a comment, plus XMP and ICC application extensions (Pillow writes neither, so by hand)."""
    buf = io.BytesIO()
    Image.fromarray(pixels()).convert("P").save(buf, "GIF", comment=b"seized at 12 High St")
    gif = buf.getvalue()
    assert gif.endswith(b"\x3b")
    magic = b"\x01" + bytes(range(255, -1, -1))
    xmp = b"\x21\xff\x0bXMP DataXMP" + XMP_PACKET + magic + b"\x00"
    icc = srgb_icc()
    icc_blocks = b"".join(bytes([len(icc[i : i + 255])]) + icc[i : i + 255] for i in range(0, len(icc), 255))
    return gif[:-1] + xmp + b"\x21\xff\x0bICCRGBG1012" + icc_blocks + b"\x00" + b"\x3b"


# --- exiftool as an independent oracle (rules shared with scripts/leak_check.py) ---------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))
from exiftool_leaks import EXIFTOOL, classify, exiftool_leaks, exiftool_records, trailing_bytes  # noqa: E402

__all__ = ["EXIFTOOL", "classify", "exiftool_leaks", "exiftool_tags", "trailing_bytes"]


def exiftool_tags(path: Path) -> dict[str, Any]:
    return exiftool_records([path]).get(str(path), {})


def jpeg_hides_data(data: bytes) -> bool:
    """True if a JPEG carries a second image (thumbnail, MPF, preview) or anything after its end marker."""
    return trailing_bytes(data) != 0
