"""Train the weapon second look: logistic regression on EfficientNet-Lite0 embeddings of weapon boxes.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python models/train_weapon_check.py --data /work/data/wc/crops \\
        --target-recall 0.97

Reads <data>/crops.csv (written by scripts/stage_weapon_crops.py: `objects`' own weapon boxes and the
labelled weapons of public training sets, `weapon`; its boxes on weapon-free photos, `other`) and
fits the head the way every crop head is fitted (models/crop_head.py: balanced logistic regression,
5-fold cross-validation by source photo). The threshold keeps --target-recall of the weapon crops out
of fold: the head exists to drop false alarms, and a missed weapon is the worse mistake. Writes
models/weapon_check_head.json and its [[model]] entry in models/manifest.toml.

No evaluation set is read here; every photo near an image of the project's independent weapon test
sets, of ../shared/evaldata or of our held-out weapon photos was left out when staging.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crop_head import HeadSpec, train  # models/ is not a package: found through sys.path

_GUARD = (
    "; photos within 10 dHash bits of an image of an independent weapon test set, ../shared/evaldata "
    "or our held-out weapon photos left out"
)
#: Where each staged set came from (recorded in the manifest).
SOURCES: dict[str, dict[str, str]] = {
    "gun": {
        "origin": "../shared/traindata/gun_single_class (github.com/yatinmanuel/stars-vthacks @ 773deaaf), "
        "train split, seeded sample of 1000 photos",
        "licence": "CC BY 4.0 (Roboflow export gun-detection-1lttj/gun-detection-1fbbu v1); images Univ. "
        "Granada pistol photos, CCTV mock-attack frames, Open Images (CC BY 2.0)",
        "labels": "weapon: `objects` boxes (conf 0.15) overlapping a labelled gun, and the labelled guns"
        + _GUARD,
    },
    "gunknife": {
        "origin": "https://github.com/Vardhinedi/weapon-detection @ 97512559575007b7564ecd7ef01deebd253f0934 "
        "(train split: a seeded 500 of 900 knife and 300 pistol photos drawn one per Roboflow source photo)",
        "licence": "CC BY 4.0 (Roboflow 'gun&knife' v2 by poke-mstry, universe.roboflow.com/poke-mstry/gun-knife-ymlps)",
        "labels": "weapon: as gun (classes knife and pistol)" + _GUARD,
    },
    "phones": {
        "origin": "https://github.com/bwssytems/phone-usage-computer-vision @ d7e34baa0cfd4a5ef317be379dd65f307c35ef4d "
        "(yolo_dataset/images/train, all 294)",
        "licence": "GPL-3.0 (LICENSE at repo root; frames partly from Pexels videos)",
        "labels": "other: every `objects` weapon box (conf 0.05) on these photos of phones in hands" + _GUARD,
    },
    "hivis": {
        "origin": "../shared/traindata/hivis_vest_helmet (github.com/vederko-p/yolov7_helmet_detection @ 7cdd14a8), "
        "train split, all 290",
        "licence": "CC BY 4.0 (Roboflow safety-vest v4)",
        "labels": "other: as phones (construction workers)" + _GUARD,
    },
    "streets": {
        "origin": "the plate model's training photos: github.com/unknowncz/LP_recognition @ ecd25180 "
        "(LP_Detection/train, Open Images) and github.com/faisalthaheem/open-lpr-dataset-plate-detection @ 7251620b, "
        "all 1188",
        "licence": "Open Images V6 photos CC BY 2.0 (boxes CC BY 4.0); Apache-2.0",
        "labels": "other: as phones (street, parking and car photos)" + _GUARD,
    },
    "rooms": {
        "origin": "https://github.com/MiguelARD/DoorDetect-Dataset @ 1db107fe (images: Open Images photos of rooms, "
        "offices, kitchens and frontages; the 137 photos of our screen evaluation sets left out by the guard)",
        "licence": "Open Images photos, listed CC BY 2.0",
        "labels": "other: as phones; the 80 highest-scoring crops out of fold were looked at by eye: one "
        "(a person holding a submachine gun) relabelled weapon, one unclear left out" + _GUARD,
    },
}

SPEC = HeadSpec(
    entry="weapon_check_head",
    file="weapon_check_head.json",
    negative="other",
    positive="weapon",
    task="classify weapon candidates (firearm or knife boxes of `objects`)",
    licence="AGPL-3.0-or-later (weights fitted by ShareSafe; data CC BY 4.0 / CC BY 2.0 / GPL-3.0 / Apache-2.0, "
    "see sources)",
    command="python scripts/stage_weapon_crops.py (see its docstring and models/README.md)",
    sources=SOURCES,
)


if __name__ == "__main__":
    raise SystemExit(train(SPEC, doc=__doc__))
