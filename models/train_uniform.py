"""Train the `uniform` head: logistic regression on EfficientNet-Lite0 embeddings of labelled person crops.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python models/train_uniform.py --data /work/data/scene/uniform

Reads <data>/crops.csv (written by scripts/stage_uniform_crops.py: one row per person crop with its
label, `uniform` or `civilian`; `skip` rows are not used), embeds every crop once with the app's own
backbone (cached in <data>/features_lite0.npz), and fits an L2-regularised logistic regression with
balanced class weights (numpy, full-batch gradient descent). Scores are 5-fold cross-validated with the
crops of one photo kept in one fold. The threshold is the highest one that keeps the out-of-fold
uniform recall at --target-recall (privacy over-redacts). Writes models/uniform_head.json and its
[[model]] entry in models/manifest.toml (sha256, sources, command, scores).

No evaluation set is read here: the independent sets of issue 11 are only scored by scripts/eval_scene.py.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MODELS_DIR = Path(__file__).resolve().parent
HEAD_FILE = "uniform_head.json"
ENTRY = "uniform_head"

#: Where each staged set came from (recorded in the manifest).
SOURCES: dict[str, dict[str, str]] = {
    "oi_guns": {
        "origin": "https://github.com/yatinmanuel/stars-vthacks @ 773deaaf1ddf90b5ee360926ca9a4825ad0a01d0 "
        "(as staged in ../shared/traindata/gun_single_class; only its Open Images photos)",
        "licence": "CC BY 4.0 (Roboflow export); the photos are Open Images (CC BY 2.0)",
        "labels": "person boxes from the `persons` detector; each crop labelled uniform / civilian / unusable "
        "by a ShareSafe engineer from contact sheets (scripts/stage_uniform_crops.py sheets|labels)",
    },
    "hivis": {
        "origin": "https://github.com/vederko-p/yolov7_helmet_detection @ 7cdd14a8ce16b1d94e9a35511a1743ebd979d536 "
        "(as staged in ../shared/traindata/hivis_vest_helmet)",
        "licence": "CC BY 4.0 (Roboflow Universe safety-vest v4)",
        "labels": "every person crop civilian: construction workers in hi-vis vests and helmets",
    },
}


def load_rows(data: Path) -> list[dict[str, str]]:
    with (data / "crops.csv").open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["label"] in ("uniform", "civilian")]


def embed(data: Path, rows: list[dict[str, str]]) -> npt.NDArray[np.float32]:
    """Lite0 features for each row's crop, computed once and cached by crop path."""
    from PIL import Image

    from detectors import backbone

    cache = data / "features_lite0.npz"
    known: dict[str, np.ndarray] = {}
    if cache.is_file():
        with np.load(cache) as z:
            known = dict(zip([str(k) for k in z["keys"]], z["features"], strict=True))
    todo = [r["crop"] for r in rows if r["crop"] not in known]
    net = backbone.get_backbone()
    for start in range(0, len(todo), 32):
        part = todo[start : start + 32]
        crops = [np.asarray(Image.open(data / c).convert("RGB")) for c in part]
        for c, f in zip(part, net.features(crops), strict=True):
            known[c] = f
        print(f"  embedded {min(start + 32, len(todo))}/{len(todo)}", file=sys.stderr, flush=True)
    if todo:
        keys = sorted(known)
        np.savez_compressed(cache, keys=np.array(keys), features=np.stack([known[k] for k in keys]))
    return np.stack([known[r["crop"]] for r in rows]).astype(np.float32)


def fit(
    x: np.ndarray, y: np.ndarray, l2: float, steps: int = 1500, lr: float = 0.5
) -> tuple[np.ndarray, float]:
    """Balanced-weight L2 logistic regression by full-batch gradient descent (x already standardised)."""
    n, d = x.shape
    pos = max(int(y.sum()), 1)
    neg = max(n - pos, 1)
    sw = np.where(y == 1, n / (2 * pos), n / (2 * neg))
    w = np.zeros(d)
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w + b, -50, 50)))
        g = sw * (p - y)
        w -= lr * (x.T @ g / n + l2 * w)
        b -= lr * float(g.mean())
    return w, b


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    return mean, scale


def folds(groups: list[str], k: int, seed: int = 0) -> np.ndarray:
    uniq = sorted(set(groups))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    fold_of = {uniq[i]: int(j % k) for j, i in enumerate(order)}
    return np.array([fold_of[g] for g in groups])


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: list[str], l2: float, k: int = 5) -> np.ndarray:
    fid = folds(groups, k)
    p = np.zeros(len(y))
    for f in range(k):
        tr, te = fid != f, fid == f
        mean, scale = standardise(x[tr])
        w, b = fit((x[tr] - mean) / scale, y[tr], l2)
        p[te] = 1.0 / (1.0 + np.exp(-np.clip(((x[te] - mean) / scale) @ w + b, -50, 50)))
    return p


def threshold_for(p: np.ndarray, y: np.ndarray, target_recall: float) -> float:
    pos = np.sort(p[y == 1])
    if len(pos) == 0:
        return 0.5
    # the highest threshold that keeps at least target_recall of the positives at or above it
    idx = int(np.floor((1.0 - target_recall) * len(pos)))
    return float(pos[min(idx, len(pos) - 1)])


def scores_at(p: np.ndarray, y: np.ndarray, t: float, sets: list[str]) -> dict[str, Any]:
    hit = p >= t
    out: dict[str, Any] = {
        "threshold": round(t, 4),
        "uniform_recall": round(float(hit[y == 1].mean()), 4),
        "civilian_false_rate": round(float(hit[y == 0].mean()), 4),
        "uniform_crops": int((y == 1).sum()),
        "civilian_crops": int((y == 0).sum()),
    }
    for s in sorted(set(sets)):
        m = np.array([x == s for x in sets])
        if (y[m] == 0).any():
            out[f"civilian_false_rate_{s}"] = round(float(hit[m & (y == 0)].mean()), 4)
    return out


def write_manifest(entry_toml: str, manifest: Path) -> None:
    text = manifest.read_text(encoding="utf-8") if manifest.is_file() else ""
    # drop an earlier uniform_head entry (up to the next [[model]] or the end)
    text = re.sub(
        r'\n\[\[model\]\]\nname = "uniform_head"\n.*?(?=\n\[\[model\]\]\n|\Z)', "", text, flags=re.S
    )
    manifest.write_text(text.rstrip("\n") + "\n\n" + entry_toml, encoding="utf-8")


def toml_str(v: str) -> str:
    return json.dumps(v, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--l2", type=float, default=0.05)
    ap.add_argument("--target-recall", type=float, default=0.9)
    ap.add_argument("--out", type=Path, default=MODELS_DIR / HEAD_FILE)
    ap.add_argument("--manifest", type=Path, default=MODELS_DIR / "manifest.toml")
    args = ap.parse_args(argv)

    rows = load_rows(args.data)
    x = embed(args.data, rows).astype(np.float64)
    y = np.array([1.0 if r["label"] == "uniform" else 0.0 for r in rows])
    groups = [r["source"] for r in rows]
    sets = [r["set"] for r in rows]
    print(f"{len(rows)} crops: {int(y.sum())} uniform, {int((1 - y).sum())} civilian")

    for l2 in sorted({args.l2, 0.01, 0.2}):
        p = out_of_fold(x, y, groups, l2)
        t = threshold_for(p, y, args.target_recall)
        print(f"l2={l2}: out-of-fold {scores_at(p, y, t, sets)}")
    p = out_of_fold(x, y, groups, args.l2)
    t = threshold_for(p, y, args.target_recall)
    cv = scores_at(p, y, t, sets)

    mean, scale = standardise(x)
    w, b = fit((x - mean) / scale, y, args.l2)
    head = {
        "classes": ["civilian", "uniform"],
        "embedding": "EfficientNet-Lite0 pooled features, L2-normalised (detectors/backbone.py)",
        "weights": [round(float(v), 7) for v in w],
        "bias": round(b, 7),
        "mean": [round(float(v), 7) for v in mean],
        "scale": [round(float(v), 7) for v in scale],
        "threshold": round(t, 4),
    }
    args.out.write_text(json.dumps(head) + "\n", encoding="utf-8")
    from sharesafe.fsutil import sha256_file

    sha = sha256_file(args.out)
    lines = [
        "[[model]]",
        f'name = "{ENTRY}"',
        f'file = "{args.out.name}"',
        f'sha256 = "{sha}"',
        f"bytes = {args.out.stat().st_size}",
        'format = "json"',
        'task = "classify person crops"',
        f'date = "{datetime.date.today().isoformat()}"',
        'licence = "AGPL-3.0-or-later (weights fitted by ShareSafe; data CC BY 4.0 / CC BY 2.0, see sources)"',
        'classes = ["civilian", "uniform"]',
        'embedding = "efficientnet-lite0 (models/derived/efficientnet-lite0.onnx, detectors/derive.py)"',
        'training_command = "python scripts/stage_uniform_crops.py crops|sheets|labels (see its docstring); '
        f'python models/train_uniform.py --data DATA --l2 {args.l2} --target-recall {args.target_recall}"',
        "",
        "[model.cross_validation]  # of uniform_head: 5 folds, crops of one photo in one fold",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in cv.items()]
    for s in sorted(set(sets)):
        src = SOURCES.get(s, {"origin": "unknown", "licence": "unknown", "labels": ""})
        n_u = sum(1 for r in rows if r["set"] == s and r["label"] == "uniform")
        n_c = sum(1 for r in rows if r["set"] == s and r["label"] == "civilian")
        lines += [
            "",
            "[[model.data_sources]]",
            f'set = "{s}"',
            f"origin = {toml_str(src['origin'])}",
            f"licence = {toml_str(src['licence'])}",
            f"labels = {toml_str(src['labels'])}",
            f"crops = {{ uniform = {n_u}, civilian = {n_c} }}",
        ]
    write_manifest("\n".join(lines) + "\n", args.manifest)
    print(f"wrote {args.out} (sha256 {sha[:16]}), threshold {t:.4f}; cross-validated {cv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
