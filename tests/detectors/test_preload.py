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


def test_preload_loads_in_order_on_a_background_thread() -> None:
    log: list[tuple[str, str]] = []
    dets = [_Recorder("a", log), _Recorder("broken", log, fail=True), _Recorder("c", log)]
    thread = registry.preload(dets)  # type: ignore[arg-type]
    thread.join(10)
    assert not thread.is_alive()
    assert [name for name, _ in log] == ["a", "broken", "c"]  # a failure does not stop the others
    assert {t for _, t in log} == {"sharesafe-preload"}
