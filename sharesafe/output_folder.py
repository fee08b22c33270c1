"""What a batch knows about its output folder: which sources (by sha256) already have a verified copy
with its record (so a rerun resumes instead of writing `-2` copies), and what a killed run left behind
(temporary files removed, copies that no verified record vouches for moved out of the safe set; each
reported). One batch holds the folder's lock file while it writes."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sharesafe import audit, formats
from sharesafe.fsutil import PART_SUFFIX, link_new, sha256_file, unique_path
from sharesafe.pipeline import NOT_SAFE_DIR, UNVERIFIED_MARK

log = logging.getLogger(__name__)

AUDIT_SUFFIXES = (".json", ".csv", ".html")
_LOCK_NAME = ".sharesafe.lock"
#: Without file locks (not POSIX), a temporary file is taken for a killed run's only after this long.
_STALE_PART_SECONDS = 600.0


def audit_paths(directory: Path, stem: str) -> audit.AuditPaths:
    """The three files of the audit record `STEM.audit.{json,csv,html}` in this folder."""
    return audit.AuditPaths(*(directory / f"{stem}.audit{s}" for s in AUDIT_SUFFIXES))


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
                for p in audit_paths(record_path.parent, record_path.name[: -len(".audit.json")]).all():
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
