"""Small shared helpers for ONNX-backed detectors (onnxruntime is imported lazily)."""

from __future__ import annotations

import os
import threading
from typing import Any

from sharesafe.geometry import nms

__all__ = ["cpu_threads", "nms", "session_from_bytes"]


def cpu_threads() -> int:
    """Threads one ONNX session may use: its share of the cores, at most 4. A scan runs detectors
    side by side (`sharesafe.schedule`, two at a time by default), so on two cores each session gets
    one thread; run in turn (`SHARESAFE_DETECTOR_THREADS=1`) a session gets every core.
    `SHARESAFE_ONNX_THREADS` overrides (for measuring).

    Measured on the 2-core machine (2026-12-05, A/B twice each, idle): the 12 MP bench photo 0.41 s
    marginal instead of 0.44 s, a 100-photo batch 99-104 instead of 91-93 photos a minute, small
    photos of people 0.01-0.03 s slower (the last model of a scan runs on one core)."""
    value = os.environ.get("SHARESAFE_ONNX_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    from sharesafe.schedule import workers_from_env

    cores = os.cpu_count() or 1
    return max(1, min(4, cores // workers_from_env()))


_arena_lock = threading.Lock()
_arena_registered = False


def _share_one_arena(ort: Any) -> None:
    """Register the process-wide CPU arena that sessions with `session.use_env_allocators` share."""
    global _arena_registered
    with _arena_lock:
        if _arena_registered:
            return
        info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
        # (max memory, extend strategy, initial chunk, max dead bytes per chunk): -1 and 0 = defaults.
        ort.create_and_register_allocator(info, ort.OrtArenaCfg(0, -1, -1, -1))
        _arena_registered = True


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
    # No memory pattern: with it a session keeps a second, pre-planned block per input shape beside
    # its arena. Measured on one 1600x1200 and one 12 MP scan, every detector, repeated: steady peak
    # RSS 1.16 GB instead of 1.50 GB, 0.15 s less CPU a scan (fewer page faults), same findings.
    opts.enable_mem_pattern = False
    # One memory arena for every session of the process instead of one each: a scan runs the
    # detectors one or two at a time, so their buffers can be the same memory. Measured on the 12 MP
    # composite (scripts/bench_scan.py): peak RSS 1119 MiB instead of 1330 MiB, same time.
    _share_one_arena(ort)
    opts.add_session_config_entry("session.use_env_allocators", "1")
    return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
