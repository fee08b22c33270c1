"""File helpers: guarded reads, hashing, never-overwrite names and atomic writes."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Collection
from pathlib import Path

from sharesafe.errors import ImageTooLargeError, UnreadableFileError, UnsupportedFormatError

#: Bytes read from one file at most before decoding: far above any camera file (a 100 MP JPEG is
#: about 40 MB), far below what would exhaust memory.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024

#: Temporary files (written, then verified, then renamed) end with this; a killed run leaves them.
PART_SUFFIX = ".part"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a whole regular file, refusing anything else before reading a byte.

    The file is opened non-blocking (a FIFO would otherwise block the open until a writer comes) and
    checked with `fstat` on the open descriptor, so what is checked is what is read. At most
    `max_bytes + 1` bytes are read, whatever the file claims its size is."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError as exc:
        raise UnsupportedFormatError("this is a folder, not a photo") from exc
    except OSError as exc:
        raise UnreadableFileError(f"cannot read the file: {exc.strerror or type(exc).__name__}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsupportedFormatError(f"this is {_kind(info.st_mode)}, not a photo file")
        if info.st_size > max_bytes:
            raise ImageTooLargeError(
                f"the file is {info.st_size / 1e6:.0f} MB, over the limit of {max_bytes / 1e6:.0f} MB"
            )
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise ImageTooLargeError(f"the file grew past the limit of {max_bytes / 1e6:.0f} MB")
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFileError(f"cannot read the file: {exc.strerror or type(exc).__name__}") from exc
    finally:
        os.close(fd)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unique_path(directory: Path, stem: str, suffix: str, skip: Collection[Path] = ()) -> Path:
    """`directory/stem+suffix`, or `stem-2`, `stem-3`... so nothing is ever overwritten (nor any
    name in `skip` given)."""
    candidate = directory / f"{stem}{suffix}"
    n = 2
    while candidate.exists() or candidate in skip:
        candidate = directory / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def write_part(directory: Path, name: str, data: bytes) -> Path:
    """Write `data` to a new hidden temporary file `.name.XXXX.part` in `directory`, fsynced."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=PART_SUFFIX, dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def link_new(source: Path, path: Path) -> None:
    """Give the file `source` the further name `path`; FileExistsError if `path` exists (never clobbers)."""
    try:
        os.link(source, path)
    except FileExistsError:
        raise
    except OSError as exc:
        # Filesystems without hard links: an existence check, then a copy under the new name.
        if path.exists():
            raise FileExistsError(str(path)) from exc
        with open(path, "xb") as fh:
            fh.write(source.read_bytes())
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write `data` to a temp file beside `path`, fsync it, then move it into place.

    With `overwrite=False` the final step uses a hard link, which fails if `path` appeared in the
    meantime, so a concurrent writer can never be clobbered.
    """
    tmp = write_part(path.parent, path.name, data)
    try:
        if overwrite:
            os.replace(tmp, path)
        else:
            link_new(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
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
