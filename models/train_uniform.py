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


SPEC = HeadSpec(
    entry="uniform_head",
    file="uniform_head.json",
    negative="civilian",
    positive="uniform",
    task="classify person crops",
    licence="AGPL-3.0-or-later (weights fitted by ShareSafe; data CC BY 4.0 / CC BY 2.0, see sources)",
    command="python scripts/stage_uniform_crops.py crops|sheets|labels (see its docstring)",
    sources=SOURCES,
)


if __name__ == "__main__":
    raise SystemExit(train(SPEC, doc=__doc__))
