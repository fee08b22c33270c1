"""Small shared helpers for ONNX-backed detectors (onnxruntime is imported lazily)."""

from __future__ import annotations

import os
from typing import Any

from sharesafe.geometry import nms

__all__ = ["cpu_threads", "nms", "session_from_bytes"]


def cpu_threads() -> int:
    """Threads an ONNX session may use: every core, but at most 4 (the scan runs detectors in turn)."""
    return max(1, min(4, os.cpu_count() or 1))


def session_from_bytes(model: bytes, threads: int | None = None) -> Any:
    """An onnxruntime CPU session for a serialized model, quiet and single-process."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads or cpu_threads()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Worker threads sleep instead of spinning between ops: on a busy 2-core machine (load ~6) a
    # one-photo CLI scan took 6.9-8.5 s wall and 5.0-5.8 s CPU this way against 9.8-10.5 s and
    # 6.8-7.2 s spinning. A desktop shares its cores with everything else the officer runs.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
