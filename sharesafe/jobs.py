"""The one check-and-make-safe flow: the CLI (`scan`, `clean`, `demo`), the desktop app and the
self-test all check photos, propose what to cover and make safe copies through this module, and
reach the export and the audit record only through it.

    checked = check(path, detectors, profile)        # scan + the policy's assessment
    review = default_review(checked)                 # what is covered by default: the profile's "cover"
    review.set_cover("f2", False)                    # the user's changes, by finding id
    done = make_safe(checked, review, out_dir, options, detectors=detectors)

`make_safe` refuses a photo whose verdict is "Do not share" (covering cannot fix it: a police station
filling the frame, an armed officer in uniform) unless `force=True`, which the audit record then says.
Otherwise a copy is named safe only after it verified, and only once its audit record is on disk:

1. `pipeline.export` writes the copy to a hidden temporary file and verifies what is on disk;
2. verified: the audit record `NAME-safe.audit.*` is written, then the copy gets its name
   `NAME-safe.jpg` (a hard link: never overwrites). A kill at any moment leaves at worst a record
   without a copy or a temporary `.part` file, which the next run removes;
3. not verified: the copy is kept as `NOT-SAFE/NAME.unverified.jpg` with its record (the reason)
   beside it, never under a safe name.

`check_many` and `make_many` are the batch loop every front end shares: photos are worked on by a
few threads at once (decoding, metadata, encoding and the export's checks overlap with the
detectors, each detector still seeing one photo at a time), results come back in input order, and
at most a few photos are in memory at any moment, however long the batch.

`OutputFolder` (`sharesafe.output_folder`) is what a batch knows about its output folder: which
sources already have a verified copy, and what a killed run left behind.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from sharesafe import audit
from sharesafe.detector import Detector, ModelInfo, RGBImage
from sharesafe.output_folder import OutputFolder, audit_paths, source_sha256
from sharesafe.pipeline import (
    NOT_SAFE_DIR,
    ExportOptions,
    ScanOptions,
    collect_paths,
    default_out_dir,
    export,
    scan,
    verify_export,
)
from sharesafe.policy import Action, PolicyAssessment, Profile, Verdict, evaluate
from sharesafe.review import Review
from sharesafe.types import Category, ExportResult, Finding, ScanResult

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


# -- one photo ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Checked:
    """One photo checked: the scan (every finding with its id) and the policy profile's assessment."""

    scan: ScanResult
    assessment: PolicyAssessment

    @property
    def path(self) -> Path:
        return self.scan.path

    @property
    def ok(self) -> bool:
        return self.scan.ok

    @property
    def verdict(self) -> Verdict:
        return self.assessment.verdict

    @property
    def blocked(self) -> bool:
        """The policy says "Do not share" and covering cannot change that (a file that could not be
        checked is not blocked: it fails)."""
        return self.scan.ok and self.assessment.verdict is Verdict.DO_NOT_SHARE

    @property
    def blocked_because(self) -> str:
        why = self.assessment.unfixable
        return "; ".join(w for w in why if w) or "the policy says not to share this photo"


def judge(result: ScanResult, profile: Profile) -> Checked:
    """The profile's assessment of a scan (a new profile for a photo already checked costs no pixels)."""
    return Checked(result, evaluate(result, profile))


def check(
    path: str | Path, detectors: Sequence[Detector], profile: Profile, options: ScanOptions | None = None
) -> Checked:
    """Check one photo: its metadata, every detector, and the profile's verdict. Never raises for a bad
    file (the problem is in `checked.scan.error`)."""
    return judge(scan(path, detectors, options), profile)


def default_review(
    checked: Checked, options: ExportOptions | None = None, *, metadata_only: bool | None = None
) -> Review:
    """What is covered by default, the one rule every front end uses: a finding is covered when the
    policy profile's action for it is "cover" (it is shown, unticked, for "ask" and "none").

    The look of the cover (style and shape) comes from `options`. With metadata only (`options` or
    `metadata_only`) nothing is covered: every finding the profile would cover is recorded as left by
    the user's choice.
    """
    opts = options or ExportOptions()
    defaults = {f.id: False for f in checked.scan.findings}
    for decision in checked.assessment.findings:
        if decision.finding_id is not None and decision.finding_id in defaults:
            defaults[decision.finding_id] = decision.action is Action.COVER
    review = Review(checked.scan, defaults, style=opts.style, shape=opts.shape)
    if opts.metadata_only if metadata_only is None else metadata_only:
        review.leave_all()
    return review


@dataclass(slots=True)
class SafeCopy:
    """What `make_safe` did for one photo."""

    checked: Checked
    review: Review
    #: None when nothing was written: the photo was refused (`refused`).
    export: ExportResult | None
    entry: audit.AuditEntry | None
    #: The record beside the copy (or beside the NOT-SAFE copy); None when none could be written.
    audit: audit.AuditPaths | None = None
    audit_error: str | None = None
    #: Why no copy was written although the scan worked: the verdict is "Do not share".
    refused: str | None = None
    #: A copy was written although the verdict is "Do not share" (the user's explicit choice).
    forced: bool = False

    @property
    def ok(self) -> bool:
        return self.export is not None and self.export.ok


def make_safe(
    checked: Checked,
    review: Review,
    out_dir: Path,
    options: ExportOptions | None = None,
    *,
    detectors: Sequence[Detector] = (),
    force: bool = False,
    full_detail: bool = False,
) -> SafeCopy:
    """Export, verify and record one photo; see the module docstring for the order of the steps.

    A photo whose verdict is "Do not share" is refused (nothing written) unless `force`. With
    `options.metadata_only` and nothing to cover, no detector re-checks the copy."""
    if review.scan is not checked.scan:
        raise ValueError("the review is of another scan than the checked photo")
    result, assessment = checked.scan, checked.assessment
    if checked.blocked and not force:
        return SafeCopy(checked, review, None, None, refused=checked.blocked_because)
    forced = checked.blocked
    opts = options or ExportOptions()
    checkers = () if opts.metadata_only and not review.needs_pixels_changed else detectors
    written: dict[str, audit.AuditPaths] = {}

    def entry_for(res: ExportResult) -> audit.AuditEntry:
        return audit.AuditEntry(result, res, assessment, review, forced=forced)

    def record_first(res: ExportResult, target: Path) -> Callable[[], None]:
        paths = audit_paths(target.parent, target.stem)
        res.output = target
        try:
            # Claims the name: raises FileExistsError when another writer's record (or a killed
            # run's, which the next batch start removes) is there, and the copy takes the next name.
            audit.write_audit(
                [entry_for(res)], target.parent, f"{target.stem}.audit", full_detail=full_detail, exact=True
            )
        except FileExistsError:
            res.output = None
            raise
        except BaseException:
            res.output = None
            for p in paths.all():
                p.unlink(missing_ok=True)
            raise
        written["paths"] = paths

        def undo() -> None:
            res.output = None
            for p in written.pop("paths").all():
                p.unlink(missing_ok=True)

        return undo

    exported = export(result, out_dir, review, opts, checkers, before_naming=record_first)
    if exported.output is None and "paths" in written:
        # Named nowhere after all (an error after the record was written): no record without a copy.
        for p in written.pop("paths").all():
            p.unlink(missing_ok=True)
    entry = entry_for(exported)
    done = SafeCopy(checked, review, exported, entry, written.get("paths"), forced=forced)
    if exported.output is None and exported.unsafe_copy is not None:
        try:
            done.audit = audit.write_audit(
                [entry],
                exported.unsafe_copy.parent,
                f"{exported.unsafe_copy.stem}.audit",
                full_detail=full_detail,
            )
        except OSError as exc:
            done.audit_error = f"the audit record could not be written: {exc.strerror or exc}"
    if exported.output is None and exported.unsafe_copy is None and exported.verified:
        done.audit_error = exported.error
    return done


def recheck(data: bytes, review: Review, detectors: Sequence[Detector]) -> list[Finding]:
    """Re-scan the bytes of a written copy as the export's verification does; what it still finds
    that the review did not cover (empty for a good copy)."""
    return verify_export(data, review, detectors)[1]


def write_batch_record(
    copies: Iterable[SafeCopy], directory: Path, *, full_detail: bool = False, stem: str | None = None
) -> audit.AuditPaths | None:
    """One audit record for every copy of a batch (written or kept as NOT SAFE); None when fewer than
    two. `stem` replaces the time-stamped name and overwrites (the demo's fixed record)."""
    entries = [
        c.entry
        for c in copies
        if c.entry is not None
        and c.export is not None
        and (c.export.output is not None or c.export.unsafe_copy is not None)
    ]
    if stem is None and len(entries) < 2:
        return None
    if not entries:
        return None
    return audit.write_audit(
        entries,
        directory,
        stem or audit.batch_stem(),
        full_detail=full_detail,
        overwrite=stem is not None,
    )


# -- the batch loop -------------------------------------------------------------------------------


def default_workers() -> int:
    """Photos worked on at once: one per core, at most 4 (each holds a decoded photo in memory)."""
    return max(1, min(4, os.cpu_count() or 1))


class _OneAtATime:
    """A detector shared by the batch's threads: each call holds the detector's own lock, so a
    detector sees one photo at a time while other detectors work on other photos."""

    def __init__(self, inner: Detector) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.categories: frozenset[Category] = inner.categories
        self.info: ModelInfo = inner.info
        # what it reads from earlier detectors (sharesafe.schedule), so a photo's detectors still run
        # side by side inside a batch
        context = getattr(inner, "context_categories", None)
        if context is not None:
            self.context_categories: frozenset[Category] = frozenset(context)
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            self.inner.load()

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        with self._lock:
            return self.inner.detect(image, context)


def shared(detectors: Sequence[Detector]) -> list[Detector]:
    """The detectors wrapped for the batch's threads (each detector one photo at a time)."""
    return [d if isinstance(d, _OneAtATime) else _OneAtATime(d) for d in detectors]


def in_order(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    workers: int | None = None,
    cancel: CancelFlag | None = None,
) -> Iterator[R]:
    """`work(item)` for every item on `workers` threads, yielded in input order.

    At most `2 * workers` items are taken ahead of the one being yielded, so memory stays bounded
    however long `items` is. When `cancel` is set no new item starts; the ones already started finish
    and are yielded. An exception in `work` is raised here, in order."""
    n = workers or default_workers()
    source = iter(items)
    if n <= 1:
        for item in source:
            if cancel is not None and cancel.is_set():
                return
            yield work(item)
        return
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="sharesafe-batch") as pool:

        def fill() -> None:
            while len(pending) < 2 * n and not (cancel is not None and cancel.is_set()):
                try:
                    item = next(source)
                except StopIteration:
                    return
                pending.append(pool.submit(work, item))

        try:
            fill()
            while pending:
                head = pending.popleft()
                if cancel is not None and cancel.is_set() and head.cancel():
                    continue  # not started yet
                result = head.result()
                fill()
                yield result
        finally:
            for f in pending:
                f.cancel()


def check_many(
    paths: Iterable[Path],
    detectors: Sequence[Detector],
    profile: Profile,
    options: ScanOptions | None = None,
    *,
    workers: int | None = None,
    cancel: CancelFlag | None = None,
) -> Iterator[Checked]:
    """`check` every photo, a few at once, yielded in input order (see `in_order`)."""
    n = workers or default_workers()
    dets = shared(detectors) if n > 1 else list(detectors)
    yield from in_order(paths, lambda p: check(p, dets, profile, options), workers=n, cancel=cancel)


@dataclass(slots=True)
class Job:
    """One photo of a `make_many` batch: its check, the review to apply and where the copy goes."""

    checked: Checked
    review: Review
    out_dir: Path
    options: ExportOptions | None = None
    force: bool = False


def make_many(
    jobs: Iterable[Job],
    detectors: Sequence[Detector],
    *,
    full_detail: bool = False,
    workers: int | None = None,
    cancel: CancelFlag | None = None,
) -> Iterator[SafeCopy]:
    """`make_safe` every job, a few at once, yielded in input order (see `in_order`). The caller holds
    each output folder open (`OutputFolder.open`) for the batch."""
    n = workers or default_workers()
    dets = shared(detectors) if n > 1 else list(detectors)

    def work(job: Job) -> SafeCopy:
        return make_safe(
            job.checked,
            job.review,
            job.out_dir,
            job.options,
            detectors=dets,
            force=job.force,
            full_detail=full_detail,
        )

    yield from in_order(jobs, work, workers=n, cancel=cancel)


@dataclass(slots=True)
class Cleaned:
    """One photo of a `clean_many` batch: resumed (its verified copy was already there), refused,
    or checked and made safe."""

    path: Path
    sha256: str | None = None
    resumed: Path | None = None
    checked: Checked | None = None
    copy: SafeCopy | None = None


def clean_many(
    paths: Iterable[Path],
    detectors: Sequence[Detector],
    profile: Profile,
    folder: OutputFolder,
    *,
    scan_options: ScanOptions | None = None,
    options: ExportOptions | None = None,
    redo: bool = False,
    force: bool = False,
    full_detail: bool = False,
    workers: int | None = None,
    cancel: CancelFlag | None = None,
) -> Iterator[Cleaned]:
    """Check each photo and make its safe copy with the default review into `folder`, a few at once,
    in input order: `sharesafe clean` and the demo. A photo whose verified copy and record are already
    in the folder is skipped (resumed) unless `redo`."""
    n = workers or default_workers()
    dets = shared(detectors) if n > 1 else list(detectors)
    opts = options or ExportOptions()

    def work(path: Path) -> Cleaned:
        if not redo:
            sha = source_sha256(path)
            copy = folder.already_safe(sha) if sha else None
            if copy is not None:
                return Cleaned(path, sha, resumed=copy)
        checked = check(path, dets, profile, scan_options)
        review = default_review(checked, opts)
        made = make_safe(
            checked, review, folder.path, opts, detectors=dets, force=force, full_detail=full_detail
        )
        return Cleaned(path, checked.scan.sha256, checked=checked, copy=made)

    yield from in_order(paths, work, workers=n, cancel=cancel)


__all__ = [
    "NOT_SAFE_DIR",
    "CancelFlag",
    "Checked",
    "Cleaned",
    "ExportOptions",
    "Job",
    "OutputFolder",
    "SafeCopy",
    "ScanOptions",
    "check",
    "check_many",
    "clean_many",
    "collect_paths",
    "default_out_dir",
    "default_review",
    "default_workers",
    "in_order",
    "judge",
    "make_many",
    "make_safe",
    "recheck",
    "shared",
    "source_sha256",
    "write_batch_record",
]
