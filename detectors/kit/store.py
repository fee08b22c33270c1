"""The force kit on disk (`<kit>/<category>/<name>/*.jpg|png`), its validation, and the teach API."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sharesafe.detector import RGBImage
from sharesafe.errors import ShareSafeError
from sharesafe.fsutil import sha256_file as _sha256_file
from sharesafe.types import Box, Category

#: Kit folder name -> the category its findings carry.
CATEGORIES: dict[str, Category] = {
    "badge": Category.BADGE,
    "uniform": Category.UNIFORM,
    "vehicle": Category.VEHICLE,
    "premises": Category.PREMISES,
}
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
#: A reference whose shorter side is below this cannot be matched reliably.
MIN_REFERENCE_SIDE = 32
#: References are scaled down to this long side before features are computed.
MAX_REFERENCE_SIDE = 640
_NAME_RE = re.compile(r"^[\w][\w .()&'-]{0,63}$", re.UNICODE)


class KitError(ShareSafeError):
    """The kit folder (or a reference being added) is not usable; the message says why and where."""


@dataclass(frozen=True, slots=True)
class Reference:
    category: str  # kit folder name: badge, uniform, vehicle, premises
    name: str
    path: Path
    size: int
    mtime_ns: int
    sha256: str

    @property
    def finding_category(self) -> Category:
        return CATEGORIES[self.category]

    @property
    def cache_key(self) -> str:
        """Changes whenever the file (path, mtime, size or content) changes."""
        raw = f"{self.path.resolve()}|{self.mtime_ns}|{self.size}|{self.sha256}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


@dataclass(slots=True)
class Kit:
    root: Path
    references: list[Reference] = field(default_factory=list)
    #: Problems with individual files that were skipped (only when loaded with strict=False).
    problems: list[str] = field(default_factory=list)

    def by_category(self, category: str) -> list[Reference]:
        return [r for r in self.references if r.category == category]

    @property
    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for r in sorted(self.references, key=lambda r: str(r.path)):
            h.update(r.cache_key.encode())
        return h.hexdigest()[:16]


def read_reference_image(path: Path) -> RGBImage:
    """Decode a reference as upright RGB (EXIF orientation applied) or raise KitError."""
    from sharesafe.image import load_image

    try:
        pixels = load_image(path).pixels
    except (ShareSafeError, OSError, ValueError) as exc:
        raise KitError(f"{path}: unreadable image ({exc})") from exc
    h, w = pixels.shape[:2]
    if min(h, w) < MIN_REFERENCE_SIDE:
        raise KitError(
            f"{path}: reference too small to match ({w}x{h} px; needs at least "
            f"{MIN_REFERENCE_SIDE} px on each side)"
        )
    return pixels


def load_kit(root: str | Path, strict: bool = True) -> Kit:
    """Read and validate a kit folder.

    Every problem is collected; with `strict` (the default) any problem raises one KitError listing
    them all, otherwise bad files are skipped and listed in `Kit.problems`. Images are decoded here
    to validate them (and their size), so a broken kit fails at load time, not mid-scan.
    """
    root = Path(root)
    if not root.is_dir():
        raise KitError(f"{root}: kit folder not found")
    kit = Kit(root=root)
    problems: list[str] = []
    for cat_dir in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
        if not cat_dir.is_dir():
            problems.append(f"{cat_dir}: unexpected file at the kit's top level (expected category folders)")
            continue
        if cat_dir.name not in CATEGORIES:
            problems.append(
                f"{cat_dir}: unknown category '{cat_dir.name}' (expected one of: {', '.join(CATEGORIES)})"
            )
            continue
        for name_dir in sorted(p for p in cat_dir.iterdir() if not p.name.startswith(".")):
            if not name_dir.is_dir():
                problems.append(f"{name_dir}: references go in a named folder, e.g. {cat_dir}/<name>/")
                continue
            for path in sorted(p for p in name_dir.iterdir() if not p.name.startswith(".")):
                if path.suffix.lower() not in IMAGE_SUFFIXES:
                    problems.append(f"{path}: not a .jpg or .png reference")
                    continue
                try:
                    read_reference_image(path)
                except KitError as exc:
                    problems.append(str(exc))
                    continue
                st = path.stat()
                kit.references.append(
                    Reference(
                        cat_dir.name, name_dir.name, path, st.st_size, st.st_mtime_ns, _sha256_file(path)
                    )
                )
    if problems and strict:
        raise KitError("force kit has problems:\n  " + "\n  ".join(problems))
    kit.problems = problems
    return kit


def validate_kit(root: str | Path) -> list[str]:
    """Every problem in a kit folder, as readable lines (empty when the kit is fine)."""
    try:
        return load_kit(root, strict=False).problems
    except KitError as exc:
        return [str(exc)]


def add_reference(
    kit_dir: str | Path, category: str, name: str, image: RGBImage, box: Box | None = None
) -> Path:
    """Teach the kit: save `image` (cropped to `box` if given) as a new reference; return its path.

    The crop is written atomically as PNG under `<kit>/<category>/<name>/`. Raises KitError for an
    unknown category, an unusable name, or a crop too small to match.
    """
    if category not in CATEGORIES:
        raise KitError(f"unknown category '{category}' (expected one of: {', '.join(CATEGORIES)})")
    name = name.strip()
    if not _NAME_RE.match(name) or name in (".", ".."):
        raise KitError(
            f"reference name {name!r} is not usable: use letters, digits, spaces, '.', '-', '_' (max 64)"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise KitError(f"expected an RGB image, got shape {image.shape}")
    h, w = image.shape[:2]
    if box is not None:
        box = Box.from_xyxy(box.x1, box.y1, box.x2, box.y2, w, h)
        image = image[box.y1 : box.y2, box.x1 : box.x2]
    ch, cw = image.shape[:2]
    if min(ch, cw) < MIN_REFERENCE_SIDE:
        raise KitError(
            f"reference too small to match ({cw}x{ch} px; draw a box at least "
            f"{MIN_REFERENCE_SIDE} px on each side)"
        )
    from PIL import Image

    folder = Path(kit_dir) / category / name
    folder.mkdir(parents=True, exist_ok=True)
    crop = np.ascontiguousarray(image)
    digest = hashlib.sha256(crop.tobytes()).hexdigest()[:10]
    target = folder / f"ref-{time.strftime('%Y%m%d-%H%M%S')}-{digest}.png"
    fd, tmp = tempfile.mkstemp(prefix=".ref-", suffix=".png", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            Image.fromarray(crop).save(fh, format="PNG")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
