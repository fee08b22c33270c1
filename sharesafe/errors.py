"""Errors with a message an officer can read; the CLI and GUI show `str(error)` as it is."""

import re


class ShareSafeError(Exception):
    """Base class for every error ShareSafe reports per file."""


class UnsupportedFormatError(ShareSafeError):
    """The bytes are not an image format ShareSafe can open."""


class CorruptImageError(ShareSafeError):
    """The file claims to be an image but cannot be decoded (truncated, damaged, empty)."""


class ImageTooLargeError(ShareSafeError):
    """The image has more pixels than the configured limit (a decompression-bomb guard)."""


class UnsafeExportError(ShareSafeError):
    """A written export still carries metadata or visible findings; it is not called safe."""


class UnreadableFileError(ShareSafeError):
    """The file could not be read (permissions, I/O error, vanished)."""


_OBJECT_REPR = re.compile(r"<[A-Za-z_][\w.]* object at 0x[0-9a-fA-F]+>")
_ANY_REPR = re.compile(r"<[^<>]{0,200} at 0x[0-9a-fA-F]+>")


def without_object_reprs(text: str) -> str:
    """`text` with object reprs such as `<_io.BytesIO object at 0x7f...>` (which say nothing to a
    person and leak addresses) replaced by "the file"."""
    return _ANY_REPR.sub("the file", _OBJECT_REPR.sub("the file", text))


def readable(message: object) -> str:
    """A message fit to show: no object reprs, one line, bounded length."""
    text = " ".join(without_object_reprs(str(message)).split())
    return text if len(text) <= 300 else text[:297] + "..."
