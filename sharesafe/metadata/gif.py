"""GIF block walker: comment extensions and application extensions (XMP, ICC, others)."""

from __future__ import annotations

from sharesafe.metadata import explain
from sharesafe.metadata.blocks import nested_items
from sharesafe.metadata.explain import Explanation, item, size_text
from sharesafe.types import MetadataItem, MetadataKind, Risk

_STRUCTURE = Explanation(
    Risk.LOW, MetadataKind.TECHNICAL, "the file structure is damaged; parts of it could not be checked"
)
_MAX_BLOCKS = 100_000


def _sub_blocks(data: bytes, pos: int) -> tuple[bytes, int]:
    """Concatenated data sub-blocks starting at `pos`, and the offset after the terminator."""
    parts: list[bytes] = []
    while pos < len(data):
        n = data[pos]
        pos += 1
        if n == 0:
            return b"".join(parts), pos
        parts.append(data[pos : pos + n])
        pos += n
    raise ValueError("file ends inside a data block")


def _xmp_blocks(data: bytes, pos: int) -> tuple[bytes, int]:
    """XMP application data is stored raw (not as sub-blocks) up to a 257-byte "magic trailer"."""
    end = data.find(b"\x01\xff\xfe", pos)
    if end < 0 or end + 258 > len(data):
        raise ValueError("XMP block has no end")
    return data[pos:end], end + 258  # 0x01, 0xFF..0x00, then the block terminator


def read_gif(data: bytes) -> list[MetadataItem]:
    """Every metadata item of a GIF. Never raises."""
    out: list[MetadataItem] = []
    try:
        _walk(data, out)
    except (ValueError, IndexError) as exc:
        out.append(item("GIF", "Structure", str(exc), _STRUCTURE))
    return out


def _walk(data: bytes, out: list[MetadataItem]) -> None:
    if len(data) < 13 or data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("no GIF header")
    flags = data[10]
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    frames = 0
    for _ in range(_MAX_BLOCKS):
        if pos >= len(data):
            raise ValueError("no GIF trailer (truncated)")
        kind = data[pos]
        if kind == 0x3B:  # trailer
            if pos + 1 < len(data) and data[pos + 1 :].strip(b"\x00"):
                extra = len(data) - pos - 1
                out.append(
                    item("GIF:Trailer", "Trailer", f"{size_text(extra)} after the end", explain.TRAILER)
                )
            break
        if kind == 0x2C:  # image descriptor
            frames += 1
            iflags = data[pos + 9]
            pos += 10 + (3 * (2 << (iflags & 7)) if iflags & 0x80 else 0)
            pos += 1  # LZW minimum code size
            _, pos = _sub_blocks(data, pos)
            continue
        if kind != 0x21:
            raise ValueError(f"unexpected block 0x{kind:02X} at offset {pos}")
        label = data[pos + 1]
        pos += 2
        if label == 0xFE:
            text, pos = _sub_blocks(data, pos)
            out.append(item("GIF:Comment", "Comment", text.decode("latin-1"), explain.COMMENT))
        elif label == 0xFF:
            size = data[pos]
            ident = data[pos + 1 : pos + 1 + size]
            pos += 1 + size
            if ident == b"XMP DataXMP":
                packet, pos = _xmp_blocks(data, pos)
                out.extend(nested_items(packet, "xmp"))
                continue
            body, pos = _sub_blocks(data, pos)
            if ident == b"ICCRGBG1012":
                out.extend(nested_items(body, "icc"))
            elif ident not in (b"NETSCAPE2.0", b"ANIMEXTS1.0"):
                name = ident.decode("latin-1")
                out.append(
                    item(
                        "GIF:Application",
                        name,
                        f"application data, {size_text(len(body))}",
                        explain.UNKNOWN_BLOCK,
                    )
                )
        else:  # graphic control (0xF9), plain text (0x01) and others: structural or drawn text
            body, pos = _sub_blocks(data, pos)
            if label == 0x01:
                out.append(
                    item("GIF:PlainText", "PlainText", f"text block, {size_text(len(body))}", explain.COMMENT)
                )
    if frames > 1:
        out.append(item("GIF", "Frames", f"{frames} frames (only the first is exported)", explain.STRUCTURAL))
