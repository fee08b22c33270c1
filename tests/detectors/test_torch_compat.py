"""The pure-torch NMS used when torchvision's compiled ops are missing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")

from detectors.torch_compat import greedy_nms  # noqa: E402


def reference_nms(boxes: list[list[float]], scores: list[float], thr: float) -> list[int]:
    """Textbook greedy NMS in plain Python."""

    def iou(a: list[float], b: list[float]) -> float:
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / union if union > 0 else 0.0

    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep: list[int] = []
    for i in order:
        if all(iou(boxes[i], boxes[k]) <= thr for k in keep):
            keep.append(i)
    return keep


def random_boxes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 100
    wh = torch.rand(n, 2, generator=g) * 40 + 1
    boxes = torch.cat([xy, xy + wh], 1)
    near_copies = boxes[: n // 3] + torch.rand(n // 3, 4, generator=g) * 0.05  # IoU > 0.9
    boxes = torch.cat([boxes, near_copies])
    return boxes, torch.rand(len(boxes), generator=g)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("thr", [0.3, 0.5, 0.7])
def test_greedy_nms_matches_reference(seed: int, thr: float) -> None:
    boxes, scores = random_boxes(60, seed)
    got = greedy_nms(boxes, scores, thr).tolist()
    assert got == reference_nms(boxes.tolist(), scores.tolist(), thr)
    assert len(got) <= 60  # the near copies (or their originals) were suppressed


def test_greedy_nms_edge_cases() -> None:
    empty = greedy_nms(torch.zeros((0, 4)), torch.zeros((0,)), 0.5)
    assert empty.dtype == torch.long and empty.numel() == 0
    same = torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30]])
    assert greedy_nms(same, torch.tensor([0.5, 0.9, 0.1]), 0.5).tolist() == [1, 2]
    # IoU exactly at the threshold is kept (suppression needs IoU > threshold, like torchvision)
    half = torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 5]])
    assert greedy_nms(half, torch.tensor([0.9, 0.8]), 0.5).tolist() == [0, 1]


def test_torchvision_nms_works_after_shim() -> None:
    """In a fresh interpreter: install the shim if needed, then torchvision.ops.nms must agree."""
    if importlib.util.find_spec("torchvision") is None:  # not importorskip: a broken torchvision raises
        pytest.skip("torchvision not installed")
    code = textwrap.dedent(
        """
        import torch
        from detectors.torch_compat import ensure_torchvision_nms, greedy_nms
        shimmed = ensure_torchvision_nms()
        import torchvision
        g = torch.Generator().manual_seed(3)
        xy = torch.rand(200, 2, generator=g) * 100
        boxes = torch.cat([xy, xy + torch.rand(200, 2, generator=g) * 30 + 1], 1)
        scores = torch.rand(200, generator=g)
        a = torchvision.ops.nms(boxes, scores, 0.45).tolist()
        b = greedy_nms(boxes, scores, 0.45).tolist()
        assert a == b, (a, b)
        assert ensure_torchvision_nms() == shimmed  # idempotent
        print("shimmed" if shimmed else "native")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() in {"shimmed", "native"}
