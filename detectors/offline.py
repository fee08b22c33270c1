"""Keep every library the detectors load off the network: called once, before any model is loaded.

What was seen under `strace -f -e trace=network` without it, and what turns it off:

- onnxruntime (1.2x and later) starts a telemetry uploader when it is imported, which resolves
  `mobile.events.data.microsoft.com` (a DNS query to the network's resolver) and writes an event
  store under `~/.cache/Microsoft`. `ORT_DISABLE_TELEMETRY=1`, set before the import, stops both;
  if onnxruntime was imported before us anyway, its `disable_telemetry_events()` is called too.
- urllib3 (imported by rapidocr's model downloader, which ShareSafe never calls) probes for IPv6 at
  import by binding a socket to `::1`. Importing it here with Python's `socket.has_ipv6` reported
  False skips the probe; ShareSafe makes no HTTP connection, so nothing else changes.
- ultralytics: `YOLO_OFFLINE` and friends (see `detectors.ultralytics_setup`), set here as well so
  that any import of it, however indirect, sees them.
- Hugging Face libraries, if one is ever pulled in: `HF_HUB_OFFLINE=1`.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
import threading

#: Environment every offline switch reads at import time.
OFFLINE_ENV = {
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "YOLO_OFFLINE": "1",
    "YOLO_AUTOINSTALL": "false",
}

_lock = threading.Lock()
_done = False


def _import_urllib3_without_ipv6_probe() -> None:
    if "urllib3.util.connection" in sys.modules:
        return
    saved = socket.has_ipv6
    socket.has_ipv6 = False
    try:
        importlib.import_module("urllib3.util.connection")
    except ImportError:
        pass  # not installed: nothing to probe
    finally:
        socket.has_ipv6 = saved


def go_offline() -> None:
    """Set every offline switch (idempotent; cheap after the first call)."""
    global _done
    with _lock:
        if _done:
            return
        os.environ.update(OFFLINE_ENV)
        ort = sys.modules.get("onnxruntime")
        if ort is not None and hasattr(ort, "disable_telemetry_events"):
            ort.disable_telemetry_events()
        _import_urllib3_without_ipv6_probe()
        _done = True
