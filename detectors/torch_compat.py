"""Make `torchvision` importable when its compiled ops cannot load (CPU torch beside a CUDA torchvision).

The torchvision wheel in our registry is a CUDA build: its `_C` extension does not load against CPU-only
torch, so the `torchvision::nms` operator is never defined and `import torchvision` itself fails (its meta
registrations refer to the missing operator). Ultralytics calls `torchvision.ops.nms` whenever torchvision is
imported.

`ensure_torchvision_nms()` checks whether the real operator exists (loading torchvision's own extension if
needed, without importing torchvision). Only when it is missing does it define `torchvision::nms` and
`torchvision::qnms` with a pure-torch greedy NMS, and then import torchvision and mark its ops as present.
It must run before anything imports torchvision; it is idempotent.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_state: dict[str, Any] = {"done": False, "shimmed": False, "libs": []}


def _op_exists(torch: Any) -> bool:
    try:
        return bool(torch._C._dispatch_has_kernel_for_dispatch_key("torchvision::nms", "CPU"))
    except RuntimeError:
        return False


def _try_load_real_extension(torch: Any) -> bool:
    """Load torchvision's compiled `_C` the way torchvision does, without importing torchvision."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return False
    for folder in spec.submodule_search_locations:
        for lib in sorted(Path(folder).glob("_C*.so")) + sorted(Path(folder).glob("_C*.pyd")):
            try:
                torch.ops.load_library(str(lib))
            except (OSError, ImportError, RuntimeError):
                continue
            if _op_exists(torch):
                return True
    return False


def greedy_nms(boxes: Any, scores: Any, iou_threshold: float) -> Any:
    """Indices of the boxes kept by greedy NMS, highest score first (torchvision's contract).

    `boxes` is (N, 4) x1y1x2y2; a box is dropped when its IoU with a kept, higher-scoring box is
    greater than `iou_threshold`.
    """
    import torch

    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.long, device=boxes.device)
    b = boxes.float()
    order = torch.argsort(scores.float(), descending=True, stable=True)
    b = b[order]
    x1, y1, x2, y2 = b.unbind(1)
    area = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    ix1 = torch.maximum(x1[:, None], x1[None, :])
    iy1 = torch.maximum(y1[:, None], y1[None, :])
    ix2 = torch.minimum(x2[:, None], x2[None, :])
    iy2 = torch.minimum(y2[:, None], y2[None, :])
    inter = (ix2 - ix1).clamp(min=0) * (iy2 - iy1).clamp(min=0)
    union = area[:, None] + area[None, :] - inter
    iou = torch.where(union > 0, inter / union, torch.zeros_like(inter))
    over = (iou > iou_threshold).cpu()
    n = b.shape[0]
    removed = torch.zeros(n, dtype=torch.bool)
    keep: list[int] = []
    for i in range(n):
        if removed[i]:
            continue
        keep.append(i)
        removed |= over[i]
    kept = torch.tensor(keep, dtype=torch.long)
    return order.cpu()[kept].to(boxes.device)


def ensure_torchvision_nms() -> bool:
    """Make `torchvision.ops.nms` usable. Returns True when the pure-torch shim was installed."""
    with _lock:
        if _state["done"]:
            return bool(_state["shimmed"])
        import sys

        import torch

        if "torchvision" in sys.modules or _op_exists(torch) or _try_load_real_extension(torch):
            _state["done"] = True
            return False

        library: Any = torch.library  # untyped in torch's stubs
        lib = library.Library("torchvision", "DEF")
        lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.impl("nms", greedy_nms, "CompositeExplicitAutograd")
        lib.impl("qnms", greedy_nms, "CompositeExplicitAutograd")
        _state["libs"].append(lib)  # the registration lives as long as the Library object

        # With the operator defined, torchvision's meta registrations succeed and the import completes.
        import torchvision.extension

        # torchvision still thinks its ops are missing because `_C` did not load; nms and qnms now exist.
        torchvision.extension._has_ops = lambda: True

        _state["done"] = True
        _state["shimmed"] = True
        return True
