"""Readable text: PP-OCR detection + recognition (the ONNX models inside the `rapidocr` wheel).

Every string is classified by `detectors.textclass` (police or protective marking, name or collar
number, licence plate, address, other). Strings that fit a licence plate format become PLATE
findings; everything else becomes a TEXT finding with the class in `extra["text_class"]`.

The model files are passed to RapidOCR by explicit path, so it never looks for (or downloads) models
anywhere else; the text-direction classifier is switched off (upright images only, it costs time).
"""

from __future__ import annotations

import importlib.resources
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detectors import textclass
from detectors._onnx import cpu_threads
from detectors.faces import _package_version
from sharesafe.detector import ModelInfo, RGBImage
from sharesafe.resize import resized
from sharesafe.types import Box, Category, Finding

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"


def model_dir() -> Path:
    return Path(str(importlib.resources.files("rapidocr") / "models"))


def plate_frame(box: Box, width: int, height: int) -> Box:
    """Grow a box around a plate's characters to the plate's frame (OCR boxes hug the characters)."""
    dx, dy = 0.12 * box.width, 0.3 * box.height
    return Box.from_xyxy(box.x1 - dx, box.y1 - dy, box.x2 + dx, box.y2 + dy, width, height)


def _polygon_box(points: Any, sx: float, sy: float, width: int, height: int) -> Box:
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    return Box.from_xyxy(
        float(pts[:, 0].min()) / sx,
        float(pts[:, 1].min()) / sy,
        float(pts[:, 0].max()) / sx,
        float(pts[:, 1].max()) / sy,
        width,
        height,
    )


def _import_rapidocr() -> Any:
    """`rapidocr.RapidOCR`, imported without building its catalogue of downloadable models.

    At import, rapidocr turns its 85 KB `default_models.yaml` (download URLs for every language and
    engine) into an OmegaConf tree: about 1 s idle and 2.5 s on a loaded 2-core machine, two thirds of
    the text detector's load. ShareSafe passes every model by path, so the catalogue is never read;
    it is replaced by an empty one, which also means rapidocr cannot resolve a download URL at all
    (a wrong path fails with "Unsupported configuration" instead of fetching anything).
    """
    import sys

    if "rapidocr.inference_engine.base" not in sys.modules:
        from omegaconf import OmegaConf

        real_load = OmegaConf.load

        def load(file: Any, *args: Any, **kwargs: Any) -> Any:
            if Path(str(file)).name == "default_models.yaml":
                return OmegaConf.create({})
            return real_load(file, *args, **kwargs)

        OmegaConf.load = load  # type: ignore[method-assign,assignment]
        try:
            import rapidocr.inference_engine.base  # noqa: F401 - builds InferSession.model_info now
        finally:
            OmegaConf.load = real_load  # type: ignore[method-assign]
        _quiet_sessions()
    from rapidocr import RapidOCR

    return RapidOCR


#: A short line (at most this many characters) is checked against its box: PP-OCR's detector can box a
#: large flat area (a road, the edge of a solid cover) and the recogniser then "reads" one or two
#: characters in it.
SHORT_LINE = 3
#: Widest plausible box of a short line: box heights per character, plus a margin. A glyph is at most
#: about as wide as it is tall, and the detector's unclipping pads a short word's height more than its
#: width (a single "1" boxes at ~0.5 of its height, "W" ~1.0, "WW" ~1.5), so 1.2 / 2.1 / 3.0 heights
#: for 1 / 2 / 3 characters leave room for wide fonts.
MAX_WIDTH_PER_CHARACTER = 0.9
WIDTH_MARGIN = 0.3


#: A line at least this share of the photo's shorter side tall is kept only when read with at least
#: `min_score`, whatever its class: lettering that large is read confidently when it is real, and an
#: unsure read of it is the recogniser "reading" a large flat area (the self-test's covered copy: a
#: "1", house number, at 0.35 in a 618 x 627 box of grey road).
GIANT_LINE = 0.3

#: Only boxes at least this share of the photo's shorter side are judged: the false reads are large
#: (the demo's: 60 % of the photo), while small real text is often boxed loosely at low resolution.
JUDGED_HEIGHT = 0.04


def plausible_line(text: str, box: Box, short_side: int = 0) -> bool:
    """Whether a short recognised string could fill its box; longer lines are always plausible
    (widely tracked lettering such as "P O L I C E" may be read without its spaces), and so are
    boxes under `JUDGED_HEIGHT` of the photo's `short_side`."""
    n = len(text.strip())
    if n == 0:
        return False
    if n > SHORT_LINE or box.height == 0 or box.height < JUDGED_HEIGHT * short_side:
        return True
    return box.width <= box.height * (MAX_WIDTH_PER_CHARACTER * n + WIDTH_MARGIN)


class OCRText:
    """One recognised line: its box in image pixels, the string and the recogniser's confidence."""

    __slots__ = ("box", "score", "text")

    def __init__(self, box: Box, text: str, score: float) -> None:
        self.box = box
        self.text = text
        self.score = score


class TextDetector:
    """OCR every line of text and classify it."""

    name = "text"
    categories = frozenset({Category.TEXT, Category.PLATE})
    context_categories: frozenset[Category] = frozenset()

    def __init__(
        self,
        det_side: int = 960,
        min_score: float = 0.5,
        min_score_classified: float = 0.3,
        box_thresh: float = 0.4,
    ) -> None:
        #: The text detector sees the photo at this size on its long side (larger photos are reduced,
        #: smaller ones enlarged up to 2x). PP-OCR's detector splits large words apart at 1280 px, and
        #: 960 px is also faster; the cost is that text under ~1.2 % of the photo's height is missed.
        self.det_side = det_side
        self.min_score = min_score  # plain "other" text below this is dropped (mostly garbage)
        self.min_score_classified = min_score_classified  # markings, names, plates: keep even when unsure
        self.box_thresh = box_thresh
        self.info = ModelInfo(
            model=f"rapidocr/models/{DET_MODEL} + {REC_MODEL}",
            licence="Apache-2.0",
            version="PP-OCRv6 small",
            source=f"rapidocr {_package_version('rapidocr')} (PyPI)",
        )
        self._engine: Any = None
        self._load_lock = threading.Lock()  # a background preload and a scan may both call load()

    def load(self) -> None:
        with self._load_lock:
            self._load_unlocked()

    def _load_unlocked(self) -> None:
        if self._engine is not None:
            return
        RapidOCR = _import_rapidocr()
        models = model_dir()
        for name in (DET_MODEL, REC_MODEL):
            if not (models / name).is_file():
                raise FileNotFoundError(f"the rapidocr wheel has no {name} in {models}")
        self._engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.text_score": 0.0,  # filtered here, per class
                "Global.max_side_len": 100_000,  # resizing is done here, once
                "Global.min_side_len": 8,
                "Global.model_root_dir": str(models),
                "Det.model_path": str(models / DET_MODEL),
                "Rec.model_path": str(models / REC_MODEL),
                "Det.limit_type": "max",
                "Det.limit_side_len": self.det_side,
                "Det.box_thresh": self.box_thresh,
                "Det.thresh": 0.25,
                "Det.unclip_ratio": 1.6,
                "EngineConfig.onnxruntime.intra_op_num_threads": cpu_threads(),
            }
        )
        # rapidocr makes its sessions on the first call; make them now, so that a background
        # preload (`detectors.registry.preload`) really loads the models before the first photo.
        for make in ("_load_det_model", "_load_rec_model"):
            if hasattr(self._engine, make):
                getattr(self._engine, make)()
        _fast_det_preprocess(self._engine)

    def read(self, image: RGBImage) -> list[OCRText]:
        """Every text line in `image` with its string, unfiltered."""
        self.load()
        height, width = image.shape[:2]
        long_side = max(width, height)
        scale = min(1.0, self.det_side / long_side)
        if long_side < 960:
            scale = min(2.0, 960 / long_side)
        small = image
        if scale < 1.0:
            small = resized(image, round(width * scale), round(height * scale))
        elif scale > 1.0:
            size = (round(width * scale), round(height * scale))
            small = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
        sy, sx = small.shape[0] / height, small.shape[1] / width
        if min(small.shape[:2]) < 32:
            # Very thin strips (banners, scan slivers): pad to a size the detector accepts; the
            # padding is below and right, so coordinates are unchanged.
            pad_y, pad_x = max(0, 32 - small.shape[0]), max(0, 32 - small.shape[1])
            padded = cv2.copyMakeBorder(small, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
            small = np.asarray(padded, dtype=np.uint8)
        result = self._engine(np.ascontiguousarray(small[:, :, ::-1]))
        if result.boxes is None or result.txts is None:
            return []
        lines = []
        for points, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            box = _polygon_box(points, sx, sy, width, height)
            if not box.is_empty:
                lines.append(OCRText(box, str(text).strip(), float(score)))
        return lines

    def detect(self, image: RGBImage, context: Sequence[Finding] = ()) -> list[Finding]:
        height, width = image.shape[:2]
        findings: list[Finding] = []
        for line in self.read(image):
            if not plausible_line(line.text, line.box, min(width, height)):
                continue
            if line.box.height >= GIANT_LINE * min(width, height) and line.score < self.min_score:
                continue
            cls = textclass.classify(line.text)
            if cls.kind == textclass.OTHER:
                if line.score < self.min_score or len(textclass.squash(line.text)) < 2:
                    continue
            elif line.score < self.min_score_classified:
                continue
            extra = {"text_class": cls.kind, "ocr_score": round(line.score, 3)}
            if cls.matched:
                extra["matched"] = cls.matched
            if cls.kind == textclass.PLATE:
                extra["text_box"] = line.box.as_list()
                box = plate_frame(line.box, width, height)
                findings.append(
                    Finding(Category.PLATE, "licence plate", line.score, box, self.name, line.text, extra)
                )
            else:
                findings.append(
                    Finding(Category.TEXT, cls.label, line.score, line.box, self.name, line.text, extra)
                )
        return findings


def create() -> TextDetector:
    return TextDetector()


def _fast_det_preprocess(engine: Any) -> None:
    """Give rapidocr's text detector a preprocessing step that produces the same network input, bit for
    bit, in a quarter of the time.

    rapidocr scales a photo's 8-bit values to floats with a float64 mean and deviation (13-33 ms of
    one core for a 960 px copy, the largest share of the OCR outside the networks). An 8-bit value
    has only 256 possible results per channel: they are computed once, by rapidocr's own
    arithmetic, and looked up. Anything that is not a 3-channel 8-bit image goes rapidocr's way."""
    det = getattr(engine, "text_det", None)
    if det is None or not hasattr(det, "get_preprocess"):
        return
    plain = det.get_preprocess

    def get_preprocess() -> Any:
        return _LookupPreprocess(plain())

    det.get_preprocess = get_preprocess


#: The lookup tables by (mean, deviation): made once; two threads making one at once make the same.
_TABLES: dict[tuple[bytes, bytes], np.ndarray] = {}


class _LookupPreprocess:
    """rapidocr's `DetPreProcess` with its normalize-and-transpose done through a per-channel table."""

    def __init__(self, plain: Any) -> None:
        self.plain = plain

    def table(self) -> np.ndarray:
        """(3, 256) float32: channel c of value v becomes table[c, v], exactly as rapidocr computes it."""
        key = (np.asarray(self.plain.mean).tobytes(), np.asarray(self.plain.std).tobytes())
        table = _TABLES.get(key)
        if table is None:
            levels = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
            table = np.ascontiguousarray(self.plain.normalize(levels)[0].T.astype(np.float32))
            _TABLES[key] = table
        return table

    def __call__(self, img: np.ndarray) -> np.ndarray | None:
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            return self.plain(img)  # type: ignore[no-any-return]
        small = self.plain.resize(img)
        if small is None:
            return None
        table = self.table()
        out = np.empty((1, 3, small.shape[0], small.shape[1]), dtype=np.float32)
        for channel in range(3):
            np.take(table[channel], small[:, :, channel], out=out[0, channel])
        return out


def _quiet_sessions() -> None:
    """rapidocr's onnxruntime sessions get the options of ShareSafe's own (`detectors._onnx`): worker
    threads that sleep between operators instead of spinning (spinning threads take a core from
    whatever runs beside the OCR: another detector of the same scan, or the rest of the desktop),
    and a memory arena without a memory pattern."""
    from rapidocr.inference_engine.onnxruntime import main as ort_engine

    engine = ort_engine.OrtInferSession
    real = engine.__dict__["_init_sess_opts"].__func__
    if getattr(real, "_sharesafe", False):
        return

    def init_sess_opts(cfg: Any) -> Any:
        opts = real(cfg)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.inter_op_num_threads = 1
        # rapidocr turns the memory arena off, so every run faults its buffers in afresh (about 22 000
        # page faults a photo); with the arena on, and no memory pattern, as in `detectors._onnx`.
        opts.enable_cpu_mem_arena = True
        opts.enable_mem_pattern = False
        return opts

    init_sess_opts._sharesafe = True  # type: ignore[attr-defined]
    engine._init_sess_opts = staticmethod(init_sess_opts)  # type: ignore[method-assign]
