"""Background model loading: in scan order, off the calling thread, failures left for the scan."""

from __future__ import annotations

import threading

from detectors import registry


class _Recorder:
    def __init__(self, name: str, log: list[tuple[str, str]], fail: bool = False) -> None:
        self.name = name
        self._log = log
        self._fail = fail

    def load(self) -> None:
        self._log.append((self.name, threading.current_thread().name))
        if self._fail:
            raise FileNotFoundError("model missing")


def test_preload_loads_in_scan_order_on_background_threads() -> None:
    log: list[tuple[str, str]] = []
    dets = [_Recorder("a", log), _Recorder("broken", log, fail=True), _Recorder("c", log)]
    thread = registry.preload(dets)  # type: ignore[arg-type]
    thread.join(10)
    assert not thread.is_alive()
    assert sorted(name for name, _ in log) == ["a", "broken", "c"]  # a failure does not stop the others
    threads = {t for _, t in log}
    assert threads <= {f"sharesafe-preload-{i}" for i in range(1, registry.PRELOAD_THREADS + 1)}


def test_preload_runs_loads_side_by_side_and_takes_them_in_scan_order() -> None:
    started: list[str] = []
    both = threading.Barrier(2, timeout=5)

    class Slow:
        def __init__(self, name: str) -> None:
            self.name = name

        def load(self) -> None:
            started.append(self.name)
            if self.name in ("a", "b"):
                both.wait()  # only passes when the first two load at the same time

    thread = registry.preload([Slow("a"), Slow("b"), Slow("c")], threads=2)  # type: ignore[list-item]
    thread.join(10)
    assert not both.broken
    assert started[:2] in (["a", "b"], ["b", "a"]) and started[2] == "c"


def test_models_load_in_the_order_a_scan_first_needs_them() -> None:
    from sharesafe.types import Category

    class Det:
        def __init__(self, name: str, makes: set[Category], reads: set[Category] | None) -> None:
            self.name, self.categories = name, frozenset(makes)
            if reads is not None:
                self.context_categories = frozenset(reads)

    dets = [
        Det("people", {Category.PERSON}, set()),
        Det("faces", {Category.FACE}, {Category.PERSON}),  # waits for people
        Det("ocr", {Category.TEXT}, set()),  # starts with people
        Det("rules", {Category.PREMISES}, None),  # waits for everyone
        Det("codes", {Category.CODE}, set()),
    ]
    order = [d.name for d in registry.load_order(dets)]  # type: ignore[arg-type]
    assert order == ["people", "ocr", "codes", "faces", "rules"]
    real = [d.name for d in registry.load_order(registry.build(["persons", "objects", "text"]))]
    assert real == ["persons", "text", "objects"]
