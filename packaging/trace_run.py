"""Run every registered detector once, as the app would, and record what that touches.

Used by `collect.trace()` (in a subprocess, optionally under strace) when the bundle is built: every
non-code file opened here is a model or data file the frozen app needs, and every module imported
here must not be excluded from the bundle. Writes a JSON document to the path given as argv[1]:
{"opened": [...], "modules": [...], "path": [...], "detectors": [...], "errors": {...}}.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

opened: set[str] = set()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        with contextlib.suppress(TypeError, ValueError):
            opened.add(os.fsdecode(os.fspath(args[0])))


def _record(path: Any) -> None:
    if isinstance(path, (str, os.PathLike)):
        opened.add(os.fspath(path))


def _watch_native_loaders() -> None:
    """Record model files that C++ code opens by name, which the audit hook cannot see (strace does,
    where it exists; on Windows and macOS this is what finds them)."""
    try:
        import onnxruntime as ort
    except ImportError:
        pass
    else:
        real_session = ort.InferenceSession

        class InferenceSession(real_session):  # type: ignore[misc,valid-type]
            def __init__(self, path_or_bytes: Any, *args: Any, **kwargs: Any) -> None:
                _record(path_or_bytes)
                super().__init__(path_or_bytes, *args, **kwargs)

        ort.InferenceSession = InferenceSession  # type: ignore[misc]
    try:
        import cv2
    except ImportError:
        return
    real_cascade = cv2.CascadeClassifier

    def cascade(*args: Any) -> Any:
        if args:
            _record(args[0])
        return real_cascade(*args)

    cv2.CascadeClassifier = cascade


def main(out_path: str) -> int:
    sys.addaudithook(_audit)
    _watch_native_loaders()
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    errors: dict[str, str] = {}
    notes: dict[str, str] = {}
    names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sharesafe-trace-") as tmp:
        # A fresh cache: first-run work (e.g. a model converted to ONNX on first use) must be traced too.
        os.environ["SHARESAFE_CACHE"] = str(Path(tmp) / "cache")
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from sharesafe import backends
        from sharesafe.jobs import check, default_review, make_safe
        from sharesafe.policy import DEFAULT_PROFILE, load_profile
        from sharesafe.selftest import make_photo

        detectors = []
        names = backends.available()
        for name in names:
            try:
                (det,) = backends.load([name])
                det.load()
                detectors.append(det)
            except Exception as exc:  # noqa: BLE001 - reported to the caller, which fails the build
                errors[name] = f"{type(exc).__name__}: {exc}"
        photo = make_photo(Path(tmp))
        checked = check(photo, detectors, load_profile(DEFAULT_PROFILE))
        result = checked.scan
        errors.update({f"scan:{k}": v for k, v in result.detector_errors.items()})
        if result.error:
            errors["scan"] = result.error
        else:
            made = make_safe(
                checked, default_review(checked), Path(tmp) / "safe", detectors=detectors, force=True
            )
            done = made.export
            if (
                done is not None and done.error
            ):  # the export still ran (and was traced): not a loading problem
                notes["export"] = done.error
        try:  # the desktop app's imports count too (it is optional in a core-only checkout)
            import desktop.app  # noqa: F401
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("desktop"):
                errors["desktop"] = f"{type(exc).__name__}: {exc}"
        doc = {
            "opened": sorted(opened),
            "modules": sorted(sys.modules),
            "path": [p for p in sys.path if p],
            "detectors": names,
            "errors": errors,
            "notes": notes,
        }
    Path(out_path).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
