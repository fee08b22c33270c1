"""JPEG segment walker: report every metadata segment and strip them without touching the pixel data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sharesafe.errors import CorruptImageError
from sharesafe.metadata import explain
from sharesafe.metadata.blocks import nested_items
from sharesafe.metadata.exif import exif_items
from sharesafe.metadata.explain import Explanation, item, size_text
from sharesafe.metadata.icc import icc_items
from sharesafe.metadata.iptc import irb_items
from sharesafe.metadata.xmp import xmp_items
from sharesafe.types import MetadataItem, MetadataKind, Risk

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
APP0, APP1, APP2, APP11, APP13, APP14 = 0xE0, 0xE1, 0xE2, 0xEB, 0xED, 0xEE
#: Segments the decoder needs: frame/table/scan headers (SOFn, DHT, DAC, DQT, DRI, DNL, DHP, EXP, JPEG-LS).
STRUCTURAL_MARKERS = frozenset(
    {m for m in range(0xC0, 0xD0) if m != 0xC8} | {0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xF7, 0xF8}
)
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT_SIG = b"http://ns.adobe.com/xmp/extension/\x00"


@dataclass(slots=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF
    end: int  # exclusive; for SOS this includes the entropy-coded data that follows
    payload: bytes  # the bytes after the length field (for SOS: the scan header only)


@dataclass(slots=True)
class JpegLayout:
    segments: list[Segment] = field(default_factory=list)
    eoi_end: int | None = None  # offset just after EOI, None when the file has no EOI
    damaged: str | None = None  # what went wrong while walking, if anything
    stray_in_picture: bool = False  # stray bytes were skipped after the picture data began


def parse(data: bytes) -> JpegLayout:
    """Walk the segments of a JPEG. Never raises; problems are recorded in `damaged`."""
    layout = JpegLayout()
    if not data.startswith(b"\xff\xd8"):
        layout.damaged = "no JPEG start marker"
        return layout
    pos, n = 2, len(data)
    while pos < n:
        if data[pos] != 0xFF:  # stray bytes: skip to the next marker, as decoders do
            m = _NEXT_MARKER.search(data, pos)
            if m is None:
                layout.damaged = f"stray data from offset {pos} to the end"
                return layout
            layout.damaged = layout.damaged or f"{m.start() - pos} stray bytes skipped at offset {pos}"
            layout.stray_in_picture |= any(seg.marker == SOS for seg in layout.segments)
            pos = m.start()
            continue
        while pos + 1 < n and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 1 >= n:
            break
        marker = data[pos + 1]
        if marker == EOI:
            layout.eoi_end = pos + 2
            return layout
        if marker in (0x01, *range(0xD0, 0xD8)):  # stand-alone markers
            layout.segments.append(Segment(marker, pos, pos + 2, b""))
            pos += 2
            continue
        if pos + 4 > n:
            layout.damaged = "file ends inside a segment header"
            return layout
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            layout.damaged = f"segment 0x{marker:02X} has an invalid length"
            return layout
        end = pos + 2 + length
        if end > n:
            layout.segments.append(Segment(marker, pos, n, data[pos + 4 : n]))
            layout.damaged = f"segment 0x{marker:02X} is cut off"
            return layout
        payload = data[pos + 4 : end]
        if marker == SOS:
            m = _NEXT_MARKER.search(data, end)
            scan_end = m.start() if m else n
            layout.segments.append(Segment(marker, pos, scan_end, payload))
            if m is None:
                layout.damaged = "file ends inside the picture data (truncated)"
                return layout
            pos = scan_end
            continue
        layout.segments.append(Segment(marker, pos, end, payload))
        pos = end
    layout.damaged = layout.damaged or "no JPEG end marker (truncated)"
    return layout


def _app_name(seg: Segment) -> str:
    sig = seg.payload[:32].split(b"\x00", 1)[0]
    text = "".join(chr(b) if 32 <= b < 127 else "." for b in sig[:24])
    return f"APP{seg.marker - APP0}" + (f" {text}" if text else "")


#: Known kinds of data appended after the end of a JPEG (signatures at its start or near its end).
_TRAILER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"AXS!", "an AFCP block (IPTC captions and names)"),
    (b"AXS*", "an AFCP block (IPTC captions and names)"),
    (b"\xa1\xb2\xc3\xd4", "a FotoStation block (captions and names)"),
    (b"SEFT", "a Samsung block (can hold a motion-photo video or depth map)"),
    (b"FLIR", "FLIR thermal data"),
    (b"Photoshop", "Photoshop data"),
)


def _trailer_items(trailer: bytes) -> list[MetadataItem]:
    if not trailer.strip(b"\x00\xff\r\n \t"):
        return [
            item(
                "JPEG:Trailer",
                "Padding",
                f"{size_text(len(trailer))} of padding after the picture",
                Explanation(Risk.LOW, MetadataKind.HIDDEN, "empty bytes after the end of the picture"),
            )
        ]
    parts = []
    images = trailer.count(b"\xff\xd8\xff")
    if images:
        parts.append(f"{images} embedded JPEG image{'s' if images > 1 else ''}")
    if b"ftypmp4" in trailer or b"ftypisom" in trailer or b"ftypqt" in trailer or b"moov" in trailer[:4096]:
        parts.append("a video (motion photo)")
    tail = trailer[-64:]
    for sig, label in _TRAILER_SIGNATURES:
        if sig in tail or trailer.startswith(sig):
            parts.append(label)
    what = ", ".join(parts) or "unknown data"
    return [
        item(
            "JPEG:Trailer",
            "Trailer",
            f"{size_text(len(trailer))} after the end of the picture: {what}",
            explain.TRAILER,
        )
    ]


def read_jpeg(data: bytes) -> list[MetadataItem]:
    """Every metadata item of a JPEG. Never raises."""
    layout = parse(data)
    out: list[MetadataItem] = []
    icc_chunks: list[bytes] = []
    for seg in layout.segments:
        p = seg.payload
        if seg.marker == APP0:
            if p.startswith(b"JFIF\x00") and len(p) >= 14:
                out.append(
                    item(
                        "JPEG:APP0",
                        "JFIF",
                        f"JFIF {p[5]}.{p[6]:02d}, density "
                        f"{int.from_bytes(p[8:10], 'big')}x{int.from_bytes(p[10:12], 'big')}",
                        explain.STRUCTURAL,
                    )
                )
                if p[12] and p[13]:
                    out.append(
                        item("JPEG:APP0", "JFIFThumbnail", f"{p[12]}x{p[13]} thumbnail", explain.THUMBNAIL)
                    )
            elif p[6:14] == b"HEAPCCDR":
                out.append(
                    item(
                        "JPEG:APP0",
                        "MakerNote",
                        f"Canon CIFF camera data, {size_text(len(p))}",
                        explain.MAKERNOTE,
                    )
                )
            elif p.startswith(b"JFXX\x00"):
                out.append(
                    item(
                        "JPEG:APP0",
                        "JFXXThumbnail",
                        f"JFIF extension thumbnail, {size_text(len(p))}",
                        explain.THUMBNAIL,
                    )
                )
            else:
                out.append(item("JPEG:APP0", _app_name(seg), size_text(len(p)), explain.UNKNOWN_BLOCK))
        elif seg.marker == APP1:
            if p.startswith(b"Exif\x00"):
                out.extend(exif_items(p, "EXIF", nested=nested_items))
            elif p.startswith(_XMP_SIG):
                out.extend(xmp_items(p[len(_XMP_SIG) :]))
            elif p.startswith(b"QVCI"):
                out.append(
                    item(
                        "JPEG:APP1",
                        "MakerNote",
                        f"Casio QVCI camera data, {size_text(len(p))}",
                        explain.MAKERNOTE,
                    )
                )
            elif p.startswith(_XMP_EXT_SIG):
                out.append(
                    item("XMP", "ExtendedXMP", f"extended XMP part, {size_text(len(p))}", explain.XMP_PACKET)
                )
            else:
                out.append(item("JPEG:APP1", _app_name(seg), size_text(len(p)), explain.UNKNOWN_BLOCK))
        elif seg.marker == APP2:
            if p.startswith(b"ICC_PROFILE\x00"):
                icc_chunks.append(p[14:])
            elif p.startswith(b"MPF\x00"):
                out.append(_mpf_item(p[4:]))
            elif p.startswith(b"FPXR"):
                out.append(
                    item(
                        "JPEG:APP2 FPXR",
                        "FlashPix",
                        f"FlashPix data, {size_text(len(p))}",
                        explain.HIDDEN_IMAGES,
                    )
                )
            else:
                out.append(item("JPEG:APP2", _app_name(seg), size_text(len(p)), explain.UNKNOWN_BLOCK))
        elif seg.marker == APP11:
            kind = (
                "C2PA content credentials" if b"c2pa" in p else "JUMBF box" if p.startswith(b"JP") else "data"
            )
            out.append(item("JPEG:APP11", "JUMBF", f"{kind}, {size_text(len(p))}", explain.PROVENANCE))
        elif seg.marker == APP13:
            if p.startswith(b"Photoshop 3.0\x00"):
                out.extend(irb_items(p[14:], nested=nested_items))
            else:
                out.append(item("JPEG:APP13", _app_name(seg), size_text(len(p)), explain.IPTC_BLOCK))
        elif seg.marker == APP14 and p.startswith(b"Adobe"):
            out.append(
                item(
                    "JPEG:APP14",
                    "Adobe",
                    f"colour transform {p[11] if len(p) > 11 else '?'}",
                    explain.STRUCTURAL,
                )
            )
        elif APP0 <= seg.marker <= 0xEF:
            out.append(
                item(f"JPEG:APP{seg.marker - APP0}", _app_name(seg), size_text(len(p)), explain.UNKNOWN_BLOCK)
            )
        elif seg.marker == COM:
            text = p.decode("utf-8", errors="replace")
            out.append(item("JPEG:COM", "Comment", text, explain.COMMENT))
        elif seg.marker in STRUCTURAL_MARKERS or seg.marker in (SOS, 0x01) or 0xD0 <= seg.marker <= 0xD7:
            continue
        else:
            out.append(item("JPEG", f"Marker0x{seg.marker:02X}", size_text(len(p)), explain.UNKNOWN_BLOCK))
    if icc_chunks:
        out.extend(icc_items(b"".join(icc_chunks)))
    if layout.eoi_end is not None and layout.eoi_end < len(data):
        out.extend(_trailer_items(data[layout.eoi_end :]))
    if layout.damaged:
        out.append(
            item(
                "JPEG",
                "Structure",
                layout.damaged,
                Explanation(
                    Risk.LOW,
                    MetadataKind.TECHNICAL,
                    "the file structure is damaged; parts of it could not be checked",
                ),
            )
        )
    return out


def _mpf_item(body: bytes) -> MetadataItem:
    count = "?"
    try:
        from PIL import Image

        mp = Image.Exif()
        mp.load(body)
        n = mp.get(0xB001)
        if isinstance(n, int):
            count = str(n)
    except Exception:  # noqa: BLE001 - a damaged MPF header is still reported
        pass
    return item(
        "JPEG:APP2 MPF", "MPF", f"multi-picture index: {count} images in the file", explain.HIDDEN_IMAGES
    )


def strip_jpeg(data: bytes, keep_icc: bool = False, exif: bytes | None = None) -> bytes:
    """A copy of `data` with only the segments the decoder needs (plus JFIF, Adobe and optionally ICC).

    The entropy-coded picture data and every table are copied byte for byte, so the decoded pixels are
    identical. `exif` (a TIFF-structured body) is written as the only APP1, after JFIF.
    Raises CorruptImageError if the segment structure cannot be walked.
    """
    layout = parse(data)
    if not layout.segments or not any(s.marker == SOS for s in layout.segments):
        raise CorruptImageError(f"JPEG structure is damaged: {layout.damaged or 'no picture data'}")
    if layout.damaged and layout.damaged.startswith(("segment 0x", "file ends inside a seg")):
        raise CorruptImageError(f"JPEG structure is damaged: {layout.damaged}")
    if layout.stray_in_picture:  # decoders differ in how they resync; a strip could change the picture
        raise CorruptImageError(
            f"JPEG picture data is damaged ({layout.damaged}); it cannot be stripped losslessly"
        )
    out = bytearray(b"\xff\xd8")
    pending_exif = b"\xff\xe1" + (len(exif) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + exif if exif else b""
    for seg in layout.segments:
        if pending_exif and not (seg.marker == APP0 and seg.payload.startswith(b"JFIF\x00")):
            out += pending_exif
            pending_exif = b""
        m, p = seg.marker, seg.payload
        if m == APP0 and p.startswith(b"JFIF\x00") and len(p) >= 14:
            jfif = bytearray(p[:14])
            jfif[12] = jfif[13] = 0  # drop the JFIF thumbnail
            out += b"\xff\xe0" + (len(jfif) + 2).to_bytes(2, "big") + jfif
            out += pending_exif
            pending_exif = b""
        elif m == APP2 and keep_icc and p.startswith(b"ICC_PROFILE\x00"):
            out += data[seg.start : seg.end]
        elif m == APP14 and p.startswith(b"Adobe") and len(p) >= 12:
            out += b"\xff\xee\x00\x0e" + p[:12]  # colour transform flag: needed to decode CMYK/RGB JPEGs
        elif m in STRUCTURAL_MARKERS or m == SOS or m == 0x01 or 0xD0 <= m <= 0xD7:
            out += data[seg.start : seg.end]
    out += b"\xff\xd9"
    return bytes(out)
