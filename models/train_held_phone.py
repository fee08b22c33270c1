"""Train the held-phone look: logistic regression on EfficientNet-Lite0 embeddings of windows over people.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python models/train_held_phone.py --data /work/data/ph/crops \\
        --target-recall 0.8

Reads <data>/crops.csv (written by scripts/stage_phone_windows.py: `held_phones`' own windows, `phone`
where a labelled phone in a hand fills them, `other` elsewhere and on phone-free photos of people
smoking, working and holding things) and fits the head the way every crop head is fitted
(models/crop_head.py: balanced logistic regression, 5-fold cross-validation by source photo). The
threshold keeps --target-recall of the phone windows out of fold: a phone is usually seen by more than
one window, so a window recall of 0.8 finds more of the phones than that. Writes
models/held_phone_head.json and its [[model]] entry in models/manifest.toml.

No evaluation set is read here: every photo within 10 dHash bits of an image of our screen evaluation
sets (their phone frames' whole source repository included), of ../shared/evaldata or of our held-out
weapon photos was left out when staging.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crop_head import HeadSpec, train  # models/ is not a package: found through sys.path

_GUARD = "; photos within 10 dHash bits of a screen evaluation photo or ../shared/evaldata left out"
#: Where each staged set came from (recorded in the manifest).
SOURCES: dict[str, dict[str, str]] = {
    "seatbelt": {
        "origin": "https://github.com/bsaisoumith/Driver-Seatbelt-and-Mobile-Phone-detection-using-YOLOv5 @ "
        "542071df4c2d47e756bbb51e17c405c6ae1f28b5 (datasets/train, valid, test)",
        "licence": "CC BY 4.0 (its README.dataset.txt and data.yaml: Roboflow 'Seatbelt cellphone detection' "
        "v2 by hcl-technologies-ltd); many photos carry stock-agency watermarks",
        "labels": "phone: windows holding a Cellphone_calling or Cellphone_texting box (phone and hand); "
        "other: windows touching none; photos without a phone label not used (some hold unlabelled phones)"
        + _GUARD,
    },
    "webcam": {
        "origin": "https://github.com/aitkherimed1228/Yolov10_project @ 9b895c03691c7cd70d7005fbf48403476f22458f "
        "(detection-2/train, valid, test)",
        "licence": "CC BY 4.0 (its README.dataset.txt and data.yaml: Roboflow 'detection-necem' v2)",
        "labels": "phone: as seatbelt (class phone); other: the rest, including every window of its photos of "
        "the same person holding a wallet or an earphone case" + _GUARD,
    },
    "smoking": {
        "origin": "https://github.com/Huyhoclaptrinh/smoking-detection @ 080fae5b41b474cbe09adf60195c820c6e85cf9b "
        "(a seeded 300 of its 1 260 photos, train and val)",
        "licence": "MIT (repository LICENSE; a re-upload of a Roboflow export)",
        "labels": "other: windows over people smoking (hands at the face)" + _GUARD,
    },
    "hivis": {
        "origin": "../shared/traindata/hivis_vest_helmet (github.com/vederko-p/yolov7_helmet_detection @ 7cdd14a8), "
        "train split, a seeded 200",
        "licence": "CC BY 4.0 (Roboflow safety-vest v4)",
        "labels": "other: windows over construction workers (8 a photo)" + _GUARD,
    },
    "gun": {
        "origin": "../shared/traindata/gun_single_class (github.com/yatinmanuel/stars-vthacks @ 773deaaf), "
        "train split, a seeded 250",
        "licence": "CC BY 4.0 (Roboflow gun-detection); Open Images photos CC BY 2.0",
        "labels": "other: windows over people holding guns (8 a photo)" + _GUARD,
    },
    "rooms": {
        "origin": "https://github.com/MiguelARD/DoorDetect-Dataset @ 1db107fe (Open Images photos of rooms, "
        "offices and frontages), a seeded 200",
        "licence": "Open Images photos, listed CC BY 2.0",
        "labels": "other: windows over the people in them, or over the whole photo (6 a photo)" + _GUARD,
    },
}

SPEC = HeadSpec(
    entry="held_phone_head",
    file="held_phone_head.json",
    negative="other",
    positive="phone",
    task="classify windows over people: a phone held in a hand or not",
    licence="AGPL-3.0-or-later (weights fitted by ShareSafe; data CC BY 4.0 / MIT / CC BY 2.0, see sources)",
    command="python scripts/stage_phone_windows.py (see its docstring and models/README.md)",
    sources=SOURCES,
)


if __name__ == "__main__":
    raise SystemExit(train(SPEC, doc=__doc__))
