"""Per-photo metadata strip time: ShareSafe lossless and re-encode beside `exiftool -all=` on the same files.

Usage: PYTHONPATH=. python scripts/bench_strip.py [--evaldata DIR] [--limit N] [--repeat R]

Works on copies in a temporary folder (the originals are only read). For every photo ShareSafe can
open it times:
  lossless   strip_lossless (JPEG/PNG/WebP only) + the leftover check the export runs
  reencode   decode upright + encode without metadata (the default export) + the leftover check
  exiftool   `exiftool -all= -o OUT FILE`, one process per photo (how a user would run it)
and prints medians, totals and the ratio exiftool / ShareSafe. A batched exiftool run (one process for
all files) is printed too, since process start-up dominates its per-file time.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sharesafe import formats
from sharesafe.encode import encode, export_format_for
from sharesafe.errors import ShareSafeError
from sharesafe.image import load_image_bytes
from sharesafe.metadata import leftover_metadata, strip_lossless

REPO = Path(__file__).resolve().parents[1]


def default_evaldata() -> Path:
    for candidate in (REPO.parent / "shared/evaldata", REPO.parents[1] / "shared/evaldata"):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared/evaldata"


def synthetic_photos(count: int) -> list[tuple[Path, bytes, str]]:
    """12 MP JPEGs shaped like camera output: noise-textured pixels, EXIF with GPS and a thumbnail, XMP."""
    if count <= 0:
        return []
    import io

    import numpy as np
    import piexif
    from PIL import Image

    rng = np.random.default_rng(7)
    thumb = io.BytesIO()
    Image.new("RGB", (160, 120), "grey").save(thumb, "JPEG")
    exif = piexif.dump(
        {
            "0th": {piexif.ImageIFD.Make: b"Bench", piexif.ImageIFD.Artist: b"Bench Owner"},
            "Exif": {piexif.ExifIFD.BodySerialNumber: b"SN0001"},
            "GPS": {1: b"N", 2: ((51, 1), (30, 1), (0, 1)), 3: b"W", 4: ((0, 1), (7, 1), (0, 1))},
            "1st": {piexif.ImageIFD.Compression: 6},
            "thumbnail": thumb.getvalue(),
        }
    )
    out = []
    for i in range(count):
        y, x = np.mgrid[0:3000, 0:4000]
        base = np.stack([x // 16 % 256, y // 12 % 256, (x + y) // 20 % 256], axis=-1)
        arr = np.clip(base + rng.integers(0, 24, size=(3000, 4000, 3)), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "JPEG", quality=90, exif=exif)
        out.append((Path(f"synthetic-12mp-{i}.jpg"), buf.getvalue(), formats.JPEG))
    return out


def best_of(repeat: int, fn: object) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"median {statistics.median(values) * 1000:8.2f} ms   total {sum(values):7.2f} s   n={len(values)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaldata", type=Path, default=default_evaldata())
    parser.add_argument("--limit", type=int, default=0, help="only the first N photos")
    parser.add_argument("--repeat", type=int, default=3, help="best of R runs per photo for ShareSafe")
    parser.add_argument(
        "--synthetic", type=int, default=4, help="also time N generated 12 MP camera-like JPEGs (0: none)"
    )
    args = parser.parse_args(argv)
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        sys.exit("exiftool is not installed")
    files = sorted(p for p in (args.evaldata / "metadata").iterdir() if p.is_file())
    usable: list[tuple[Path, bytes, str]] = []
    for path in files:
        data = path.read_bytes()
        fmt = formats.sniff(data[:64])
        if fmt is None:
            continue
        try:
            load_image_bytes(data)
        except Exception:  # noqa: BLE001 - unreadable files are not part of the benchmark
            continue
        usable.append((path, data, fmt))
    if args.limit:
        usable = usable[: args.limit]
    usable += synthetic_photos(args.synthetic)
    lossless: dict[str, float] = {}
    reencode: dict[str, float] = {}
    ext_single: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sharesafe-bench-") as tmp:
        work = Path(tmp)
        copies = work / "in"
        outs = work / "out"
        copies.mkdir()
        outs.mkdir()
        for path, data, fmt in usable:
            name = path.name

            def do_lossless(data: bytes = data, fmt: str = fmt) -> None:
                out = strip_lossless(data, fmt)
                leftover_metadata(out, fmt)

            def do_reencode(data: bytes = data, fmt: str = fmt) -> None:
                image = load_image_bytes(data)
                out_fmt = export_format_for(fmt)
                out = encode(image.pixels, out_fmt, alpha=image.alpha)
                leftover_metadata(out, out_fmt)

            if fmt in (formats.JPEG, formats.PNG, formats.WEBP):
                with contextlib.suppress(ShareSafeError):
                    lossless[name] = best_of(args.repeat, do_lossless)
            reencode[name] = best_of(args.repeat, do_reencode)
            copy = copies / name
            copy.write_bytes(data)
            target = outs / name
            t0 = time.perf_counter()
            proc = subprocess.run(
                [exiftool, "-q", "-q", "-all=", "-o", str(target), str(copy)],
                capture_output=True,
                check=False,
            )
            if proc.returncode == 0:
                ext_single[name] = time.perf_counter() - t0
        batch_out = work / "batch"
        t0 = time.perf_counter()
        subprocess.run(
            [exiftool, "-q", "-q", "-all=", "-o", f"{batch_out}/", str(copies)],
            capture_output=True,
            check=False,
        )
        batch_seconds = time.perf_counter() - t0
        batch_n = len(list(batch_out.iterdir())) if batch_out.exists() else 0
    print(
        f"photos: {len(usable) - args.synthetic} of the {len(files)} evaldata files open, "
        f"plus {args.synthetic} synthetic 12 MP JPEGs"
    )
    print(f"ShareSafe lossless (strip + verify):  {fmt_ms(list(lossless.values()))}")
    print(f"ShareSafe re-encode (decode+encode+verify): {fmt_ms(list(reencode.values()))}")
    print(f"exiftool -all= (one process per photo): {fmt_ms(list(ext_single.values()))}")
    if batch_n:
        print(
            f"exiftool -all= batched: {batch_seconds:.2f} s for {batch_n} photos = "
            f"{batch_seconds / batch_n * 1000:.2f} ms per photo"
        )
    common = sorted(set(lossless) & set(ext_single))
    if common:
        ours = statistics.median(lossless[n] for n in common)
        theirs = statistics.median(ext_single[n] for n in common)
        print(
            f"ratio on {len(common)} photos both strip: exiftool per photo / ShareSafe lossless "
            f"= {theirs / ours:.1f}x (medians {theirs * 1000:.1f} ms vs {ours * 1000:.2f} ms)"
        )
        if batch_n:
            print(f"  vs batched exiftool: {batch_seconds / batch_n / ours:.1f}x")
    common = sorted(set(reencode) & set(ext_single))
    if common:
        ours = statistics.median(reencode[n] for n in common)
        theirs = statistics.median(ext_single[n] for n in common)
        print(
            f"ratio on {len(common)} photos: exiftool per photo / ShareSafe re-encode = {theirs / ours:.1f}x "
            f"(medians {theirs * 1000:.1f} ms vs {ours * 1000:.1f} ms)"
        )
        sizes = {path.name: len(data) for path, data, _ in usable}
        big = [n for n in common if sizes.get(n, 0) > 1_000_000]
        if big:
            ours_b = statistics.median(reencode[n] for n in big)
            theirs_b = statistics.median(ext_single[n] for n in big)
            lossless_b = [lossless[n] for n in big if n in lossless]
            lossless_ms = statistics.median(lossless_b) * 1000 if lossless_b else float("nan")
            print(
                f"  photos over 1 MB (n={len(big)}, incl. {args.synthetic} synthetic 12 MP): "
                f"re-encode median {ours_b * 1000:.0f} ms, "
                f"lossless median {lossless_ms:.1f} ms, "
                f"exiftool {theirs_b * 1000:.0f} ms"
            )
            if lossless_b:
                print(
                    f"  ratio over 1 MB: exiftool per photo / ShareSafe lossless = {theirs_b / lossless_ms * 1000:.0f}x, "
                    f"exiftool / re-encode = {theirs_b / ours_b:.2f}x"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
