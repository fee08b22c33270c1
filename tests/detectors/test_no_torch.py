"""A scan never imports torch or ultralytics: every detector runs on onnxruntime, OpenCV or zxing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

#: Importing any of these during a scan is a failure (the `train` extra, not the app; `onnx` alone
#: took 2.3 s of start-up).
FORBIDDEN = ("torch", "torchvision", "ultralytics", "efficientnet_lite_pytorch", "onnx")

_CHILD = textwrap.dedent(
    """
    import importlib.abc, json, sys
    forbidden = set(json.loads(sys.argv[1]))
    attempts = []

    class Refuse(importlib.abc.MetaPathFinder):
        # Records (and fails) even imports a detector would catch and fall back from.
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in forbidden:
                attempts.append(name)
                raise ImportError(f"{name} may not be imported by a scan")
            return None

    sys.meta_path.insert(0, Refuse())
    import contextlib, io, tempfile
    from pathlib import Path
    from sharesafe.cli import main
    from sharesafe.samples import write_samples

    photos = write_samples(Path(tempfile.mkdtemp()))
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        code = main(["scan", "--json", str(photos[0])])
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
    print(json.dumps({"code": code, "attempts": attempts, "loaded": loaded, "report": report.getvalue()}))
    """
)


def _values(doc: object, key: str) -> list[object]:
    """Every value stored under `key` anywhere in a JSON document."""
    if isinstance(doc, dict):
        return [v for k, v in doc.items() if k == key] + [x for v in doc.values() for x in _values(v, key)]
    if isinstance(doc, list):
        return [x for v in doc for x in _values(v, key)]
    return []


@pytest.mark.slow
def test_cli_scan_imports_no_torch_or_ultralytics() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(FORBIDDEN)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.stdout.strip(), out.stderr[-3000:]
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["attempts"] == [] and doc["loaded"] == [], doc
    assert doc["code"] == 1, out.stderr[-3000:]  # the sample street photo carries GPS: risks found
    errors = list(_values(json.loads(doc["report"]), "detector_errors"))
    assert errors and all(e == {} for e in errors), errors  # every detector loaded and ran
    assert all(e is None for e in _values(json.loads(doc["report"]), "error"))
