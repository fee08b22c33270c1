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
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

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
        try:
            found = list(det.detect(image, context))
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
        _run_concurrently(run, deps, min(n, len(detectors)))
    return [f for found in results for f in (found or ())]


def _run_concurrently(run: Callable[[int], None], deps: list[list[int]], workers: int) -> None:
    """Start each detector, in scan order, as soon as its dependencies are done, `workers` at a time."""
    done: set[int] = set()
    started: set[int] = set()
    running: dict[Future[None], int] = {}
    total = len(deps)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sharesafe-detect") as pool:
        while len(done) < total:
            for i in range(total):
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
