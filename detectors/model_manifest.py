"""The models ShareSafe trained itself: their entries in models/manifest.toml and the check of their files.

Every model file in `models/` has a `[[model]]` entry (file, sha256, classes, data sources, training
command, scores). A detector finds its file through its entry and refuses a file whose sha256 is not
the one recorded there.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sharesafe.fsutil import sha256_file

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MANIFEST = MODELS_DIR / "manifest.toml"


class WeightsIntegrityError(RuntimeError):
    """The weights file does not match the manifest."""


def entry(name: str, manifest: Path = MANIFEST) -> dict[str, Any]:
    """The `[[model]]` entry called `name`."""
    if not manifest.is_file():
        raise FileNotFoundError(f"model manifest not found: {manifest}")
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    for found in data.get("model", []):
        if found.get("name") == name:
            return dict(found)
    raise KeyError(f"no [[model]] named {name!r} in {manifest}")


def shipped_file(name: str, manifest: Path = MANIFEST) -> tuple[Path, dict[str, Any]]:
    """The file a `[[model]]` entry names (beside the manifest) and the entry itself."""
    found = entry(name, manifest)
    return (manifest.parent / found["file"]).resolve(), found


def entry_version(found: dict[str, Any]) -> str:
    """How a detector's ModelInfo names the version of a model of ours: its date and sha256 prefix."""
    return f"{found.get('date', '')} sha256:{str(found.get('sha256', ''))[:12]}"


def verify_sha256(path: Path, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected.lower():
        raise WeightsIntegrityError(f"{path.name}: sha256 {actual} does not match the manifest ({expected})")


def has_entry(name: str, manifest: Path = MANIFEST) -> bool:
    """Whether the manifest has a `[[model]]` called `name`."""
    try:
        entry(name, manifest)
    except (KeyError, FileNotFoundError):
        return False
    return True
