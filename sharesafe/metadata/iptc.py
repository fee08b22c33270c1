"""Photoshop image resources (APP13 "Photoshop 3.0", TIFF tag 34377) and the IPTC-IIM records inside."""

from __future__ import annotations

import struct
from collections.abc import Callable

from sharesafe.metadata import explain
from sharesafe.metadata.explain import item, size_text
from sharesafe.types import MetadataItem

#: IPTC-IIM record 2 dataset numbers -> names (the ones that carry content).
IIM_NAMES = {
    5: "ObjectName",
    7: "EditStatus",
    10: "Urgency",
    12: "SubjectReference",
    15: "Category",
    20: "SupplementalCategories",
    25: "Keywords",
    26: "ContentLocationCode",
    27: "ContentLocationName",
    40: "SpecialInstructions",
    55: "DateCreated",
    60: "TimeCreated",
    62: "DigitalCreationDate",
    63: "DigitalCreationTime",
    65: "OriginatingProgram",
    80: "By-line",
    85: "By-lineTitle",
    90: "City",
    92: "Sub-location",
    95: "Province-State",
    100: "Country-PrimaryLocationCode",
    101: "Country-PrimaryLocationName",
    103: "OriginalTransmissionReference",
    105: "Headline",
    110: "Credit",
    115: "Source",
    116: "CopyrightNotice",
    118: "Contact",
    120: "Caption-Abstract",
    122: "Writer-Editor",
    0: "ApplicationRecordVersion",
    135: "LanguageIdentifier",
}
_RESOURCE_NAMES = {
    0x0404: "IPTC-NAA",
    0x0409: "ThumbnailImage",
    0x040C: "ThumbnailImage",
    0x040F: "ICC_Profile",
    0x0422: "EXIF",
    0x0423: "EXIF",
    0x0424: "XMP",
    0x0425: "IPTCDigest",
    0x03ED: "ResolutionInfo",
    0x0421: "VersionInfo",
    0x041A: "Slices",
    0x0428: "PrintInfo",
    0x040A: "CopyrightFlag",
    0x040B: "URL",
    0x0426: "PrintScale",
    0x03F3: "PrintFlags",
}
_MAX_IIM_RECORDS = 500

Nested = Callable[[bytes, str], list[MetadataItem]]


def iim_items(data: bytes, group: str = "IPTC") -> list[MetadataItem]:
    """Items for IPTC-IIM data. Never raises."""
    out: list[MetadataItem] = [item(group, "IPTC", f"IPTC block, {size_text(len(data))}", explain.IPTC_BLOCK)]
    pos, count = 0, 0
    values: dict[str, list[str]] = {}
    damaged = False
    while pos + 5 <= len(data) and count < _MAX_IIM_RECORDS:
        if data[pos] != 0x1C:
            if any(data[pos:]):  # only padding may follow the last record
                damaged = True
            break
        record, dataset = data[pos + 1], data[pos + 2]
        length = struct.unpack(">H", data[pos + 3 : pos + 5])[0]
        pos += 5
        if length & 0x8000:  # extended length
            n = length & 0x7FFF
            if n > 4 or pos + n > len(data):
                damaged = True
                break
            length = int.from_bytes(data[pos : pos + n], "big")
            pos += n
        if pos + length > len(data):
            damaged = True
            length = len(data) - pos
        value = data[pos : pos + length]
        pos += length
        count += 1
        if record != 2 or dataset == 0:
            continue
        name = IIM_NAMES.get(dataset, f"Dataset2:{dataset}")
        values.setdefault(name, []).append(value.decode("utf-8", errors="replace"))
    for name, vals in values.items():
        out.append(item(group, name, "; ".join(vals)))
    if damaged:
        out.append(item(group, "IPTC", "IPTC block is damaged or truncated", explain.DAMAGED))
    return out


def irb_items(data: bytes, group: str = "Photoshop", nested: Nested | None = None) -> list[MetadataItem]:
    """Items for a run of Photoshop image resources ("8BIM" blocks). Never raises."""
    out: list[MetadataItem] = []
    others: list[str] = []
    pos = 0
    damaged = False
    try:
        while pos + 12 <= len(data):
            sig = data[pos : pos + 4]
            if sig not in (b"8BIM", b"PHUT", b"AgHg", b"DCSR", b"MeSa"):
                damaged = any(data[pos:])
                break
            rid = struct.unpack(">H", data[pos + 4 : pos + 6])[0]
            name_len = data[pos + 6]
            p = pos + 7 + name_len
            if (name_len + 1) % 2:
                p += 1
            if p + 4 > len(data):
                damaged = True
                break
            size = struct.unpack(">I", data[p : p + 4])[0]
            body = data[p + 4 : p + 4 + size]
            if len(body) < size:
                damaged = True
            pos = p + 4 + size + (size % 2)
            rname = _RESOURCE_NAMES.get(rid, f"0x{rid:04X}")
            if rid == 0x0404:
                out.extend(iim_items(body))
            elif rid in (0x0409, 0x040C):
                out.append(
                    item(
                        group,
                        "PhotoshopThumbnail",
                        f"embedded thumbnail {size_text(size)}",
                        explain.THUMBNAIL,
                    )
                )
            elif rid in (0x0422, 0x0423) and nested is not None:
                out.extend(nested(body, "exif"))
            elif rid == 0x0424 and nested is not None:
                out.extend(nested(body, "xmp"))
            elif rid == 0x040F and nested is not None:
                out.extend(nested(body, "icc"))
            elif rid == 0x040B:
                out.append(item(group, "URL", body.decode("latin-1"), explain.PEOPLE_TEXT))
            else:
                others.append(rname)
    except (struct.error, IndexError, ValueError) as exc:
        damaged = True
        others.append(f"error: {exc}")
    summary = f"Photoshop resources, {size_text(len(data))}"
    if others:
        summary += ": " + ", ".join(sorted(set(others)))
    out.insert(0, item(group, "PhotoshopIRB", summary, explain.IPTC_BLOCK))
    if damaged:
        out.append(item(group, "PhotoshopIRB", "Photoshop resource block is damaged", explain.DAMAGED))
    return out
