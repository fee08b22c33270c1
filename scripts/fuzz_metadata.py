"""Seeded mutation fuzzing of the metadata readers and the make-safe flow.

Seeds are photos made in code (JPEG with EXIF, GPS and a thumbnail, PNG with text chunks, WebP with
EXIF, TIFF, GIF, HEIF); each input is one seed with a few random mutations (bit flips, "interesting"
bytes, inserts, deletions, truncation, duplicated or spliced slices). For every input:

- `read_metadata` and `leftover_metadata` must return (they never raise; a reader crash they catch
  still counts as an unexpected error);
- `scan` must give a result whose error, if any, is a readable ShareSafe message (not "unexpected
  error", no object repr);
- `make_safe` (re-encode, and `--metadata-only`) must either verify a copy that carries no metadata
  beyond the allowlist, or give a readable error with nothing named safe; the input is never changed.

Run briefly by the test suite (tests/scripts/test_fuzz_metadata.py, a fixed count); for longer:

    PYTHONPATH=. .venv/bin/python scripts/fuzz_metadata.py --count 5000 --seed 1 --save /tmp/fuzz-found

Exit status 0 when there were no unexpected errors, 1 otherwise (the inputs are kept with --save).
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from sharesafe.jobs import default_review, judge, make_safe
from sharesafe.metadata import leftover_metadata, read_metadata
from sharesafe.pipeline import ExportOptions, ScanOptions, scan
from sharesafe.policy import load_profile
from sharesafe.samples import exif_bytes, jpeg_bytes, street_scene, thumbnail_bytes

#: Small pixel and byte budgets: a mutated header declaring a huge image is refused, not decoded.
MAX_PIXELS = 4_000_000
MAX_BYTES = 8 * 1024 * 1024
_INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)
_CAUGHT_READER_CRASH = "metadata could not be read:"


def seeds() -> dict[str, bytes]:
    """One small file per format, each carrying the metadata the readers look for."""
    scene = np.ascontiguousarray(street_scene(96, 72))
    out = {"jpeg": jpeg_bytes(scene, exif_bytes(orientation=6, thumbnail=thumbnail_bytes(scene, 32)))}
    img = Image.fromarray(scene)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "PC 1234 Jane Smith")
    info.add_itxt("Description", "taken at the station", zip=True)
    for fmt, kwargs in (
        ("png", {"pnginfo": info, "exif": exif_bytes()}),
        ("webp", {"exif": exif_bytes(), "quality": 80}),
        ("tiff", {"exif": exif_bytes()}),
        ("gif", {"comment": b"owner PC 1234"}),
    ):
        buf = io.BytesIO()
        img.save(buf, fmt.upper() if fmt != "tiff" else "TIFF", **kwargs)
        out[fmt] = buf.getvalue()
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        buf = io.BytesIO()
        img.save(buf, "HEIF", exif=exif_bytes())
        out["heif"] = buf.getvalue()
    except Exception:  # noqa: BLE001 - no HEIF encoder: fuzz the other formats
        pass
    return out


def mutate(data: bytes, rng: random.Random, donors: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not b:
            break
        op = rng.randrange(7)
        pos = rng.randrange(len(b))
        if op == 0:
            b[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[pos] = rng.choice(_INTERESTING)
        elif op == 2:
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 3:
            del b[pos : pos + rng.randint(1, 64)]
        elif op == 4:
            del b[rng.randint(max(1, len(b) // 4), len(b)) :]
        elif op == 5:
            end = min(len(b), pos + rng.randint(1, 256))
            b[pos:pos] = b[pos:end]
        else:
            donor = rng.choice(donors)
            start = rng.randrange(len(donor))
            b[pos:pos] = donor[start : start + rng.randint(1, 128)]
    return bytes(b)


@dataclass(slots=True)
class Report:
    inputs: int = 0
    scanned_ok: int = 0
    verified: int = 0
    refused: int = 0
    unexpected: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.inputs} inputs in {self.seconds:.1f} s: {self.scanned_ok} opened, {self.verified} copies "
            f"verified, {self.refused} refused with a readable error, {len(self.unexpected)} unexpected errors"
        )


def _bad_message(message: str | None) -> bool:
    return message is not None and (message.startswith("unexpected") or " at 0x" in message)


def check_one(data: bytes, work: Path, index: int, report: Report) -> list[str]:
    """Every check on one input; returns the unexpected problems (empty when all is well)."""
    problems: list[str] = []

    def guarded(stage: str, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - what the fuzzer is looking for
            problems.append(f"{stage}: {type(exc).__name__}: {exc}")
            return None

    items = guarded("read_metadata", lambda: read_metadata(data))
    if isinstance(items, list) and any(m.value.startswith(_CAUGHT_READER_CRASH) for m in items):
        problems.append(f"read_metadata caught a reader crash: {items[-1].value}")
    if isinstance(items, list) and any(" at 0x" in m.value for m in items):
        problems.append("a metadata item shows an object repr")
    guarded("leftover_metadata", lambda: leftover_metadata(data))
    source = work / f"in-{index}.img"
    source.write_bytes(data)
    result = scan(source, (), ScanOptions(max_pixels=MAX_PIXELS, max_bytes=MAX_BYTES))
    if _bad_message(result.error):
        problems.append(f"scan: {result.error}")
    if result.error is None:
        report.scanned_ok += 1
        checked = judge(result, load_profile("strict"))
        for metadata_only in (False, True):
            out = work / f"out-{index}-{int(metadata_only)}"
            opts = ExportOptions(metadata_only=metadata_only, max_pixels=MAX_PIXELS, max_bytes=MAX_BYTES)
            done = guarded(
                "make_safe",
                lambda o=opts, d=out: make_safe(checked, default_review(checked, o), d, o, force=True),
            )
            if done is None or done.export is None:  # type: ignore[attr-defined]
                continue
            exported = done.export  # type: ignore[attr-defined]
            named = [p for p in out.glob("*") if "-safe" in p.name and ".audit." not in p.name]
            if exported.ok:
                report.verified += 1
                left = leftover_metadata(exported.output.read_bytes())
                if left:
                    problems.append(f"verified copy still carries {[f'{m.group}:{m.tag}' for m in left]}")
            else:
                report.refused += 1
                if _bad_message(exported.error):
                    problems.append(f"make_safe: {exported.error}")
                if named:
                    problems.append(f"unverified copy named safe: {named}")
    else:
        report.refused += 1
    if source.read_bytes() != data:
        problems.append("the input file was changed")
    return problems


def run(count: int, seed: int, save: Path | None = None, out: object = None) -> Report:
    rng = random.Random(seed)
    bases = seeds()
    donors = list(bases.values())
    names = sorted(bases)
    report = Report()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sharesafe-fuzz-") as tmp:
        work = Path(tmp)
        for index in range(count):
            name = names[index % len(names)]
            data = mutate(bases[name], rng, donors)
            problems = check_one(data, work, index, report)
            report.inputs += 1
            for problem in problems:
                report.unexpected.append(f"#{index} ({name}): {problem}")
            if problems and save is not None:
                save.mkdir(parents=True, exist_ok=True)
                (save / f"fuzz-{seed}-{index}.{name}").write_bytes(data)
            for p in work.iterdir():  # keep the temporary folder small over a long run
                if p.is_dir():
                    for q in sorted(p.rglob("*"), reverse=True):
                        q.rmdir() if q.is_dir() else q.unlink()
                    p.rmdir()
                else:
                    p.unlink()
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="inputs to try (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--save", type=Path, help="keep every input that caused an unexpected error here")
    args = parser.parse_args(argv)
    report = run(args.count, args.seed, args.save)
    for line in report.unexpected[:50]:
        print(line)
    print(report.line())
    return 1 if report.unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
