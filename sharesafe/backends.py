"""Find the detector backends without importing them statically.

The core sits below `detectors` in the layering, so it reaches the explicit registry by module name
at run time. When the `detectors` package is absent (a core-only install) scans are metadata-only.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sharesafe.detector import Detector

REGISTRY_MODULE = "detectors.registry"
log = logging.getLogger(__name__)


def _registry() -> Any | None:
    try:
        return importlib.import_module(REGISTRY_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and REGISTRY_MODULE.startswith(exc.name):
            log.warning("no detector backends installed: scanning metadata only")
            return None
        raise


def available() -> list[str]:
    """Names of every registered detector."""
    registry = _registry()
    return [] if registry is None else list(registry.names())


def defaults() -> list[str]:
    registry = _registry()
    return [] if registry is None else list(registry.names(default_only=True))


def describe() -> list[dict[str, Any]]:
    registry = _registry()
    if registry is None:
        return []
    rows: list[dict[str, Any]] = []
    for b in registry.BACKENDS:
        row: dict[str, Any] = {"name": b.name, "default": b.default, "summary": b.summary, "module": b.module}
        try:  # building a detector loads no model; a missing wheel is reported, not raised
            info = b.build().info
            row.update(model=info.model, licence=info.licence, source=info.source, error=None)
        except Exception as exc:  # noqa: BLE001 - listing must not fail on one broken backend
            row.update(model=None, licence=None, source=None, error=f"{type(exc).__name__}: {exc}")
        rows.append(row)
    return rows


def load(names: Iterable[str] | None = None, preload: bool = True) -> list[Detector]:
    """Build the named detectors (the defaults when None). With `preload` their models start loading
    on a background thread at once (in scan order); each detector's own `load()` waits for it."""
    registry = _registry()
    if registry is None:
        if names:
            raise KeyError("no detector backends are installed")
        return []
    detectors: list[Detector] = registry.build(None if names is None else list(names))
    if preload and detectors and hasattr(registry, "preload"):
        registry.preload(detectors)
    return detectors


KIT_MODULE = "detectors.kit"


def load_kit(kit_dir: str | Path) -> Detector:
    """Build the force-kit detector for `kit_dir` (raises a ShareSafeError listing every problem)."""
    try:
        module = importlib.import_module(KIT_MODULE)
    except ModuleNotFoundError as exc:
        raise KeyError("force kits need the detectors package, which is not installed") from exc
    detector: Detector = module.create(Path(kit_dir))
    return detector
