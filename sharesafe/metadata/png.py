"""PNG chunk walker: report text/EXIF/time/ICC chunks and drop them losslessly."""

from __future__ import annotations

import struct
import zlib

from sharesafe.errors import CorruptImageError
from sharesafe.metadata import explain
from sharesafe.metadata.blocks import nested_items
from sharesafe.metadata.explain import Explanation, item, size_text
from sharesafe.metadata.icc import icc_items
from sharesafe.metadata.xmp import xmp_items
from sharesafe.types import MetadataItem, MetadataKind, Risk

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Chunks the picture needs, or that only describe how to show it (kept by the strip, allow-listed).
STRUCTURAL_CHUNKS = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"IDAT",
        b"IEND",
        b"tRNS",
        b"gAMA",
        b"cHRM",
        b"sRGB",
        b"pHYs",
        b"sBIT",
        b"bKGD",
        b"acTL",
        b"fcTL",
        b"fdAT",
        b"cICP",
        b"mDCV",
        b"cLLI",
    }
)
_MAX_INFLATE = 1 << 20
_TEXT_EXPLAIN = {
    "author": explain.OWNER,
    "copyright": explain.OWNER,
    "artist": explain.OWNER,
    "source": explain.DEVICE,
    "creation time": explain.TIME_TAKEN,
    "software": explain.SOFTWARE,
    "comment": explain.COMMENT,
    "description": explain.PEOPLE_TEXT,
    "title": explain.PEOPLE_TEXT,
    "disclaimer": explain.PEOPLE_TEXT,
    "warning": explain.PEOPLE_TEXT,
    "date:create": explain.TIME_FILE,
    "date:modify": explain.TIME_FILE,
    "date:timestamp": explain.TIME_FILE,
}
_TEXT_DEFAULT = Explanation(
    Risk.MEDIUM, MetadataKind.HIDDEN, "a text note stored in the file; it may say anything"
)


def chunks(data: bytes) -> tuple[list[tuple[bytes, int, int]], str | None]:
    """(type, start, end) of each chunk (start at the length field, end after the CRC) and a damage note."""
    out: list[tuple[bytes, int, int]] = []
    if not data.startswith(SIGNATURE):
        return out, "no PNG signature"
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        ctype = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            out.append((ctype, pos, len(data)))
            return out, f"chunk {ctype!r} is cut off"
        out.append((ctype, pos, end))
        pos = end
        if ctype == b"IEND":
            if pos < len(data):
                return out, None
            return out, None
    return out, "no IEND chunk (truncated)"


def _inflate(body: bytes) -> bytes:
    d = zlib.decompressobj()
    return d.decompress(body, _MAX_INFLATE)


def _raw_profile(text: str) -> bytes:
    """ImageMagick's "Raw profile type X": "\\nname\\n   length\\nhex...". Return the bytes."""
    parts = text.strip().split("\n", 2)
    hexdata = "".join(parts[2].split()) if len(parts) == 3 else ""
    return bytes.fromhex(hexdata)


def _text_items(ctype: str, key: str, text: str) -> list[MetadataItem]:
    group = f"PNG:{ctype}"
    low = key.lower()
    if key == "XML:com.adobe.xmp":
        return xmp_items(text.encode("utf-8"), group="XMP")
    if low.startswith("raw profile type "):
        kind = low.rsplit(" ", 1)[-1]
        try:
            payload = _raw_profile(text)
        except ValueError:
            payload = b""
        mapped = {
            "exif": "exif",
            "xmp": "xmp",
            "iptc": "photoshop",
            "8bim": "photoshop",
            "icc": "icc",
            "icm": "icc",
            "app1": "exif",
        }.get(kind)
        out = [item(group, key, f"{kind} profile, {size_text(len(payload))}", explain.UNKNOWN_BLOCK)]
        if mapped and payload:
            if mapped == "exif" and not payload.startswith((b"Exif", b"II", b"MM")):
                payload = payload[payload.find(b"Exif") :] if b"Exif" in payload else payload
            out.extend(nested_items(payload, mapped))
        return out
    return [item(group, key, text, _TEXT_EXPLAIN.get(low, _TEXT_DEFAULT))]


def _chunk_items(ctype: bytes, body: bytes) -> list[MetadataItem]:
    name = ctype.decode("latin-1")
    if ctype == b"tEXt":
        key, _, text = body.partition(b"\x00")
        return _text_items(name, key.decode("latin-1"), text.decode("latin-1"))
    if ctype == b"zTXt":
        key, _, rest = body.partition(b"\x00")
        try:
            ztext = _inflate(rest[1:]).decode("latin-1")
        except zlib.error:
            return [item("PNG:zTXt", key.decode("latin-1"), "damaged compressed text", explain.DAMAGED)]
        return _text_items(name, key.decode("latin-1"), ztext)
    if ctype == b"iTXt":
        key, _, rest = body.partition(b"\x00")
        compressed = rest[:1] == b"\x01"
        rest = rest[2:]
        _lang, _, rest = rest.partition(b"\x00")
        _tkey, _, text_bytes = rest.partition(b"\x00")
        try:
            raw = _inflate(text_bytes) if compressed else text_bytes
        except zlib.error:
            return [item("PNG:iTXt", key.decode("latin-1"), "damaged compressed text", explain.DAMAGED)]
        return _text_items(name, key.decode("latin-1"), raw.decode("utf-8", errors="replace"))
    if ctype == b"eXIf":
        return nested_items(body, "exif")
    if ctype == b"tIME":
        if len(body) >= 7:
            y, mo, d, h, mi, s = struct.unpack(">HBBBBB", body[:7])
            value = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"
        else:
            value = "damaged"
        return [item("PNG:tIME", "ModifyDate", value, explain.TIME_FILE)]
    if ctype == b"iCCP":
        _pname, _, rest = body.partition(b"\x00")
        try:
            profile = _inflate(rest[1:])
        except zlib.error:
            return [item("PNG:iCCP", "ICC_Profile", "damaged compressed profile", explain.DAMAGED)]
        return icc_items(profile, group="PNG:iCCP")
    if ctype == b"caBX":
        return [
            item("PNG:caBX", "C2PA", f"C2PA content credentials, {size_text(len(body))}", explain.PROVENANCE)
        ]
    if ctype in STRUCTURAL_CHUNKS:
        if ctype in (b"IDAT", b"fdAT", b"IEND", b"PLTE", b"fcTL"):
            return []
        return [item(f"PNG:{name}", name, _structural_value(ctype, body), explain.STRUCTURAL)]
    return [item(f"PNG:{name}", name, f"unknown chunk, {size_text(len(body))}", explain.UNKNOWN_BLOCK)]


def _structural_value(ctype: bytes, body: bytes) -> str:
    if ctype == b"IHDR" and len(body) >= 10:
        w, h, depth, colour = struct.unpack(">IIBB", body[:10])
        return f"{w}x{h}, {depth}-bit, colour type {colour}"
    return size_text(len(body))


def read_png(data: bytes) -> list[MetadataItem]:
    """Every metadata item of a PNG. Never raises."""
    found, damaged = chunks(data)
    out: list[MetadataItem] = []
    for ctype, start, end in found:
        try:
            out.extend(_chunk_items(ctype, data[start + 8 : max(start + 8, end - 4)]))
        except Exception as exc:  # noqa: BLE001 - one bad chunk must not hide the others
            out.append(
                item(f"PNG:{ctype.decode('latin-1')}", "Chunk", f"damaged chunk: {exc}", explain.DAMAGED)
            )
    if found and found[-1][0] == b"IEND" and found[-1][2] < len(data):
        out.append(
            item(
                "PNG:Trailer",
                "Trailer",
                f"{size_text(len(data) - found[-1][2])} after the end of the picture",
                explain.TRAILER,
            )
        )
    if damaged:
        out.append(
            item(
                "PNG",
                "Structure",
                damaged,
                Explanation(
                    Risk.LOW,
                    MetadataKind.TECHNICAL,
                    "the file structure is damaged; parts of it could not be checked",
                ),
            )
        )
    return out


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def strip_png(data: bytes, keep_icc: bool = False, exif: bytes | None = None) -> bytes:
    """Keep only the structural chunks (and iCCP if asked, and `exif` as a new eXIf chunk before the
    picture data); raise CorruptImageError if damaged."""
    found, damaged = chunks(data)
    if damaged:
        raise CorruptImageError(f"PNG structure is damaged: {damaged}")
    out = bytearray(SIGNATURE)
    for ctype, start, end in found:
        if exif and ctype in (b"IDAT", b"acTL", b"fcTL"):
            out += _chunk(b"eXIf", exif)
            exif = None
        if ctype in STRUCTURAL_CHUNKS or (keep_icc and ctype == b"iCCP"):
            out += data[start:end]
        elif ctype[:1].isupper():  # an unknown critical chunk: the picture may need it
            raise CorruptImageError(
                f"PNG has an unknown critical chunk {ctype!r}; it cannot be stripped safely"
            )
    return bytes(out)
