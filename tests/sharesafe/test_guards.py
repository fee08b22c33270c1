"""Hostile input gives one clear per-file error, quickly and in bounded memory (issue 13).

Each case runs `sharesafe scan` in a fresh process, which reports its own peak memory: a FIFO (which
used to hang forever), /dev/zero (read until memory ran out), a 571 KB PNG declaring 14 000 x 14 000
pixels (3 GB and 27 s to decode), and a damaged HEIF.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import io, json, sys
from sharesafe.cli import main
out = io.StringIO()
code = main(["scan", "--json", "--no-detectors", sys.argv[1]], out=out, err=io.StringIO())
doc = json.loads(out.getvalue())
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking parent (a big pytest).
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
peak_mb = int(hwm.split()[1]) / 1024
print(json.dumps({"code": code, "error": doc["files"][0]["error"], "peak_mb": peak_mb}))
"""


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(path: Path, side: int = 14_000) -> Path:
    """A valid PNG of `side` x `side` black RGB pixels whose zlib stream repeats one flushed block
    (so making it takes a fraction of a second): 571 KB on disk, 588 MB decoded."""
    rows = 100
    block = (b"\x00" + bytes(side * 3)) * rows
    comp = zlib.compressobj(9)
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    assert first[2:] == again  # after a full flush the same input compresses to the same bytes
    adler = 1
    for _ in range(side // rows):
        adler = zlib.adler32(block, adler)
    stream = first + again * (side // rows - 1) + b"\x03\x00" + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")
    )
    return path


def damaged_heif(path: Path) -> Path:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, format="HEIF")
    data = buf.getvalue()
    path.write_bytes(data[: len(data) - 10])
    return path


def _scan_in_child(target: Path) -> tuple[dict[str, object], float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(target)], env=env, capture_output=True, text=True, timeout=60
    )
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), seconds


@pytest.mark.slow
@pytest.mark.parametrize("case", ["fifo", "dev_zero", "bomb_png", "damaged_heif"])
def test_hostile_input_fails_fast_clearly_and_in_bounded_memory(case: str, tmp_path: Path) -> None:
    if case == "fifo":
        target = tmp_path / "photo.jpg"
        os.mkfifo(target)
        expect = "pipe"
    elif case == "dev_zero":
        target = Path("/dev/zero")
        expect = "device"
    elif case == "bomb_png":
        target = bomb_png(tmp_path / "big.png")
        assert target.stat().st_size < 600_000
        expect = "14000x14000"
    else:
        target = damaged_heif(tmp_path / "broken.heic")
        expect = "HEIF file"
    report, seconds = _scan_in_child(target)
    error = str(report["error"])
    assert report["code"] == 3
    assert expect in error, error
    assert "Traceback" not in error and " at 0x" not in error
    assert seconds < 5.0, f"{case}: {seconds:.1f} s (start-up included)"
    assert float(str(report["peak_mb"])) < 1500, report
