"""Make the safe copy of one checked photo, and keep an output folder in order: the one flow that the
CLI (`clean`, `demo`), the desktop app and the self-test all use.

A copy is named safe only after it verified, and only once its audit record is on disk:

1. `pipeline.export` writes the copy to a hidden temporary file and verifies what is on disk;
2. verified: the audit record `NAME-safe.audit.*` is written, then the copy gets its name
   `NAME-safe.jpg` (a hard link: never overwrites). A kill at any moment leaves at worst a record
   without a copy or a temporary `.part` file, which the next run removes;
3. not verified: the copy is kept as `NOT-SAFE/NAME.unverified.jpg` with its record (the reason)
   beside it, never under a safe name.

`OutputFolder` is what a batch knows about its output folder: which sources (by sha256) already have
a verified copy with its record (so a rerun resumes instead of writing `-2` copies), and what a killed
run left behind (removed or moved out of the safe set, and reported).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sharesafe import audit, formats
from sharesafe.detector import Detector
from sharesafe.fsutil import PART_SUFFIX, link_new, sha256_file, unique_path
from sharesafe.pipeline import NOT_SAFE_DIR, UNVERIFIED_MARK, ExportOptions, export
from sharesafe.policy import DEFAULT_PROFILE, PolicyAssessment, ReviewState, evaluate, load_profile
from sharesafe.review import Review
from sharesafe.types import ExportResult, ScanResult

log = logging.getLogger(__name__)

_AUDIT_SUFFIXES = (".json", ".csv", ".html")
_LOCK_NAME = ".sharesafe.lock"
#: Without file locks (not POSIX), a temporary file is taken for a killed run's only after this long.
_STALE_PART_SECONDS = 600.0


@dataclass(slots=True)
class SafeCopy:
    """What `make_safe` did for one photo."""

    export: ExportResult
    entry: audit.AuditEntry
    #: The record beside the copy (or beside the NOT-SAFE copy); None when none could be written.
    audit: audit.AuditPaths | None = None
    audit_error: str | None = None


def _audit_paths(directory: Path, stem: str) -> audit.AuditPaths:
    return audit.AuditPaths(*(directory / f"{stem}.audit{s}" for s in _AUDIT_SUFFIXES))


def make_safe(
    result: ScanResult,
    review: Review,
    out_dir: Path,
    *,
    assessment: PolicyAssessment | None = None,
    options: ExportOptions | None = None,
    detectors: Sequence[Detector] = (),
    full_detail: bool = False,
) -> SafeCopy:
    """Export, verify and record one photo; see the module docstring for the order of the steps.

    `assessment` defaults to the default profile's."""
    if assessment is None:
        assessment = evaluate(result, load_profile(DEFAULT_PROFILE))
    state = ReviewState.from_review(review)
    written: dict[str, audit.AuditPaths] = {}

    def record_first(res: ExportResult, target: Path) -> Callable[[], None]:
        paths = _audit_paths(target.parent, target.stem)
        if any(p.exists() for p in paths.all()):
            # Another writer's record (or a killed run's, which the next batch start removes):
            # never replaced; the copy takes the next free name.
            raise FileExistsError(str(paths.json))
        res.output = target
        try:
            audit.write_audit(
                [audit.AuditEntry(result, res, assessment, state)],
                target.parent,
                f"{target.stem}.audit",
                full_detail=full_detail,
                overwrite=True,  # checked free just above
            )
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

    exported = export(result, out_dir, review, options, detectors, before_naming=record_first)
    if exported.output is None and "paths" in written:
        # Named nowhere after all (an error after the record was written): no record without a copy.
        for p in written.pop("paths").all():
            p.unlink(missing_ok=True)
    entry = audit.AuditEntry(result, exported, assessment, state)
    done = SafeCopy(exported, entry, written.get("paths"))
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


@dataclass(slots=True)
class OutputFolder:
    """An output folder's verified copies by source sha256, and what a killed run left in it."""

    path: Path
    suffix: str = "-safe"
    done: dict[str, Path] = field(default_factory=dict)
    #: One line per thing cleaned up ("removed ...", "moved ... to NOT-SAFE/").
    cleaned: list[str] = field(default_factory=list)

    @classmethod
    @contextmanager
    def open(cls, path: Path, suffix: str = "-safe") -> Iterator[OutputFolder]:
        """Take the folder for one batch: clean what a killed run left (only when no other ShareSafe
        run holds the folder), then index the verified copies."""
        folder = cls(Path(path), suffix)
        with _exclusive(folder.path) as alone:
            if folder.path.is_dir():
                folder._clean(alone)
                folder._index()
            yield folder

    def already_safe(self, source_sha256: str) -> Path | None:
        """The verified copy of the source with this sha256, if the folder has one with its record."""
        return self.done.get(source_sha256)

    # -- internals ---------------------------------------------------------------------------

    def _records(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        for record_path in sorted(self.path.glob("*.audit.json")):
            try:
                doc = json.loads(record_path.read_text(encoding="utf-8"))
                files = doc["files"]
                if doc.get("record") != "sharesafe-audit" or len(files) != 1:
                    continue
                yield record_path, files[0]
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not one of ours, or damaged: left alone (a copy it names is re-checked)

    def _verified_output(self, rec: dict[str, Any]) -> Path | None:
        out = rec.get("output") or {}
        name = out.get("name")
        if not isinstance(name, str) or not (rec.get("verification") or {}).get("verified"):
            return None
        return self.path / Path(name).name

    def _index(self) -> None:
        for _, rec in self._records():
            copy = self._verified_output(rec)
            source = (rec.get("input") or {}).get("sha256")
            if copy is not None and isinstance(source, str) and copy.is_file():
                self.done.setdefault(source, copy)

    def _clean(self, alone: bool) -> None:
        now = time.time()
        for directory in (self.path, self.path / NOT_SAFE_DIR):
            if not directory.is_dir():
                continue
            for part in directory.glob(f".*{PART_SUFFIX}"):
                try:
                    if alone or now - part.stat().st_mtime > _STALE_PART_SECONDS:
                        part.unlink()
                        self.cleaned.append(f"removed {part.name} (left by an interrupted run)")
                except OSError:
                    continue
        if not alone:
            self.cleaned.append(
                "another ShareSafe run is writing to this folder; only old leftovers were removed"
            )
            return
        vouched: set[Path] = set()
        for record_path, rec in self._records():
            copy = self._verified_output(rec)
            if copy is None:
                continue
            sha = (rec.get("output") or {}).get("sha256")
            if not copy.is_file():
                for p in _audit_paths(record_path.parent, record_path.name[: -len(".audit.json")]).all():
                    p.unlink(missing_ok=True)
                self.cleaned.append(f"removed {record_path.name}: its copy was never named (interrupted run)")
            elif isinstance(sha, str) and sha256_file(copy) == sha:
                vouched.add(copy)
        for candidate in sorted(self.path.iterdir()):
            if (
                candidate in vouched
                or not candidate.is_file()
                or candidate.name.startswith(".")
                or not re.search(re.escape(self.suffix) + r"(-\d+)?$", candidate.stem)
                or candidate.suffix.lower() not in _IMAGE_EXTENSIONS
            ):
                continue
            moved = self._move_out(candidate)
            if moved is not None:
                self.cleaned.append(
                    f"moved {candidate.name} to {NOT_SAFE_DIR}/{moved.name}: no verified audit record vouches for it"
                )

    def _move_out(self, path: Path) -> Path | None:
        target_dir = self.path / NOT_SAFE_DIR
        try:
            target_dir.mkdir(exist_ok=True)
            stem = path.stem.replace(self.suffix, "")
            for _ in range(1000):
                target = unique_path(target_dir, f"{stem}{UNVERIFIED_MARK}", path.suffix)
                try:
                    link_new(path, target)
                except FileExistsError:
                    continue
                path.unlink()
                return target
        except OSError as exc:
            log.warning("could not move %s out of the safe set: %s", path, exc)
        return None


_IMAGE_EXTENSIONS = frozenset(formats.IMAGE_SUFFIXES | {e.lower() for e in formats.EXTENSIONS.values()})


@contextmanager
def _exclusive(directory: Path) -> Iterator[bool]:
    """Hold the folder's lock file for a batch; yields False when another run holds it (or the folder
    does not exist yet, when there is nothing to clean)."""
    if not directory.is_dir():
        yield True
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock; clean-up falls back to the age of leftovers
        yield False
        return
    handle: IO[bytes] | None = None
    try:
        handle = open(directory / _LOCK_NAME, "ab")  # noqa: SIM115 - held for the whole batch
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        if handle is not None:
            handle.close()
        yield False
        return
    try:
        yield True
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def source_sha256(path: Path) -> str | None:
    """The sha256 of a source photo for the resume check; None when it cannot be read as a regular file."""
    try:
        if not path.is_file():
            return None
        return sha256_file(path)
    except OSError:
        return None


__all__ = ["OutputFolder", "SafeCopy", "make_safe", "source_sha256"]
