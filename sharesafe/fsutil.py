"""File helpers: hashing, never-overwrite names and atomic writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unique_path(directory: Path, stem: str, suffix: str) -> Path:
    """`directory/stem+suffix`, or `stem-2`, `stem-3`... so nothing is ever overwritten."""
    candidate = directory / f"{stem}{suffix}"
    n = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def atomic_write(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write `data` to a temp file beside `path`, fsync it, then move it into place.

    With `overwrite=False` the final step uses a hard link, which fails if `path` appeared in the
    meantime, so a concurrent writer can never be clobbered.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except OSError as exc:
                if isinstance(exc, FileExistsError):
                    raise
                # Filesystems without hard links: fall back to an exclusive-create check + rename.
                if path.exists():
                    raise FileExistsError(str(path)) from exc
                os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_unique(directory: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Atomically write `data` under a name that does not exist yet; retries if a name is taken meanwhile."""
    for _ in range(1000):
        target = unique_path(directory, stem, suffix)
        try:
            return atomic_write(target, data, overwrite=False)
        except FileExistsError:
            continue
    raise FileExistsError(f"could not find a free name for {stem}{suffix} in {directory}")
