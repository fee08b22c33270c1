"""The reader never raises, whatever the bytes; the strip raises only ShareSafe errors and never leaves
metadata behind when it does return."""

from __future__ import annotations

import random

import fixtures as fx
import pytest

from sharesafe import formats
from sharesafe.errors import ShareSafeError
from sharesafe.metadata import leftover_metadata, read_metadata, strip_lossless
from sharesafe.types import MetadataItem

SOURCES = {
    "jpeg": fx.loaded_jpeg,
    "png": fx.png_with_text,
    "webp": fx.webp_with_metadata,
    "heic": fx.heic_with_exif,
    "tiff": fx.tiff_with_tags,
    "gif": fx.gif_with_metadata,
}


def check_items(items: list[MetadataItem]) -> None:
    assert isinstance(items, list)
    for entry in items:
        assert isinstance(entry, MetadataItem)
        assert isinstance(entry.value, str) and len(entry.value) <= 200
        # The last-resort net in read_metadata must not be what saved us: each reader copes on its own.
        assert not (entry.group == "File" and entry.tag == "Metadata"), entry.value


def try_strip(data: bytes) -> None:
    fmt = formats.sniff(data[:64])
    if fmt not in (formats.JPEG, formats.PNG, formats.WEBP):
        return
    try:
        out = strip_lossless(data, fmt)
    except ShareSafeError:
        return
    # Whatever the strip returns must itself pass the leftover check.
    assert leftover_metadata(out, fmt) == []


def cut_points(n: int, count: int = 60) -> list[int]:
    step = max(n // count, 1)
    return sorted(set(range(0, n, step)) | {1, 2, 3, 8, 12, 16, 20, 30, n - 1, n - 2})


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_truncations_never_raise(name: str) -> None:
    data = SOURCES[name]()
    for cut in cut_points(len(data)):
        piece = data[:cut]
        check_items(read_metadata(piece))
        check_items(read_metadata(piece, formats.sniff(piece[:64])))
        try_strip(piece)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_corrupted_bytes_never_raise(name: str) -> None:
    data = SOURCES[name]()
    rng = random.Random(1234)
    for _ in range(150):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 12)):
            pos = rng.randrange(len(damaged))
            damaged[pos] = rng.randrange(256)
        check_items(read_metadata(bytes(damaged)))
        try_strip(bytes(damaged))


def test_random_bytes_behind_every_magic_never_raise() -> None:
    rng = random.Random(99)
    magics = [
        b"\xff\xd8\xff",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\x10\x00\x00\x00WEBP",
        b"II*\x00",
        b"MM\x00*",
        b"GIF89a",
        b"BM",
        b"\x00\x00\x00\x18ftypheic",
        b"\x00\x00\x00\x18ftypavif",
        b"",
    ]
    for magic in magics:
        for size in (0, 1, 7, 64, 500):
            blob = magic + bytes(rng.randrange(256) for _ in range(size))
            check_items(read_metadata(blob))
            for fmt in (None, formats.JPEG, formats.PNG, formats.WEBP, formats.TIFF, formats.HEIF):
                check_items(read_metadata(blob, fmt))
            try_strip(blob)


def test_hostile_lengths_do_not_blow_up() -> None:
    """Counts and lengths that claim gigabytes must not allocate them."""
    base = fx.plain_jpeg()
    ifd = (
        b"MM\x00*\x00\x00\x00\x08\x00\x01" + b"\x01\x0e\x00\x02\xff\xff\xff\xff\x00\x00\x00\x1a" + b"\x00" * 4
    )
    data = base[:2] + fx.segment(0xE1, b"Exif\x00\x00" + ifd) + base[2:]
    check_items(read_metadata(data))
    png = fx.png_with_text()
    huge = png[:8] + b"\x7f\xff\xff\xff" + b"tEXt" + b"x" * 40
    check_items(read_metadata(huge))
    xmp_bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>'
    )
    items = read_metadata(
        base[:2] + fx.segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_bomb) + base[2:]
    )
    check_items(items)
    assert any(i.group == "XMP" for i in items)


def test_damaged_picture_data_is_not_stripped_losslessly() -> None:
    """Stray bytes after the picture data began: decoders resync differently, so no lossless strip."""
    from sharesafe.errors import CorruptImageError

    plain = fx.plain_jpeg()
    damaged = plain[:-2] + b"\xff\x9f\x00\x04ab" + b"stray bytes with no marker" + b"\xff\xd9"
    with pytest.raises(CorruptImageError, match="cannot be stripped losslessly"):
        strip_lossless(damaged, formats.JPEG)
    assert any(i.tag == "Structure" and "stray" in i.value for i in read_metadata(damaged))
    # Stray bytes between header segments are skipped, as decoders do, and the strip goes ahead.
    header_junk = plain[:2] + b"junk" + plain[2:]
    out = strip_lossless(header_junk, formats.JPEG)
    assert leftover_metadata(out) == []
