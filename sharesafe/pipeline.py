"""Scan photos, export safe copies, and verify every export before calling it clean."""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sharesafe import formats, schedule
from sharesafe.detector import Detector
from sharesafe.encode import encode, export_format_for
from sharesafe.errors import (
    CorruptImageError,
    ShareSafeError,
    UnsafeExportError,
    UnsupportedFormatError,
    readable,
)
from sharesafe.findings import postprocess
from sharesafe.fsutil import (
    DEFAULT_MAX_BYTES,
    link_new,
    read_regular_file,
    sha256_bytes,
    unique_path,
    write_part,
)
from sharesafe.geometry import covered_share
from sharesafe.image import DEFAULT_MAX_PIXELS, load_image_bytes
from sharesafe.metadata import leftover_metadata, read_metadata, strip_lossless
from sharesafe.redact import Shape, Style, cover
from sharesafe.resize import shared_resizes
from sharesafe.review import Review
from sharesafe.types import ExportResult, Finding, ScanResult

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ScanOptions:
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_bytes: int = DEFAULT_MAX_BYTES
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
    max_bytes: int = DEFAULT_MAX_BYTES


def run_detectors(
    pixels: np.ndarray, detectors: Sequence[Detector], errors: dict[str, str] | None = None
) -> list[Finding]:
    """Run each detector, giving it what the earlier ones found (independent ones side by side, with
    the result of running them in turn: `sharesafe.schedule`); a failing detector is recorded in
    `errors` and the others still run."""
    view = pixels.view()
    view.flags.writeable = False  # a detector that writes into the image fails loudly
    with shared_resizes(view):
        return schedule.run_detectors(view, detectors, errors)


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
        data = read_regular_file(path, opts.max_bytes)
        result.sha256 = sha256_bytes(data)
        image = load_image_bytes(data, max_pixels=opts.max_pixels)
        result.format, result.width, result.height = image.format, image.width, image.height
        result.metadata = read_metadata(data, image.format)
        raw = run_detectors(image.pixels, detectors, result.detector_errors)
        result.findings = postprocess(raw, image.width, image.height, opts.padding_scale)
        result.ensure_ids()  # from here on, every decision names a finding by its id
    except ShareSafeError as exc:
        result.error = str(exc)
    except MemoryError:
        result.error = "not enough memory to open this image"
    except Exception as exc:
        log.exception("unexpected error scanning %s", path)
        result.error = f"unexpected error: {type(exc).__name__}: {readable(exc)}"
    result.seconds = time.perf_counter() - started
    return result


def _skip_reason(path: Path, top: Path) -> str | None:
    """Why a file found inside a folder is not checked (None: it is checked)."""
    if any(part.startswith(".") for part in path.relative_to(top).parts):
        return "hidden"
    try:
        mode = path.lstat().st_mode if not path.is_symlink() else path.stat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if stat.S_ISDIR(mode):
        return None  # walked into, not listed
    if not stat.S_ISREG(mode):
        return "a special file (pipe, device or socket), not a photo"
    if path.suffix.lower() not in formats.IMAGE_SUFFIXES:
        return f"not a photo file name ({path.suffix or 'no extension'})"
    return None


def _inside(path: Path, folders: Sequence[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == f or f in resolved.parents for f in folders)


def collect_paths(
    inputs: Iterable[str | Path],
    recursive: bool = False,
    *,
    skipped: list[tuple[Path, str]] | None = None,
    exclude: Sequence[Path] = (),
) -> list[Path]:
    """Expand folders into the image files inside (by extension; the type is still checked from the
    bytes). Files named directly are always kept, whatever their extension, so they get an error
    rather than silence if they are not photos. Files found in a folder but not checked (hidden,
    another extension, special files, anything under an `exclude` folder such as the output folder)
    are appended to `skipped` with the reason."""
    out: list[Path] = []
    seen: set[Path] = set()
    excluded = [Path(e).resolve() for e in exclude]
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            candidates = []
            walker = sorted(p.rglob("*") if recursive else p.iterdir())
            for c in walker:
                if excluded and _inside(c, excluded):
                    if c.is_file() and skipped is not None:
                        skipped.append((c, "inside the output folder"))
                    continue
                reason = _skip_reason(c, p)
                if reason is None:
                    if not c.is_dir():
                        candidates.append(c)
                elif reason == "hidden" and any(q.startswith(".") for q in c.relative_to(p).parts[:-1]):
                    continue  # inside a hidden folder, which is listed once
                elif skipped is not None and (recursive or not c.is_dir()):
                    skipped.append((c, "hidden folder" if c.is_dir() else reason))
        else:
            candidates = [p]
        for c in candidates:
            key = c.resolve() if c.exists() else c.absolute()
            if key not in seen:
                seen.add(key)
                out.append(c)
    return out


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
    inside a covered region, or one that matches nothing the user saw when deciding (what the first
    scan found, where it found it and where the user moved it)."""
    image = load_image_bytes(data, max_pixels)
    errors: dict[str, str] = {}
    raw = run_detectors(image.pixels, detectors, errors)
    if errors:
        raise UnsafeExportError(
            "the re-scan of the export failed: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
        )
    # The re-scan's findings are not the scan's: they get ids of their own ("r1", "r2", ...).
    rescan = [f.with_id(f"r{i}") for i, f in enumerate(postprocess(raw, image.width, image.height), 1)]
    regions = review.regions()
    # A solid rectangle leaves nothing of what was under it; blur, pixelation and ellipses (whose
    # corners stay) can leave something for a detector to find.
    solid = [box for box, style in regions if style is Style.FILL and review.shape is Shape.RECTANGLE]
    soft = [box for box, style in regions if box not in solid]
    seen = [*review.scan.findings, *review.findings]
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


#: Sub-folder of the output folder for copies that failed verification. They never carry the
#: safe suffix: `NOT-SAFE/photo.unverified.jpg`, with the reason in the audit record beside it.
NOT_SAFE_DIR = "NOT-SAFE"
UNVERIFIED_MARK = ".unverified"

#: Called with a verified result and the name its copy is about to get, before it gets it (the audit
#: record is written here, so that a copy named safe always has its record). Returns what undoes it
#: should the name be taken after all; raises FileExistsError to skip the name, or OSError.
BeforeNaming = Callable[[ExportResult, Path], Callable[[], None]]


def export(
    result: ScanResult,
    out_dir: str | Path,
    review: Review,
    options: ExportOptions | None = None,
    detectors: Sequence[Detector] = (),
    before_naming: BeforeNaming | None = None,
) -> ExportResult:
    """Write a copy of `result.path` into `out_dir`, verify it, and only then name it safe.

    The copy is written to a hidden temporary file (`.NAME.XXXX.part`), read back from disk and
    verified. Verified: it gets its final never-overwriting name (`NAME-safe.jpg`, `-2`, ...) with
    `before_naming` called just before. Not verified: it is kept as `NOT-SAFE/NAME.unverified.jpg`
    (`unsafe_copy`), never under a safe name. The original is never touched."""
    opts = options or ExportOptions()
    out_dir = Path(out_dir)
    res = ExportResult(source=result.path, output=None, source_sha256=result.sha256)
    if result.error is not None:
        res.error = f"not exported: {result.error}"
        return res
    temp: Path | None = None
    try:
        data = read_regular_file(result.path, opts.max_bytes)
        if sha256_bytes(data) != result.sha256:
            raise ShareSafeError("the file changed since it was scanned; scan it again")
        src_fmt = result.format or formats.sniff(data[:64]) or ""
        out_bytes, out_fmt, res.mode = _produce(data, src_fmt, review, opts)
        if out_dir.resolve() == result.path.parent.resolve() and opts.suffix == "":
            raise ShareSafeError("refusing to write next to the original without a suffix")
        stem, ext = _export_name(result.path, opts.suffix, out_fmt)
        res.covered = review.covered_findings + review.manual_findings
        res.left = review.left_findings
        res.metadata_removed = list(result.metadata)
        temp = write_part(out_dir, stem + ext, out_bytes)
        try:
            _verify_written(temp, data, out_fmt, review, res, opts, detectors)
        except ShareSafeError as exc:
            res.error = str(exc)
            res.unsafe_copy = _keep_unverified(temp, out_dir, result.path.stem, ext)
            return res
        except Exception as exc:
            log.exception("unexpected error verifying %s", result.path)
            res.error = f"unexpected error while verifying: {type(exc).__name__}: {readable(exc)}"
            res.unsafe_copy = _keep_unverified(temp, out_dir, result.path.stem, ext)
            return res
        res.verified = True
        res.output = _name_verified(temp, out_dir, stem, ext, res, before_naming)
    except ShareSafeError as exc:
        res.error = str(exc)
    except OSError as exc:
        res.error = f"could not write the safe copy: {exc.strerror or readable(exc)}"
    except Exception as exc:
        log.exception("unexpected error exporting %s", result.path)
        res.error = f"unexpected error: {type(exc).__name__}: {readable(exc)}"
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)
    return res


def _verify_written(
    temp: Path,
    original: bytes,
    out_fmt: str,
    review: Review,
    res: ExportResult,
    opts: ExportOptions,
    detectors: Sequence[Detector],
) -> None:
    """Check the bytes on disk (not the bytes we meant to write); raise UnsafeExportError if unsafe."""
    on_disk = temp.read_bytes()
    res.output_sha256 = sha256_bytes(on_disk)
    res.leftover = leftover_metadata(on_disk, out_fmt, allow_icc=opts.embed_srgb)
    if res.mode == "lossless":
        _verify_pixels_unchanged(original, on_disk, opts.max_pixels)
    elif opts.rescan and detectors:
        res.rescan_findings, problems = verify_export(on_disk, review, detectors, max_pixels=opts.max_pixels)
        if problems:
            names = ", ".join(f"{p.category.value} at {p.box.as_list()}" for p in problems[:5])
            raise UnsafeExportError(f"the re-scan of the export still finds: {names}")
    if res.leftover:
        tags = ", ".join(f"{m.group}:{m.tag}" for m in res.leftover[:8])
        raise UnsafeExportError(f"metadata is still present in the export: {tags}")


def _name_verified(
    temp: Path, out_dir: Path, stem: str, ext: str, res: ExportResult, before_naming: BeforeNaming | None
) -> Path:
    taken: set[Path] = set()
    for _ in range(1000):
        target = unique_path(out_dir, stem, ext, skip=taken)
        taken.add(target)
        undo = None
        try:
            if before_naming is not None:
                undo = before_naming(res, target)
            link_new(temp, target)
        except FileExistsError:
            if undo is not None:
                undo()  # the name was taken after all: what we wrote for it goes
            continue  # another writer took the name (or its record's) in the meantime: the next one
        return target
    raise ShareSafeError(f"could not find a free name for {stem}{ext} in {out_dir}")


def _keep_unverified(temp: Path, out_dir: Path, source_stem: str, ext: str) -> Path | None:
    """Keep a copy that failed verification where it cannot be taken for a safe one."""
    folder = out_dir / NOT_SAFE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(1000):
            target = unique_path(folder, f"{source_stem}{UNVERIFIED_MARK}", ext)
            try:
                link_new(temp, target)
                return target
            except FileExistsError:
                continue
    except OSError as exc:
        log.warning("could not keep the unverified copy of %s: %s", source_stem, exc)
    return None


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
    "NOT_SAFE_DIR",
    "UNVERIFIED_MARK",
    "BeforeNaming",
    "ExportOptions",
    "ScanOptions",
    "collect_paths",
    "default_out_dir",
    "export",
    "run_detectors",
    "scan",
    "verify_export",
]
