"""What the app's background jobs do: thin bodies over the core flow (`sharesafe.jobs`), run by
`desktop.workers.Job` off the GUI thread. Checking photos and making safe copies use the same batch
loop as the CLI (`check_many`, `make_many`); nothing here exports or writes an audit record itself."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PySide6.QtGui import QImage

from desktop import imaging, kit
from desktop.workers import JobContext
from sharesafe.detector import Detector
from sharesafe.image import load_image
from sharesafe.jobs import (
    Checked,
    Job,
    OutputFolder,
    SafeCopy,
    check_many,
    collect_paths,
    make_many,
    write_batch_record,
)
from sharesafe.policy import Profile
from sharesafe.redact import Shape, Style, cover
from sharesafe.types import Box

Pixels = npt.NDArray[np.uint8]
DetectorLoader = Callable[[], Sequence[Detector]]


@dataclass(slots=True)
class Loaded:
    detectors: list[Detector]
    problems: list[str]


def load_detectors(ctx: JobContext, loader: DetectorLoader, kit_dir: Path | None) -> Loaded:
    """Build and load every detector (and the force kit); one that fails is reported, not fatal."""
    dets = list(loader())
    out = Loaded([], [])
    for i, det in enumerate(dets, start=1):
        ctx.progress(i - 1, len(dets), det.name)
        try:
            det.load()
            out.detectors.append(det)
        except Exception as exc:  # noqa: BLE001 - one broken detector must not stop the others
            out.problems.append(f"detector {det.name} could not load: {type(exc).__name__}: {exc}")
    if kit_dir is not None:
        ctx.progress(len(dets), len(dets) + 1, "force kit")
        try:
            out.detectors.append(kit.build_detector(kit_dir))
        except Exception as exc:  # noqa: BLE001 - a bad kit is reported, the scan goes on
            out.problems.append(f"the force kit in {kit_dir} cannot be used: {exc}")
    return out


@dataclass(slots=True)
class Found:
    """The photos a batch will check (streamed first), and the files it skips with the reason."""

    paths: list[Path]
    skipped: list[tuple[Path, str]]


@dataclass(slots=True)
class CheckedPhoto:
    """One photo checked (streamed as each one is done, in input order)."""

    path: Path
    checked: Checked
    thumb: QImage | None


def check_photos(
    ctx: JobContext,
    inputs: Sequence[Path],
    recursive: bool,
    exclude: Sequence[Path],
    detectors: Sequence[Detector],
    profile: Profile,
) -> int:
    """Find the photos in `inputs` and check each (the core's batch loop); returns how many."""
    skipped: list[tuple[Path, str]] = []
    found = collect_paths(inputs, recursive, skipped=skipped, exclude=exclude)
    ctx.emit(Found(found, skipped))
    done = 0
    for done, checked in enumerate(check_many(found, detectors, profile, cancel=ctx), start=1):
        thumb = imaging.thumbnail(checked.path) if checked.ok else None
        ctx.emit(CheckedPhoto(checked.path, checked, thumb))
        ctx.progress(done, len(found), checked.path.name)
    return done


@dataclass(slots=True)
class CopiesMade:
    copies: list[SafeCopy]
    records: list[Path] = field(default_factory=list)  # the HTML audit records written
    problems: list[str] = field(default_factory=list)


def make_copies(ctx: JobContext, jobs: Sequence[Job], detectors: Sequence[Detector]) -> CopiesMade:
    """Make the safe copy of every job (the core's flow: verified, recorded, or refused); one batch
    record for several. Each output folder is tidied and held for the batch."""
    out = CopiesMade([])
    with contextlib.ExitStack() as stack:
        for folder in dict.fromkeys(j.out_dir for j in jobs):
            stack.enter_context(OutputFolder.open(folder))
        for i, copy in enumerate(make_many(jobs, detectors, cancel=ctx), start=1):
            out.copies.append(copy)
            if copy.audit is not None:
                out.records.append(copy.audit.html)
            if copy.audit_error:
                out.problems.append(copy.audit_error)
            ctx.progress(i, len(jobs), copy.checked.path.name)
    if len(jobs) > 1:
        try:
            batch = write_batch_record(out.copies, jobs[0].out_dir)
            if batch is not None:
                out.records.append(batch.html)
        except OSError as exc:
            out.problems.append(f"the batch audit record could not be written: {exc}")
    return out


def decode(path: Path) -> tuple[Pixels, QImage]:
    """The photo's upright pixels and the image to show."""
    pixels = load_image(path).pixels
    return pixels, imaging.to_qimage(pixels)


def preview(pixels: Pixels, regions: list[tuple[Box, Style]], shape: Shape) -> QImage:
    """What the safe copy will look like."""
    return imaging.to_qimage(cover(pixels, regions, shape=shape))
