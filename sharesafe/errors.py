"""Errors with a message an officer can read; the CLI and GUI show `str(error)` as it is."""


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
