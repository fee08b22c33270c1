"""Explain an XMP packet: one item for the packet and one per field that says something about people,
places, devices, times or hidden content."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from sharesafe.metadata import explain
from sharesafe.metadata.explain import item, size_text
from sharesafe.types import MetadataItem, MetadataKind

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "iptcCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "iptcExt",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://ns.google.com/photos/1.0/container/": "Container",
    "http://ns.google.com/photos/1.0/container/item/": "Item",
    "http://www.metadataworkinggroup.com/schemas/regions/": "mwg-rs",
    "http://ns.microsoft.com/photo/1.2/": "MP",
    "http://ns.microsoft.com/photo/1.2/t/RegionInfo#": "MPRI",
    "http://ns.microsoft.com/photo/1.2/t/Region#": "MPReg",
    "http://ns.apple.com/faceinfo/1.0/": "apple-fi",
    "http://ns.adobe.com/xmp/note/": "xmpNote",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
}
# Fields worth their own line even though they are not in the explain table.
_EXTRA_INTERESTING = {"HasExtendedXMP", "MicroVideoVersion", "MotionPhotoVersion", "Mime", "Semantic"}
_GPS_RE = re.compile(r"^\s*(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?\s*([NSEW])\s*$", re.I)
_MAX_PACKET = 4 * 1024 * 1024
_MAX_FIELDS = 60


def xmp_gps(value: str) -> float | None:
    """XMP writes GPS as "DDD,MM.mmmmk" or "DDD,MM,SSk"; return signed decimal degrees."""
    m = _GPS_RE.match(value)
    if not m:
        try:
            return float(value)
        except ValueError:
            return None
    deg = float(m.group(1)) + float(m.group(2)) / 60 + (float(m.group(3)) / 3600 if m.group(3) else 0.0)
    return -deg if m.group(4).upper() in "SW" else deg


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return _PREFIXES.get(uri, uri.rstrip("/#").rsplit("/", 1)[-1] or "ns"), local
    return "", tag


def _fields(root: ET.Element) -> list[tuple[str, str, str]]:
    """(prefix, local name, text) for every property in the packet, flattening rdf containers."""
    out: list[tuple[str, str, str]] = []

    def visit(elem: ET.Element, prop: tuple[str, str] | None) -> None:
        prefix, local = _split(elem.tag)
        is_rdf = elem.tag.startswith("{" + _RDF)
        current = prop if is_rdf or (prop is not None and prefix == "") else (prefix, local)
        if not is_rdf and elem.tag.startswith("{"):
            current = (prefix, local)
        for name, value in elem.attrib.items():
            aprefix, alocal = _split(name)
            if name.startswith("{" + _RDF) or not name.startswith("{"):
                continue
            out.append((aprefix, alocal, value))
        text = (elem.text or "").strip()
        if text and current is not None and not len(elem):
            out.append((current[0], current[1], text))
        for child in elem:
            visit(child, current)

    visit(root, None)
    return out


def _regex_fields(text: str) -> list[tuple[str, str, str]]:
    out = [
        (p, n, v)
        for p, n, v in re.findall(r"""(\w[\w-]*):(\w+)=["']([^"']*)["']""", text)
        if p not in ("xmlns", "rdf", "x")
    ]
    out += [
        (p, n, v) for p, n, v in re.findall(r"<(\w[\w-]*):(\w+)>([^<]+)</", text) if p not in ("rdf", "x")
    ]
    return out


def xmp_items(packet: bytes, group: str = "XMP") -> list[MetadataItem]:
    """Items for one XMP packet. Never raises."""
    try:
        return _xmp_items(packet, group)
    except Exception as exc:  # noqa: BLE001 - damaged metadata is reported, not raised
        return [item(group, "XMP", f"damaged XMP packet ({size_text(len(packet))}): {exc}", explain.DAMAGED)]


def _decode(raw: bytes) -> str:
    """XMP is UTF-8 almost always, but UTF-16/32 packets exist; guess from the first bytes."""
    head = raw[:4]
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return raw.decode("utf-16-be", errors="replace").lstrip("\ufeff").strip("\x00 \r\n\t")
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return raw.decode("utf-16-le", errors="replace").lstrip("\ufeff").strip("\x00 \r\n\t")
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff").strip("\x00 \r\n\t")


def _xmp_items(packet: bytes, group: str) -> list[MetadataItem]:
    text = _decode(packet[:_MAX_PACKET])
    m = re.search(r"<(\w+):xm?a?pmeta\b", text)
    if m:
        start, end_tag = m.start(), f"</{m.group(1)}:{m.group(0)[len(m.group(1)) + 2 :]}>"
    else:
        start, end_tag = text.find("<rdf:RDF"), "</rdf:RDF>"
    end = text.rfind(end_tag)
    damaged = ""
    fields: list[tuple[str, str, str]]
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        fields, damaged = _regex_fields(text), "the packet declares entities; read as text only"
    elif start < 0 or end < 0:
        fields, damaged = _regex_fields(text), "no complete XMP packet; read as text only"
    else:
        try:
            root = ET.fromstring(text[start : end + len(end_tag)])
            fields = _fields(root)
        except ET.ParseError as exc:
            fields, damaged = _regex_fields(text), f"malformed XML ({exc}); read as text only"
    summary = f"XMP packet, {size_text(len(packet))}, {len(fields)} fields"
    out = [item(group, "XMP", summary, explain.XMP_PACKET)]
    if damaged:
        out.append(item(group, "XMP", damaged, explain.DAMAGED))
    seen: dict[tuple[str, str], int] = {}
    lat = lon = None
    for prefix, local, value in fields:
        if local in ("GPSLatitude", "GPSLongitude", "GPSDestLatitude", "GPSDestLongitude"):
            deg = xmp_gps(value)
            if local == "GPSLatitude":
                lat = deg
            elif local == "GPSLongitude":
                lon = deg
            continue
        exp = explain.explain_tag(local, f"{group}-{prefix}")
        interesting = exp.kind is not MetadataKind.TECHNICAL or local in _EXTRA_INTERESTING
        if not interesting and prefix not in ("dc", "iptcCore", "iptcExt", "GCamera", "Container", "mwg-rs"):
            continue
        if local in _EXTRA_INTERESTING and exp.kind is MetadataKind.TECHNICAL:
            exp = explain.HIDDEN_IMAGES if local != "HasExtendedXMP" else explain.XMP_PACKET
        key = (prefix, local)
        if key in seen:  # join repeated values (rdf:Bag/Seq entries) into the first item
            idx = seen[key]
            old = out[idx]
            if len(old.value) < explain.MAX_VALUE:
                out[idx] = item(old.group, old.tag, f"{old.value}; {value}", exp)
            continue
        if len(seen) >= _MAX_FIELDS:
            continue
        seen[key] = len(out)
        out.append(item(f"{group}-{prefix}" if prefix else group, local, value, exp))
    if lat is not None and lon is not None:
        out.insert(1, item(f"{group}-exif", "GPSPosition", f"{lat:.5f}, {lon:.5f}", explain.LOCATION))
    elif lat is not None or lon is not None:
        out.insert(
            1, item(f"{group}-exif", "GPSPosition", f"partial position {lat or lon}", explain.LOCATION)
        )
    return out
