"""Import ultralytics offline: no hub, no telemetry, no auto-install, no font or weight downloads.

Everything that loads ultralytics (the YOLO runner, `models/train.py`, evaluation scripts) goes through
`import_ultralytics()`, which must run before ultralytics is first imported:

- `YOLO_OFFLINE=1` makes `ultralytics.utils.is_online()` answer False without opening a socket, so
  `ONLINE` is False; that turns off the hub, update checks, `check_font` downloads (plots) and
  `attempt_download_asset` for anything not already on disk.
- `YOLO_AUTOINSTALL=false` stops `check_requirements` from running pip.
- Settings `sync=False` (no events/telemetry) and `hub`/`*_api_key` unset; the settings file goes to a
  private config dir (`YOLO_CONFIG_DIR`, default a `sharesafe-ultralytics` folder in the temp dir) so we
  never edit a user's own ultralytics settings.
- Ultralytics sets torch to `cpu_count - 1` threads on CPU (1 on a 2-core machine); we use all cores.
- The torchvision NMS shim (`detectors.torch_compat`) is installed first when torchvision's ops are missing.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_module: dict[str, Any] = {}

OFFLINE_ENV = {
    "YOLO_OFFLINE": "1",
    "YOLO_AUTOINSTALL": "false",
    "YOLO_VERBOSE": "false",
}


def cpu_threads() -> int:
    """Threads for torch on CPU: every core this process may use, or $SHARESAFE_THREADS.

    On a machine shared with other busy jobs, fewer threads can be much faster (measured here with six
    jobs on 2 cores: a YOLOv8s forward pass took 3.5 s with 1 thread and 13-19 s with 2).
    """
    env = os.environ.get("SHARESAFE_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def set_offline_env() -> None:
    """Set the environment ultralytics reads at import time (idempotent, keeps explicit user values off)."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "sharesafe-ultralytics"))
    Path(os.environ["YOLO_CONFIG_DIR"]).mkdir(parents=True, exist_ok=True)


def _local_font(font: str = "Arial.ttf") -> Path | None:
    """`check_font` without the download: a font already in the config dir or known to matplotlib, else None."""
    name = Path(font).name
    from ultralytics.utils import USER_CONFIG_DIR

    if (Path(USER_CONFIG_DIR) / name).exists():
        return Path(USER_CONFIG_DIR) / name
    try:
        from matplotlib import font_manager
    except ImportError:
        return None
    matches = [
        f.fname for f in font_manager.fontManager.ttflist if font in f.fname and os.path.exists(f.fname)
    ]
    return Path(matches[0]) if matches else None


def _patch_network_helpers() -> None:
    """Close the paths that reach the network even when ultralytics knows it is offline.

    `is_url(url, check=True)` sends an HTTP HEAD whatever `ONLINE` says (used by `check_font`, which training
    and plotting call to download Arial.ttf); events are switched off for good.
    """
    import sys

    import ultralytics.utils.checks as checks
    import ultralytics.utils.downloads as downloads

    original_is_url = downloads.is_url

    def is_url_offline(url: str | Path, check: bool = False) -> bool:
        return bool(original_is_url(url, check=False)) and not check

    replacements = {"is_url": is_url_offline, "check_font": _local_font}
    originals = {"is_url": original_is_url, "check_font": checks.check_font}
    downloads.is_url = is_url_offline
    checks.check_font = _local_font
    for name, module in list(sys.modules.items()):  # modules that imported the helpers by name
        if not name.startswith("ultralytics") or module is None:
            continue
        for attr, new in replacements.items():
            if getattr(module, attr, None) is originals[attr]:
                setattr(module, attr, new)
    events = sys.modules.get("ultralytics.utils.events")
    if events is not None and hasattr(events, "events"):
        events.events.enabled = False


@contextmanager
def _no_mac_address_lookup() -> Iterator[None]:
    """ultralytics' settings hash `uuid.getnode()` into an anonymous id at import; on Linux that reads
    the MAC address through a socket (libuuid's ioctl). A random node, as `uuid` itself falls back to,
    keeps the import socket-free; the id is never sent anywhere (sync is off)."""
    original = uuid.getnode
    node = secrets.randbits(48) | (1 << 40)  # multicast bit set: RFC 4122's mark of a random node
    uuid.getnode = lambda: node
    try:
        yield
    finally:
        uuid.getnode = original


def import_ultralytics(verbose: bool = False) -> Any:
    """Return the `ultralytics` module, imported offline with our settings."""
    with _lock:
        if "ultralytics" in _module:
            return _module["ultralytics"]
        set_offline_env()
        if verbose:
            os.environ["YOLO_VERBOSE"] = "true"
        from detectors.torch_compat import ensure_torchvision_nms

        ensure_torchvision_nms()

        with _no_mac_address_lookup():
            import ultralytics
            import ultralytics.utils as uu
            import ultralytics.utils.torch_utils as tu

        if uu.ONLINE:  # pragma: no cover - YOLO_OFFLINE was set before import, so this means it was ignored
            raise RuntimeError("ultralytics believes it is online despite YOLO_OFFLINE=1")
        settings: Any = uu.SETTINGS
        settings.update({"sync": False, "api_key": "", "openai_api_key": ""})
        _patch_network_helpers()
        threads = cpu_threads()
        uu.NUM_THREADS = threads
        tu.NUM_THREADS = threads  # type: ignore[attr-defined]  # select_device() resets torch threads to this
        import torch

        torch.set_num_threads(threads)
        _module["ultralytics"] = ultralytics
        return ultralytics
