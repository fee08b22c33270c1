"""A head on EfficientNet-Lite0 embeddings of labelled crops: what every crop head ShareSafe trains
(`uniform_head`, `police_vehicle_head`, `weapon_check_head`, `held_phone_head`) has in common.

The data folder holds crops.csv (one row per crop: set, crop path relative to the folder, source photo,
box, label) as the staging scripts write it. Every crop is embedded once with the app's own backbone
(cached in <data>/features_lite0.npz) and a head with balanced class weights is fitted in numpy: an
L2-regularised logistic regression (full-batch gradient descent), or with `--hidden N` one hidden ReLU
layer of N units (full-batch Adam from a seeded start, L2 on both layers; deterministic). Scores are
5-fold cross-validated with the crops of one source photo kept in one fold; the threshold is the
highest that keeps the out-of-fold recall of the positive class at the target (privacy over-redacts).
`train` writes the head (JSON, read by detectors/crop_head.py) and its [[model]] entry in
models/manifest.toml (sha256, sources, command, scores).

No evaluation set is read here: the independent sets are only scored by scripts/eval_scene.py.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MODELS_DIR = Path(__file__).resolve().parent
EMBEDDING = "EfficientNet-Lite0 pooled features, L2-normalised (detectors/backbone.py)"


@dataclass(frozen=True)
class HeadSpec:
    """What one head is: its manifest entry, file, classes (negative, positive), and the data it names."""

    entry: str
    file: str
    negative: str
    positive: str
    task: str
    licence: str
    command: str  # how the crops were staged (the fitting command is appended)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Which parts of each crop are embedded (detectors/crop_head.py PARTS), concatenated in this order.
    parts: tuple[str, ...] = ("whole",)


#: The columns of crops.csv, the list of labelled crops the staging scripts write.
CROP_FIELDS = ["set", "crop", "source", "x1", "y1", "x2", "y2", "label"]


def read_crops(data: Path) -> list[dict[str, str]]:
    """Every row of <data>/crops.csv (none when there is no such file yet)."""
    path = data / "crops.csv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_crops(data: Path, rows: list[dict[str, str]]) -> None:
    data.mkdir(parents=True, exist_ok=True)
    with (data / "crops.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, CROP_FIELDS)
        w.writeheader()
        w.writerows(rows)


def load_rows(data: Path, labels: tuple[str, str]) -> list[dict[str, str]]:
    return [r for r in read_crops(data) if r["label"] in labels]


def embed(data: Path, rows: list[dict[str, str]], part: str = "whole") -> npt.NDArray[np.float32]:
    """Lite0 features of one part of each row's crop, computed once and cached by crop path."""
    from PIL import Image

    from detectors import backbone
    from detectors.crop_head import PARTS

    cache = data / ("features_lite0.npz" if part == "whole" else f"features_lite0_{part}.npz")
    known: dict[str, np.ndarray] = {}
    if cache.is_file():
        with np.load(cache) as z:
            known = dict(zip([str(k) for k in z["keys"]], z["features"], strict=True))
    todo = [r["crop"] for r in rows if r["crop"] not in known]
    net = backbone.get_backbone()
    for start in range(0, len(todo), 32):
        part_of = todo[start : start + 32]
        crops = [
            np.ascontiguousarray(PARTS[part](np.asarray(Image.open(data / c).convert("RGB"))))
            for c in part_of
        ]
        for c, f in zip(part_of, net.features(crops), strict=True):
            known[c] = f
        print(f"  embedded {part} {min(start + 32, len(todo))}/{len(todo)}", file=sys.stderr, flush=True)
    if todo:
        keys = sorted(known)
        np.savez_compressed(cache, keys=np.array(keys), features=np.stack([known[k] for k in keys]))
    return np.stack([known[r["crop"]] for r in rows]).astype(np.float32)


def embed_parts(data: Path, rows: list[dict[str, str]], parts: tuple[str, ...]) -> npt.NDArray[np.float32]:
    return np.hstack([embed(data, rows, part) for part in parts])


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


#: One fitted head: (hidden weights, hidden biases) or None for a logistic regression, then the output
#: weights and bias.
Fitted = tuple[tuple[np.ndarray, np.ndarray] | None, np.ndarray, float]


def fit_hidden(
    x: np.ndarray, y: np.ndarray, l2: float, hidden: int, steps: int = 500, lr: float = 1e-3, seed: int = 0
) -> Fitted:
    """Balanced-weight binary cross-entropy on one hidden ReLU layer of `hidden` units, L2 on both layers,
    full-batch Adam from a seeded He start (x already standardised): deterministic for given data."""
    n, d = x.shape
    pos = max(int(y.sum()), 1)
    sw = np.where(y == 1, n / (2 * pos), n / (2 * max(n - pos, 1)))
    rng = np.random.default_rng(seed)
    params = [
        rng.normal(0.0, np.sqrt(2.0 / d), (d, hidden)),
        np.zeros(hidden),
        rng.normal(0.0, np.sqrt(1.0 / hidden), hidden),
        np.zeros(1),
    ]
    m1 = [np.zeros_like(q) for q in params]
    m2 = [np.zeros_like(q) for q in params]
    for t in range(1, steps + 1):
        w1, b1, w2, b2 = params
        h = np.maximum(x @ w1 + b1, 0.0)
        p = 1.0 / (1.0 + np.exp(-np.clip(h @ w2 + b2[0], -50, 50)))
        gz = sw * (p - y) / n
        gh = np.outer(gz, w2) * (h > 0)
        grads = [x.T @ gh + l2 * w1, gh.sum(axis=0), h.T @ gz + l2 * w2, np.array([gz.sum()])]
        for i, g in enumerate(grads):
            m1[i] = 0.9 * m1[i] + 0.1 * g
            m2[i] = 0.999 * m2[i] + 0.001 * g * g
            params[i] = params[i] - lr * (m1[i] / (1 - 0.9**t)) / (np.sqrt(m2[i] / (1 - 0.999**t)) + 1e-8)
    return (params[0], params[1]), params[2], float(params[3][0])


def fit_head(x: np.ndarray, y: np.ndarray, l2: float, hidden: int) -> Fitted:
    """A logistic regression (`hidden` 0) or a one-hidden-layer head, on standardised x."""
    if hidden <= 0:
        w, b = fit(x, y, l2)
        return None, w, b
    return fit_hidden(x, y, l2, hidden)


def predict(head: Fitted, x: np.ndarray) -> np.ndarray:
    layer, w, b = head
    h = x if layer is None else np.maximum(x @ layer[0] + layer[1], 0.0)
    return 1.0 / (1.0 + np.exp(-np.clip(h @ w + b, -50, 50)))


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


def out_of_fold(
    x: np.ndarray, y: np.ndarray, groups: list[str], l2: float, k: int = 5, hidden: int = 0
) -> np.ndarray:
    fid = folds(groups, k)
    p = np.zeros(len(y))
    for f in range(k):
        tr, te = fid != f, fid == f
        mean, scale = standardise(x[tr])
        p[te] = predict(fit_head((x[tr] - mean) / scale, y[tr], l2, hidden), (x[te] - mean) / scale)
    return p


def threshold_for(p: np.ndarray, y: np.ndarray, target_recall: float) -> float:
    pos = np.sort(p[y == 1])
    if len(pos) == 0:
        return 0.5
    # the highest threshold that keeps at least target_recall of the positives at or above it
    idx = int(np.floor((1.0 - target_recall) * len(pos)))
    return float(pos[min(idx, len(pos) - 1)])


def threshold_at_false_rate(p: np.ndarray, y: np.ndarray, false_rate: float) -> float:
    """The lowest threshold at which at most `false_rate` of the negatives score at or above it."""
    neg = np.sort(p[y == 0])[::-1]
    if len(neg) == 0:
        return 0.5
    allowed = int(np.floor(false_rate * len(neg)))  # this many negatives may still pass
    return float(np.nextafter(neg[allowed], 1.0)) if allowed < len(neg) else float(neg[-1])


def choose_threshold(p: np.ndarray, y: np.ndarray, target_recall: float, false_rate: float | None) -> float:
    """At the target recall, or (with `false_rate`) at that false rate on the negatives instead."""
    return (
        threshold_for(p, y, target_recall)
        if false_rate is None
        else threshold_at_false_rate(p, y, false_rate)
    )


def scores_at(p: np.ndarray, y: np.ndarray, t: float, sets: list[str], spec: HeadSpec) -> dict[str, Any]:
    hit = p >= t
    out: dict[str, Any] = {
        "threshold": round(t, 4),
        f"{spec.positive}_recall": round(float(hit[y == 1].mean()), 4),
        f"{spec.negative}_false_rate": round(float(hit[y == 0].mean()), 4),
        f"{spec.positive}_crops": int((y == 1).sum()),
        f"{spec.negative}_crops": int((y == 0).sum()),
    }
    for s in sorted(set(sets)):
        m = np.array([x == s for x in sets])
        if (y[m] == 0).any():
            out[f"{spec.negative}_false_rate_{s}"] = round(float(hit[m & (y == 0)].mean()), 4)
    return out


def write_manifest(entry: str, entry_toml: str, manifest: Path) -> None:
    text = manifest.read_text(encoding="utf-8") if manifest.is_file() else ""
    # drop an earlier entry of this name (up to the next [[model]] or the end)
    pattern = r'\n?\[\[model\]\]\nname = "' + re.escape(entry) + r'"\n.*?(?=\n\[\[model\]\]\n|\Z)'
    text = re.sub(pattern, "", text, flags=re.S)
    manifest.write_text(text.strip("\n") + "\n\n" + entry_toml, encoding="utf-8")


def toml_str(v: str) -> str:
    return json.dumps(v, ensure_ascii=False)


def train(spec: HeadSpec, argv: list[str] | None = None, doc: str | None = None) -> int:
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--l2", type=float, default=0.05)
    ap.add_argument("--target-recall", type=float, default=0.9)
    ap.add_argument(
        "--hidden", type=int, default=0, help="units of one hidden ReLU layer (0: logistic regression)"
    )
    ap.add_argument(
        "--target-false-rate",
        type=float,
        default=None,
        help="set the threshold by the out-of-fold false rate on the negative crops instead of the recall",
    )
    ap.add_argument("--out", type=Path, default=MODELS_DIR / spec.file)
    ap.add_argument("--manifest", type=Path, default=MODELS_DIR / "manifest.toml")
    args = ap.parse_args(argv)

    rows = load_rows(args.data, (spec.negative, spec.positive))
    x = embed_parts(args.data, rows, spec.parts).astype(np.float64)
    y = np.array([1.0 if r["label"] == spec.positive else 0.0 for r in rows])
    groups = [r["source"] for r in rows]
    sets = [r["set"] for r in rows]
    print(f"{len(rows)} crops: {int(y.sum())} {spec.positive}, {int((1 - y).sum())} {spec.negative}")

    for l2 in sorted({args.l2, 0.01, 0.2}):
        p = out_of_fold(x, y, groups, l2, hidden=args.hidden)
        t = choose_threshold(p, y, args.target_recall, args.target_false_rate)
        print(f"l2={l2}: out-of-fold {scores_at(p, y, t, sets, spec)}")
    p = out_of_fold(x, y, groups, args.l2, hidden=args.hidden)
    t = choose_threshold(p, y, args.target_recall, args.target_false_rate)
    cv = scores_at(p, y, t, sets, spec)
    np.save(args.data / f"{spec.entry}_out_of_fold.npy", p)  # for looking at the worst crops afterwards

    mean, scale = standardise(x)
    layer, w, b = fit_head((x - mean) / scale, y, args.l2, args.hidden)
    head: dict[str, Any] = {
        "classes": [spec.negative, spec.positive],
        "embedding": EMBEDDING,
        "parts": list(spec.parts),
    }
    if layer is not None:
        head["hidden_weights"] = [[round(float(v), 6) for v in row] for row in layer[0]]
        head["hidden_bias"] = [round(float(v), 6) for v in layer[1]]
    head |= {
        "weights": [round(float(v), 7) for v in w],
        "bias": round(b, 7),
        "mean": [round(float(v), 7) for v in mean],
        "scale": [round(float(v), 7) for v in scale],
        "threshold": round(t, 4),
    }
    args.out.write_text(json.dumps(head) + "\n", encoding="utf-8")
    from sharesafe.fsutil import sha256_file

    sha = sha256_file(args.out)
    script = Path(sys.argv[0]).name if argv is None else f"train_{spec.entry}.py"
    lines = [
        "[[model]]",
        f'name = "{spec.entry}"',
        f'file = "{args.out.name}"',
        f'sha256 = "{sha}"',
        f"bytes = {args.out.stat().st_size}",
        'format = "json"',
        f"task = {toml_str(spec.task)}",
        f'date = "{datetime.date.today().isoformat()}"',
        f"licence = {toml_str(spec.licence)}",
        f'classes = ["{spec.negative}", "{spec.positive}"]',
        'embedding = "efficientnet-lite0 (models/derived/efficientnet-lite0.onnx, detectors/derive.py)"',
        f"crop_parts = {json.dumps(list(spec.parts))}",
        "training_command = "
        + toml_str(
            f"{spec.command}; python models/{script} --data DATA --l2 {args.l2} "
            + (f"--hidden {args.hidden} " if args.hidden else "")
            + (
                f"--target-recall {args.target_recall}"
                if args.target_false_rate is None
                else f"--target-false-rate {args.target_false_rate}"
            )
        ),
        "",
        f"[model.cross_validation]  # of {spec.entry}: 5 folds, crops of one photo in one fold",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in cv.items()]
    for s in sorted(set(sets)):
        src = spec.sources.get(s, {"origin": "unknown", "licence": "unknown", "labels": ""})
        n_p = sum(1 for r in rows if r["set"] == s and r["label"] == spec.positive)
        n_n = sum(1 for r in rows if r["set"] == s and r["label"] == spec.negative)
        lines += [
            "",
            "[[model.data_sources]]",
            f'set = "{s}"',
            f"origin = {toml_str(src['origin'])}",
            f"licence = {toml_str(src['licence'])}",
            f"labels = {toml_str(src['labels'])}",
            f"crops = {{ {spec.positive} = {n_p}, {spec.negative} = {n_n} }}",
        ]
    write_manifest(spec.entry, "\n".join(lines) + "\n", args.manifest)
    print(f"wrote {args.out} (sha256 {sha[:16]}), threshold {t:.4f}; cross-validated {cv}")
    return 0
