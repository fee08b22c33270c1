"""Train the police-vehicle head: logistic regression on EfficientNet-Lite0 embeddings of vehicle crops.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python models/train_police_vehicle.py --data /work/data/pv/crops

Reads <data>/crops.csv (written by scripts/stage_vehicle_crops.py: one row per vehicle crop, labelled
`police` or `civilian`) and fits the head the way every crop head is fitted (models/crop_head.py:
balanced logistic regression, 5-fold cross-validation by source photo, the threshold that keeps the
out-of-fold police recall at --target-recall, or the out-of-fold false rate on civilian crops at
--target-false-rate). The head sees two parts of each crop: the whole vehicle and its top half. Writes models/police_vehicle_head.json and its [[model]]
entry in models/manifest.toml.

No evaluation set is read here: issue 11's independent police-car sets are only scored by
scripts/eval_scene.py, and every photo within 10 dHash bits of one of them was left out when staging.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crop_head import HeadSpec, train  # models/ is not a package: found through sys.path

_RF = (
    "https://github.com/prescient-slime/Real-Time-Police-Vehicle-Detection-in-Traffic-Video-Streams-Using-YOLOv8"
    " @ 73897568e98383de9f43854bd5b51b1e67a20909 (datasets/train, valid, test)"
)
#: Where each staged set came from (recorded in the manifest).
SOURCES: dict[str, dict[str, str]] = {
    "policecars_rf": {
        "origin": _RF,
        "licence": "MIT (repository); its README.dataset.txt names the Roboflow Universe source "
        "(v5-model/test-hdk46) as CC BY 4.0",
        "labels": "the set's own boxes: classes 0 and 5 (police cars) -> police, class 3 (cars) -> civilian; "
        "classes 1, 2, 4 (ambulance, unknown, a noisy 'Normal-Cars') not used; of each photo's "
        "Roboflow-augmented copies the least blacked-out one; crops over 30 % pure black left out; "
        "photos within 10 dHash bits of an independent test image left out",
    },
    "civ_oi": {
        "origin": "https://github.com/unknowncz/LP_recognition @ ecd25180ff577a39e4cf06cabb123771d503422c "
        "(LP_Detection/train, first 450 photos as staged for the plate model)",
        "licence": "Open Images V6 photos CC BY 2.0 (Roboflow 'Google Licence Plates' export, boxes CC BY 4.0)",
        "labels": "every vehicle the `coco` detector boxes (score >= 0.4) -> civilian (street and parking photos), "
        "except the police cars a ShareSafe engineer saw among the highest-scoring crops (relabelled police)",
    },
    "civ_oi2": {
        "origin": "https://github.com/unknowncz/LP_recognition @ ecd25180ff577a39e4cf06cabb123771d503422c "
        "(LP_Detection/train, the other 430 photos as staged for the plate model)",
        "licence": "Open Images V6 photos CC BY 2.0 (Roboflow 'Google Licence Plates' export, boxes CC BY 4.0)",
        "labels": "as civ_oi",
    },
    "civ_oi_valid": {
        "origin": "https://github.com/unknowncz/LP_recognition @ ecd25180ff577a39e4cf06cabb123771d503422c "
        "(LP_Detection/valid: the project's own plate evaluation photos; no plate figure depends on this head)",
        "licence": "Open Images V6 photos CC BY 2.0 (Roboflow 'Google Licence Plates' export, boxes CC BY 4.0)",
        "labels": "as civ_oi",
    },
    "civ_openalpr": {
        "origin": "https://github.com/openalpr/benchmarks @ 9790ed20d475be1e940a7e2a3f492a97c2ebed9b "
        "(endtoend/br, eu, us; the 168 photos that are also ../shared/evaldata/licence_plate left out)",
        "licence": "AGPL-3.0",
        "labels": "as civ_oi",
    },
    "civ_openlpr": {
        "origin": "https://github.com/faisalthaheem/open-lpr-dataset-plate-detection @ "
        "7251620bb3405a230eea1516a361dd7367818b88 (train photos as staged for the plate model)",
        "licence": "Apache-2.0",
        "labels": "every vehicle the `coco` detector boxes (score >= 0.4) -> civilian (car photos), except the "
        "police cars a ShareSafe engineer saw among the highest-scoring crops (relabelled police)",
    },
}

SPEC = HeadSpec(
    entry="police_vehicle_head",
    file="police_vehicle_head.json",
    negative="civilian",
    positive="police",
    task="classify vehicle crops",
    licence="AGPL-3.0-or-later (weights fitted by ShareSafe; data MIT / CC BY 4.0 / CC BY 2.0 / Apache-2.0, "
    "see sources)",
    command="python scripts/stage_vehicle_crops.py yolo|detect (see its docstring and models/README.md)",
    sources=SOURCES,
    # the whole vehicle and its top half (light bars, roof and door-top markings): out of fold, at 2 % of
    # civilian crops, police recall 0.79 against 0.69 with the whole crop alone
    parts=("whole", "top"),
)


if __name__ == "__main__":
    raise SystemExit(train(SPEC, doc=__doc__))
