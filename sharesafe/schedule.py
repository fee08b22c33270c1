"""Run a scan's detectors concurrently where they do not depend on each other, with the result of
running them in turn.

A scan runs its detectors in a fixed order and gives each one what the earlier ones found
(`context`). Most read only a few categories of it (objects and faces read the people, plates the
vehicles and the plates the OCR read) and several read none, so much of a scan has no order at all:
on two cores the people model, the OCR and the code reader can run side by side, and the heavy
libraries (onnxruntime, OpenCV, Pillow, zxing) release Python's GIL while they work.

A detector says what it reads with a `context_categories` attribute (a frozenset of `Category`).
It then starts once every earlier detector that can report one of those categories (by its
`categories`) has finished, and gets exactly their findings, in scan order. A detector without the
attribute (a force kit, a rule over everything found so far, a test double) waits for every earlier
detector and gets all their findings, as in a sequential scan. The findings of the scan are
concatenated in scan order, so the result never depends on which thread ran what, or when.

Which ready detector starts first is a matter of time only. On a session's first scan it is scan
order; after that the one that heads the longest chain of work (its own recent time plus its longest
chain of dependents', `start_order`) goes first, so the OCR, which takes longest and which plates
wait for, no longer waits behind quick detectors that happen to come before it in the list.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from sharesafe.detector import Detector, RGBImage
from sharesafe.errors import readable
from sharesafe.types import Category, Finding

log = logging.getLogger(__name__)

#: Detectors that may run at once. Two keeps both cores of a small laptop busy between the model
#: runs (each onnxruntime run already uses every core) without doubling peak memory on a big photo.
#: `SHARESAFE_DETECTOR_THREADS=1` runs them in turn on the calling thread.
DEFAULT_WORKERS = 2


def workers_from_env(default: int = DEFAULT_WORKERS) -> int:
    value = os.environ.get("SHARESAFE_DETECTOR_THREADS", "")
    try:
        return max(1, int(value)) if value.strip() else default
    except ValueError:
        return default


def reads(det: Detector) -> frozenset[Category] | None:
    """The context categories `det` reads, or None when it may read any earlier finding."""
    value = getattr(det, "context_categories", None)
    return None if value is None else frozenset(value)


def dependencies(detectors: Sequence[Detector]) -> list[list[int]]:
    """For each detector, the indices of the earlier detectors whose findings it is given."""
    out: list[list[int]] = []
    for i, det in enumerate(detectors):
        wanted = reads(det)
        if wanted is None:
            out.append(list(range(i)))
        else:
            out.append([j for j in range(i) if frozenset(getattr(detectors[j], "categories", ())) & wanted])
    return out


#: Each detector's wall time in recent scans (an exponential average), by detector object.
_seconds: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
_seconds_lock = threading.Lock()
#: Weight of the newest scan in that average.
_NEWEST = 0.3


def expected_seconds(det: Detector) -> float:
    """`det`'s recent wall time in this session (0.0 before it has run, or if it cannot be tracked)."""
    try:
        with _seconds_lock:
            return _seconds.get(det, 0.0)
    except TypeError:  # an unhashable or unreferenceable detector: no history, scan order
        return 0.0


def _record(det: Detector, seconds: float) -> None:
    try:
        with _seconds_lock:
            old = _seconds.get(det)
            _seconds[det] = seconds if old is None else (1 - _NEWEST) * old + _NEWEST * seconds
    except TypeError:
        pass


def start_order(detectors: Sequence[Detector], deps: list[list[int]]) -> list[int]:
    """The order in which ready detectors are started: by the expected length of the chain of work
    each heads (its own time plus the longest chain among the detectors that wait for it), longest
    first, to 10 ms; ties, and a session's first scan, in scan order."""
    n = len(detectors)
    chain = [0.0] * n
    for i in reversed(range(n)):  # a detector's dependents come after it in scan order
        after = [chain[j] for j in range(i + 1, n) if i in deps[j]]
        chain[i] = expected_seconds(detectors[i]) + max(after, default=0.0)
    return sorted(range(n), key=lambda i: (-round(chain[i], 2), i))


#: detect(index, context) -> findings; raising records the error and yields no findings.
Run = Callable[[int, tuple[Finding, ...]], list[Finding]]


def run_detectors(
    image: RGBImage,
    detectors: Sequence[Detector],
    errors: dict[str, str] | None = None,
    workers: int | None = None,
) -> list[Finding]:
    """Run every detector on `image` (read-only), each given the findings it depends on; a failing
    detector is recorded in `errors` (name -> message) and the others still run. Returns every
    finding in scan order."""
    deps = dependencies(detectors)
    results: list[list[Finding] | None] = [None] * len(detectors)
    lock = threading.Lock()

    def run(i: int) -> None:
        det = detectors[i]
        context = tuple(f for j in deps[i] for f in (results[j] or ()))
        started = time.perf_counter()
        try:
            found = list(det.detect(image, context))
            _record(det, time.perf_counter() - started)
        except Exception as exc:
            log.exception("detector %s failed", getattr(det, "name", det))
            found = []
            if errors is not None:
                with lock:
                    errors[getattr(det, "name", repr(det))] = f"{type(exc).__name__}: {readable(exc)}"
        results[i] = found

    n = workers if workers is not None else workers_from_env()
    if n <= 1 or len(detectors) <= 1:
        for i in range(len(detectors)):
            run(i)
    else:
        _run_concurrently(run, deps, min(n, len(detectors)), start_order(detectors, deps))
    return [f for found in results for f in (found or ())]


def _run_concurrently(
    run: Callable[[int], None], deps: list[list[int]], workers: int, order: Sequence[int] | None = None
) -> None:
    """Start each detector as soon as its dependencies are done, `workers` at a time; among those
    ready, in `order` (default: scan order)."""
    order = list(range(len(deps))) if order is None else list(order)
    done: set[int] = set()
    started: set[int] = set()
    running: dict[Future[None], int] = {}
    total = len(deps)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sharesafe-detect") as pool:
        while len(done) < total:
            for i in order:
                if len(running) >= workers:
                    break
                if i not in started and all(j in done for j in deps[i]):
                    started.add(i)
                    # Each run sees the caller's context variables (the scan's shared resizes).
                    ctx = contextvars.copy_context()
                    running[pool.submit(ctx.run, run, i)] = i
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                done.add(running.pop(fut))
                fut.result()  # `run` records detector errors itself; anything else is a bug: raise it
