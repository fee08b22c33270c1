"""Scan photos, export safe copies, and verify every export before calling it clean."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from sharesafe import formats
from sharesafe.detector import Detector
from sharesafe.encode import encode, export_format_for
from sharesafe.errors import CorruptImageError, ShareSafeError, UnsafeExportError, UnsupportedFormatError
from sharesafe.findings import covered_share, postprocess
from sharesafe.fsutil import sha256_bytes, write_unique
from sharesafe.image import DEFAULT_MAX_PIXELS, load_image_bytes
from sharesafe.metadata import leftover_metadata, read_metadata, strip_lossless
from sharesafe.redact import Shape, Style, cover
from sharesafe.resize import shared_resizes
from sharesafe.review import Review
from sharesafe.types import ExportResult, Finding, ScanResult

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a batch when the caller's cancel flag is set."""


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


#: progress(done, total, path_just_finished)
ProgressCallback = Callable[[int, int, Path], None]


@dataclass(slots=True)
class ScanOptions:
    max_pixels: int = DEFAULT_MAX_PIXELS
    padding_scale: float = 1.0


@dataclass(slots=True)
class ExportOptions:
    style: Style = Style.FILL
    shape: Shape = Shape.RECTANGLE
    metadata_only: bool = False  # lossless strip, no pixel change (JPEG/PNG/WebP where supported)
    output_format: str | None = None  # None: keep the source's family (HEIC -> JPEG)
    embed_srgb: bool = False
    suffix: str = "-safe"
    #: Re-run the detectors on the export and fail if a covered object is still found.
    rescan: bool = True
    max_pixels: int = DEFAULT_MAX_PIXELS


def _read(path: Path) -> bytes:
    if path.is_dir():
        raise UnsupportedFormatError("this is a folder, not a photo")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ShareSafeError(f"cannot read the file: {exc.strerror or exc}") from exc


def run_detectors(
    pixels: np.ndarray, detectors: Sequence[Detector], errors: dict[str, str] | None = None
) -> list[Finding]:
    """Run each detector in order, giving it what the earlier ones found; a failing detector is
    recorded in `errors` and the others still run."""
    raw: list[Finding] = []
    view = pixels.view()
    view.flags.writeable = False  # a detector that writes into the image fails loudly
    with shared_resizes(view):
        for det in detectors:
            try:
                raw.extend(det.detect(view, tuple(raw)))
            except Exception as exc:
                log.exception("detector %s failed", getattr(det, "name", det))
                if errors is not None:
                    errors[getattr(det, "name", repr(det))] = f"{type(exc).__name__}: {exc}"
    return raw


def scan(
    path: str | Path,
    detectors: Sequence[Detector] = (),
    options: ScanOptions | None = None,
) -> ScanResult:
    """Check one file: metadata always, pixels with every detector given. Never raises for a bad file:
    the problem is in `ScanResult.error`."""
    opts = options or ScanOptions()
    path = Path(path)
    result = ScanResult(path=path)
    started = time.perf_counter()
    try:
        data = _read(path)
        result.sha256 = sha256_bytes(data)
        image = load_image_bytes(data, max_pixels=opts.max_pixels)
        result.format, result.width, result.height = image.format, image.width, image.height
        result.metadata = read_metadata(data, image.format)
        raw = run_detectors(image.pixels, detectors, result.detector_errors)
        result.findings = postprocess(raw, image.width, image.height, opts.padding_scale)
    except ShareSafeError as exc:
        result.error = str(exc)
    except MemoryError:
        result.error = "not enough memory to open this image"
    except Exception as exc:
        log.exception("unexpected error scanning %s", path)
        result.error = f"unexpected error: {type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - started
    return result


def collect_paths(inputs: Iterable[str | Path], recursive: bool = False) -> list[Path]:
    """Expand folders into the image files inside (by extension; the type is still checked from the
    bytes). Files named directly are always kept, whatever their extension, so they get an error
    rather than silence if they are not photos."""
    out: list[Path] = []
    seen: set[Path] = set()
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            walker = sorted(p.rglob("*") if recursive else p.iterdir())
            candidates = [
                c
                for c in walker
                if c.is_file()
                and c.suffix.lower() in formats.IMAGE_SUFFIXES
                and not any(part.startswith(".") for part in c.relative_to(p).parts)
            ]
        else:
            candidates = [p]
        for c in candidates:
            key = c.resolve() if c.exists() else c.absolute()
            if key not in seen:
                seen.add(key)
                out.append(c)
    return out


def scan_many(
    inputs: Iterable[str | Path],
    detectors: Sequence[Detector] = (),
    *,
    recursive: bool = False,
    options: ScanOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelFlag | None = None,
) -> Iterator[ScanResult]:
    """Scan every photo in `inputs` (files and folders), yielding one result per file in order.
    Stops early (without raising) when `cancel.is_set()`."""
    paths = collect_paths(inputs, recursive)
    for done, path in enumerate(paths, start=1):
        if cancel is not None and cancel.is_set():
            return
        result = scan(path, detectors, options)
        if progress is not None:
            progress(done, len(paths), path)
        yield result


def _export_name(source: Path, suffix: str, fmt: str) -> tuple[str, str]:
    return f"{source.stem}{suffix}", formats.EXTENSIONS[fmt]


def _verify_pixels_unchanged(original: bytes, stripped: bytes, max_pixels: int) -> None:
    a = load_image_bytes(original, max_pixels).pixels
    b = load_image_bytes(stripped, max_pixels).pixels
    if a.shape != b.shape or not np.array_equal(a, b):
        raise UnsafeExportError("lossless strip changed the picture; refusing to call it safe")


#: The first scan uses low thresholds so that it over-redacts. In the re-scan of a covered export,
#: the covers' own hard-edged shapes make weak new hits (a black bar read as text or a plate); a new
#: hit that touches a cover counts against the export only from this score up. Anything new away
#: from the covers counts whatever its score.
CONFIDENT_NEW_FINDING = 0.5


def verify_export(
    data: bytes,
    review: Review,
    detectors: Sequence[Detector],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[list[Finding], list[Finding]]:
    """Re-scan written bytes with the same detectors.

    Returns (everything the re-scan found, the problems): a problem is a finding still at least half
    inside a covered region, or one that matches nothing the user saw when deciding."""
    image = load_image_bytes(data, max_pixels)
    errors: dict[str, str] = {}
    raw = run_detectors(image.pixels, detectors, errors)
    if errors:
        raise UnsafeExportError(
            "the re-scan of the export failed: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
        )
    rescan = postprocess(raw, image.width, image.height)
    regions = review.regions()
    # A solid rectangle leaves nothing of what was under it; blur, pixelation and ellipses (whose
    # corners stay) can leave something for a detector to find.
    solid = [box for box, style in regions if style is Style.FILL and review.shape is Shape.RECTANGLE]
    soft = [box for box, style in regions if box not in solid]
    seen = [*review.left_findings, *review.covered_findings]
    problems: list[Finding] = []
    for f in rescan:
        if solid and covered_share(f.box, solid) >= 0.5:
            continue  # mostly solid fill: an artefact of the cover itself (e.g. a black box read as a plate)
        if soft and covered_share(f.box, soft) >= 0.5:
            problems.append(f)  # still found where we blurred or pixelated
            continue
        if any(f.category is g.category and f.box.iou(g.box) > 0.2 for g in seen):
            continue  # the user saw it and decided
        touches_cover = any(f.box.intersection(box) > 0 for box, _ in regions)
        if touches_cover and f.score < CONFIDENT_NEW_FINDING:
            continue  # a weak hit on the edge of a cover: the cover's own shapes, recorded only
        problems.append(f)  # a finding the user never saw
    return rescan, problems


def export(
    result: ScanResult,
    out_dir: str | Path,
    review: Review | None = None,
    options: ExportOptions | None = None,
    detectors: Sequence[Detector] = (),
) -> ExportResult:
    """Write a safe copy of `result.path` into `out_dir` and verify it. Never overwrites anything,
    never touches the original. A failed verification removes nothing but marks the export unsafe
    (`verified=False`, `error` set) so the caller can tell the user."""
    opts = options or ExportOptions()
    review = review or Review(result, style=opts.style, shape=opts.shape)
    out_dir = Path(out_dir)
    res = ExportResult(source=result.path, output=None, source_sha256=result.sha256)
    if result.error is not None:
        res.error = f"not exported: {result.error}"
        return res
    try:
        data = _read(result.path)
        if sha256_bytes(data) != result.sha256:
            raise ShareSafeError("the file changed since it was scanned; scan it again")
        src_fmt = result.format or formats.sniff(data[:64]) or ""
        out_bytes, out_fmt, res.mode = _produce(data, src_fmt, review, opts)
        if out_dir.resolve() == result.path.parent.resolve() and opts.suffix == "":
            raise ShareSafeError("refusing to write next to the original without a suffix")
        stem, ext = _export_name(result.path, opts.suffix, out_fmt)
        written = write_unique(out_dir, stem, ext, out_bytes)
        res.output = written
        res.covered = review.covered_findings + review.manual_findings
        res.left = review.left_findings
        res.metadata_removed = list(result.metadata)
        # Verification reads the file back from disk, not the bytes we meant to write.
        on_disk = written.read_bytes()
        res.output_sha256 = sha256_bytes(on_disk)
        res.leftover = leftover_metadata(on_disk, out_fmt, allow_icc=opts.embed_srgb)
        if res.mode == "lossless":
            _verify_pixels_unchanged(data, on_disk, opts.max_pixels)
        elif opts.rescan and detectors:
            res.rescan_findings, problems = verify_export(
                on_disk, review, detectors, max_pixels=opts.max_pixels
            )
            if problems:
                names = ", ".join(f"{p.category.value} at {p.box.as_list()}" for p in problems[:5])
                raise UnsafeExportError(f"the re-scan of the export still finds: {names}")
        if res.leftover:
            tags = ", ".join(f"{m.group}:{m.tag}" for m in res.leftover[:8])
            raise UnsafeExportError(f"metadata is still present in the export: {tags}")
        res.verified = True
    except ShareSafeError as exc:
        res.error = str(exc)
    except Exception as exc:
        log.exception("unexpected error exporting %s", result.path)
        res.error = f"unexpected error: {type(exc).__name__}: {exc}"
    return res


def _produce(data: bytes, src_fmt: str, review: Review, opts: ExportOptions) -> tuple[bytes, str, str]:
    """Return (bytes, format, mode): a lossless strip when asked for and possible, else a re-encode."""
    if opts.metadata_only and not review.needs_pixels_changed:
        try:
            return strip_lossless(data, src_fmt), src_fmt, "lossless"
        except (UnsupportedFormatError, CorruptImageError) as exc:
            # HEIC, TIFF, GIF, BMP, or a JPEG too damaged to walk segment by segment: the pixels
            # still decode, so a re-encode gives a clean copy.
            log.info("no lossless strip for %s (%s); re-encoding", src_fmt, exc)
    image = load_image_bytes(data, opts.max_pixels)
    pixels = image.export_pixels
    if review.needs_pixels_changed:
        pixels = cover(pixels, review.regions(), shape=review.shape)
    alpha = image.alpha
    if alpha is not None and review.needs_pixels_changed:
        alpha = alpha.copy()
        for box, _ in review.regions():
            alpha[box.y1 : box.y2, box.x1 : box.x2] = 255  # covered areas must be opaque
    out_fmt = export_format_for(src_fmt, opts.output_format)
    return encode(pixels, out_fmt, alpha=alpha, embed_srgb=opts.embed_srgb), out_fmt, "reencode"


def default_out_dir(source: Path) -> Path:
    return source.parent / "sharesafe-out"


__all__ = [
    "CancelFlag",
    "Cancelled",
    "ExportOptions",
    "ProgressCallback",
    "ScanOptions",
    "collect_paths",
    "default_out_dir",
    "export",
    "run_detectors",
    "scan",
    "scan_many",
    "verify_export",
]
