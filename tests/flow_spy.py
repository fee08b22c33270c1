"""Watch every export and every audit record a test causes, and whether it went through the core flow.

The spy wraps what `pipeline.export` and `audit.write_audit` call inside themselves (looked up at call
time, so it sees every caller however it imported them) and records, per call, whether a frame of
`sharesafe.jobs` was on the stack: a front end that exported or wrote a record itself would show a
call without one.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from sharesafe import audit, pipeline

FLOW_MODULE = "sharesafe.jobs"


def _through_flow() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == FLOW_MODULE:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class FlowSpy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.exports: list[bool] = []  # one per export: True when it came through the flow
        self.records: list[bool] = []  # one per audit record built
        self._lock = threading.Lock()
        self._wrap(monkeypatch, pipeline, "_produce", self.exports)
        self._wrap(monkeypatch, audit, "build_record", self.records)

    def _wrap(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str, calls: list[bool]) -> None:
        real: Callable[..., Any] = getattr(module, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                calls.append(_through_flow())
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)

    def assert_only_through_flow(self) -> None:
        assert self.exports, "nothing was exported"
        assert self.records, "no audit record was written"
        assert all(self.exports), f"an export did not go through {FLOW_MODULE}: {self.exports}"
        assert all(self.records), f"an audit record was not written by {FLOW_MODULE}: {self.records}"
