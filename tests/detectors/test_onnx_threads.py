"""How many threads one onnxruntime session gets (detectors._onnx.cpu_threads)."""

from __future__ import annotations

import pytest

from detectors import _onnx


@pytest.mark.parametrize(
    ("cores", "detector_threads", "expected"),
    [
        (2, "", 1),  # two detectors side by side on two cores: one thread each
        (4, "", 2),
        (16, "", 4),  # never more than 4
        (1, "", 1),
        (2, "1", 2),  # detectors in turn: a session gets every core
        (3, "1", 3),
    ],
)
def test_a_session_gets_its_share_of_the_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int, detector_threads: str, expected: int
) -> None:
    monkeypatch.delenv("SHARESAFE_ONNX_THREADS", raising=False)
    monkeypatch.setenv("SHARESAFE_DETECTOR_THREADS", detector_threads)
    monkeypatch.setattr(_onnx.os, "cpu_count", lambda: cores)
    assert _onnx.cpu_threads() == expected


def test_the_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARESAFE_ONNX_THREADS", "3")
    monkeypatch.setattr(_onnx.os, "cpu_count", lambda: 2)
    assert _onnx.cpu_threads() == 3
    monkeypatch.setenv("SHARESAFE_ONNX_THREADS", "zero")
    monkeypatch.delenv("SHARESAFE_DETECTOR_THREADS", raising=False)
    assert _onnx.cpu_threads() == 1
