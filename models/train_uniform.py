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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crop_head import HeadSpec, train  # models/ is not a package: found through sys.path

#: Where each staged set came from (recorded in the manifest).
SOURCES: dict[str, dict[str, str]] = {
    "military": {
        "origin": "https://github.com/Srimadhav-Seebu-Kumar/Military-Uniform-Classification-YOLO @ "
        "f1aff9f07697c0b0216230bb69cbe94230a4cc27 (dataset/*/Army|Navy|Airforce; the split folders hold the "
        "same photos, 353 unique by blob)",
        "licence": "MIT (the repository's LICENSE); web photos of the Indian Army, Navy and Air Force",
        "labels": "person boxes from the `persons` detector; every crop uniform except those a ShareSafe "
        "engineer marked civilian (politicians, guests) or unusable on contact sheets",
    },
    "hivis": {
        "origin": "https://github.com/vederko-p/yolov7_helmet_detection @ 7cdd14a8ce16b1d94e9a35511a1743ebd979d536 "
        "(as staged in ../shared/traindata/hivis_vest_helmet, train split)",
        "licence": "CC BY 4.0 (Roboflow Universe safety-vest v4)",
        "labels": "every person crop civilian: construction workers in hi-vis vests and helmets",
    },
    "smoking": {
        "origin": "https://github.com/Huyhoclaptrinh/smoking-detection @ 080fae5b41b474cbe09adf60195c820c6e85cf9b "
        "(a seeded sample of 300 photos)",
        "licence": "MIT (the repository's LICENSE)",
        "labels": "every person crop civilian: people smoking, in everyday clothes",
    },
    "wallet": {
        "origin": "https://github.com/aitkherimed1228/Yolov10_project @ 9b895c03691c7cd70d7005fbf48403476f22458f "
        "(detection-2, all splits)",
        "licence": "CC BY 4.0 (Roboflow export, its README.dataset.txt)",
        "labels": "every person crop civilian: people holding a phone, a wallet or an earphone case",
    },
}


SPEC = HeadSpec(
    entry="uniform_head",
    file="uniform_head.json",
    negative="civilian",
    positive="uniform",
    task="classify person crops",
    licence="AGPL-3.0-or-later (weights fitted by ShareSafe; data MIT / CC BY 4.0, see sources)",
    command="python scripts/stage_uniform_crops.py crops|sheets|labels|guard (see its docstring)",
    sources=SOURCES,
)


if __name__ == "__main__":
    raise SystemExit(train(SPEC, doc=__doc__))
