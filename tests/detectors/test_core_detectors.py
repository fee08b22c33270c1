"""Contract tests for the faces, text, plates and codes detectors on images made here.

Model-backed tests are marked slow (they still run in CI): each loads its model once per module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from detectors import registry
from sharesafe.detector import Detector
from sharesafe.types import Box, Category, Finding

OURS = ("faces", "text", "plates", "codes")


def render_lines(lines: list[str], size: tuple[int, int] = (900, 120 * 4), font_size: int = 56) -> np.ndarray:
    """Black text on white, one string per line, as upright RGB uint8."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_size)
    for i, line in enumerate(lines):
        draw.text((40, 30 + i * 110), line, fill="black", font=font)
    return np.asarray(img, dtype=np.uint8).copy()


def qr_image(payload: str) -> np.ndarray:
    import zxingcpp

    code = np.asarray(zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode).to_image(scale=6))
    canvas = np.full((500, 700, 3), 235, dtype=np.uint8)
    h, w = code.shape[:2]
    canvas[120 : 120 + h, 300 : 300 + w] = code[..., None] if code.ndim == 2 else code[..., :3]
    return canvas


def read_only(image: np.ndarray) -> np.ndarray:
    view = image.view()
    view.flags.writeable = False  # the pipeline hands detectors a read-only view
    return view


def check_contract(det: Detector, findings: list[Finding], image: np.ndarray) -> None:
    h, w = image.shape[:2]
    assert isinstance(findings, list)
    for f in findings:
        assert isinstance(f, Finding)
        assert f.category in det.categories
        assert f.detector == det.name
        assert 0.0 <= f.score <= 1.0
        assert 0 <= f.box.x1 < f.box.x2 <= w and 0 <= f.box.y1 < f.box.y2 <= h


@pytest.mark.parametrize("name", OURS)
def test_registered_with_model_info(name: str) -> None:
    assert name in registry.names(default_only=True)
    det = next(b for b in registry.BACKENDS if b.name == name).build()
    assert isinstance(det, Detector)
    assert det.name == name
    assert det.categories
    assert det.info.model and det.info.licence and det.info.source


# -- text ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_detector() -> Detector:
    det = registry.build(["text"])[0]
    det.load()
    return det


@pytest.mark.slow
def test_text_reads_and_classifies(text_detector: Detector) -> None:
    image = render_lines(["POLICE", "OFFICIAL-SENSITIVE", "AB12 CDE", "PC 1234 J. SMITH"])
    findings = text_detector.detect(read_only(image))
    check_contract(text_detector, findings, image)
    by_detail = {f.detail: f for f in findings}
    assert by_detail["POLICE"].extra["text_class"] == "police_marking"
    assert by_detail["OFFICIAL-SENSITIVE"].extra["text_class"] == "protective_marking"
    plate = by_detail["AB12 CDE"]
    assert plate.category is Category.PLATE and plate.extra["text_class"] == "plate"
    assert by_detail["PC 1234 J. SMITH"].extra["text_class"] == "name_or_number"
    # Each box sits on its own line of text.
    for row, text in ((0, "POLICE"), (1, "OFFICIAL-SENSITIVE"), (3, "PC 1234 J. SMITH")):
        box = by_detail[text].box
        assert box.y1 <= 30 + row * 110 + 40 <= box.y2
    assert plate.box.y1 <= 30 + 2 * 110 + 40 <= plate.box.y2


@pytest.mark.slow
def test_text_blank_and_tiny(text_detector: Detector) -> None:
    assert text_detector.detect(np.full((300, 400, 3), 255, np.uint8)) == []
    assert text_detector.detect(np.zeros((4, 4, 3), np.uint8)) == []
    # Extreme strips once broke the OCR's own resizing.
    assert text_detector.detect(np.full((3, 4000, 3), 255, np.uint8)) == []
    assert text_detector.detect(np.full((4000, 3, 3), 255, np.uint8)) == []


@pytest.mark.slow
def test_text_on_large_photo_maps_boxes_back(text_detector: Detector) -> None:
    small = render_lines(["POLICE"], size=(400, 150), font_size=60)
    big = np.full((2400, 3200, 3), 255, np.uint8)
    big[1000:1150, 2000:2400] = small
    findings = text_detector.detect(read_only(big))
    check_contract(text_detector, findings, big)
    police = [f for f in findings if f.detail == "POLICE"]
    assert police, findings
    assert police[0].box.intersection(Box(2000, 1000, 2400, 1150)) > 0.8 * police[0].box.area


# -- codes -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_text_preprocess_by_table_matches_rapidocr_bit_for_bit(text_detector: Detector) -> None:
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    det = text_detector._engine.text_det  # type: ignore[attr-defined]
    ours = det.get_preprocess()
    theirs = DetPreProcess(det.limit_side_len, det.limit_type, det.mean, det.std)
    assert type(ours) is not DetPreProcess
    rng = np.random.default_rng(3)
    for shape in ((720, 960, 3), (333, 517, 3), (40, 2000, 3)):
        image = rng.integers(0, 256, shape, dtype=np.uint8)
        expected, got = theirs(image), ours(image)
        assert got.dtype == expected.dtype == np.float32 and got.shape == expected.shape
        assert got.tobytes() == expected.tobytes()
    floats = rng.random((64, 96, 3)).astype(np.float32) * 255  # not 8-bit: rapidocr's own path
    assert ours(floats).tobytes() == theirs(floats).tobytes()


@pytest.mark.slow
def test_codes_reads_qr_payload() -> None:
    det = registry.build(["codes"])[0]
    image = qr_image("https://example.org/officer/4521")
    findings = det.detect(read_only(image))
    check_contract(det, findings, image)
    assert len(findings) == 1
    f = findings[0]
    assert f.category is Category.CODE and f.detail == "https://example.org/officer/4521"
    assert f.extra["format"]
    assert f.box.intersection(Box(300, 120, 700, 500)) == f.box.area
    assert det.detect(np.full((300, 300, 3), 255, np.uint8)) == []


@pytest.mark.slow
def test_codes_on_large_photo() -> None:
    det = registry.build(["codes"])[0]
    big = np.full((3024, 4032, 3), 200, np.uint8)
    qr = qr_image("ShareSafe")
    big[1500:2000, 2500:3200] = qr
    findings = det.detect(read_only(big))
    assert [f.detail for f in findings] == ["ShareSafe"]
    assert findings[0].box.intersection(Box(2500, 1500, 3200, 2000)) == findings[0].box.area


# -- faces -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def face_detector() -> Detector:
    det = registry.build(["faces"])[0]
    det.load()
    return det


@pytest.mark.slow
def test_faces_blank_and_text_images_have_no_faces(face_detector: Detector) -> None:
    for image in (
        np.full((480, 640, 3), 255, np.uint8),
        np.zeros((2000, 3000, 3), np.uint8),
        render_lines(["POLICE", "AB12 CDE"]),
        np.zeros((5, 5, 3), np.uint8),
    ):
        findings = face_detector.detect(read_only(image))
        check_contract(face_detector, findings, image)
        assert findings == []


class OneFaceSession:
    """Stands in for CenterFace: one face of `side` px (model space) centred at heat cell (10, 20)."""

    def __init__(self, score: float = 0.9, side: float = 40) -> None:
        self.score, self.side = score, side
        self.inputs: list[tuple[int, int]] = []

    def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        _, _, h, w = feeds["input.1"].shape
        self.inputs.append((h, w))
        heat = np.zeros((1, 1, h // 4, w // 4), np.float32)
        size = np.zeros((1, 2, h // 4, w // 4), np.float32)
        offset = np.zeros((1, 2, h // 4, w // 4), np.float32)
        heat[0, 0, 10, 20] = self.score  # centre at ((20 + 0.5) * 4, (10 + 0.5) * 4) = (82, 42)
        size[0, :, 10, 20] = np.log(self.side / 4)
        return [heat, size, offset, np.zeros((1, 10, h // 4, w // 4), np.float32)]


@pytest.mark.slow
def test_faces_decode_maps_boxes_to_the_image(
    face_detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A known heat map: one face centred at (82, 42) in model space -> image pixels, grown 8 % a side."""
    fake = OneFaceSession()
    monkeypatch.setattr(face_detector, "_session", fake)
    monkeypatch.setattr(face_detector, "zoom", 1.0)  # the global pass only
    image = np.zeros((640, 960, 3), np.uint8)  # already 960 long side: scale 1
    findings = face_detector.detect(image)
    assert fake.inputs == [(640, 960)]
    assert len(findings) == 1
    f = findings[0]
    assert f.category is Category.FACE and f.score == pytest.approx(0.9)
    assert np.allclose(f.box.as_list(), [58, 18, 106, 66], atol=1)  # 40 px * 1.16 = 46.4 px


@pytest.mark.slow
def test_faces_thresholds_fall_with_box_size(
    face_detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A weak (0.12) response is noise on a 12 px box; on a 48 px box it is a face where the scene
    supports one (inside a person's upper half), and noise on a photo with no people at all."""
    monkeypatch.setattr(face_detector, "zoom", 1.0)
    monkeypatch.setattr(face_detector, "head_boxes", False)
    image = np.zeros((640, 960, 3), np.uint8)
    person = Finding(Category.PERSON, "person", 0.8, Box(40, 10, 130, 300), "persons")
    monkeypatch.setattr(face_detector, "_session", OneFaceSession(score=0.12, side=12))
    assert face_detector.detect(image, (person,)) == []
    monkeypatch.setattr(face_detector, "_session", OneFaceSession(score=0.12, side=48))
    assert len(face_detector.detect(image, (person,))) == 1
    assert face_detector.detect(image) == []  # no person: a grille or a lamp
    elsewhere = Finding(Category.PERSON, "person", 0.8, Box(500, 10, 600, 300), "persons")
    assert face_detector.detect(image, (elsewhere,)) == []
    monkeypatch.setattr(face_detector, "_session", OneFaceSession(score=0.55, side=48))
    assert len(face_detector.detect(image)) == 1  # strong enough to stand alone
    monkeypatch.setattr(face_detector, "_session", OneFaceSession(score=0.35, side=12))
    assert len(face_detector.detect(image)) == 1  # a small box keeps its one threshold (0.3)


def test_faces_weak_boxes_count_on_a_crowd() -> None:
    """Two clear faces make the photo a scene with people: a weak box there is kept."""
    from detectors.faces import CenterFaceDetector

    det = CenterFaceDetector(zoom=1.0)

    class TwoClearOneWeak:
        def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
            _, _, h, w = feeds["input.1"].shape
            heat = np.zeros((1, 1, h // 4, w // 4), np.float32)
            size = np.full((1, 2, h // 4, w // 4), np.log(48 / 4), np.float32)
            for row, col, score in ((10, 20, 0.9), (10, 60, 0.8), (10, 100, 0.12)):
                heat[0, 0, row, col] = score
            zeros = np.zeros((1, 2, h // 4, w // 4), np.float32)
            return [heat, size, zeros, np.zeros((1, 10, h // 4, w // 4), np.float32)]

    det._session = TwoClearOneWeak()
    assert sorted(round(f.score, 2) for f in det.detect(np.zeros((640, 960, 3), np.uint8))) == [
        0.12,
        0.8,
        0.9,
    ]


@pytest.mark.slow
def test_faces_zoom_pass_covers_a_small_photo_whole(
    face_detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = OneFaceSession()
    monkeypatch.setattr(face_detector, "_session", fake)
    face_detector.detect(np.zeros((640, 960, 3), np.uint8))
    assert fake.inputs == [(640, 960), (1280, 1920)]  # global, then the whole photo at 2x


def test_faces_zoom_tiles_go_to_small_candidates_within_budget() -> None:
    from detectors.faces import CenterFaceDetector

    det = CenterFaceDetector(zoom_pixels=2 * 640 * 640)
    scale = 1280 / 4032
    # Too big to zoom whole; three weak small candidates, two in one place.
    small = np.array(
        [[1000, 800, 1010, 810, 0.2], [1020, 805, 1030, 815, 0.2], [3500, 2500, 3510, 2510, 0.15]], np.float32
    )
    tiles = det.zoom_regions(4032, 3024, scale, small)
    assert len(tiles) == 2  # the budget: two 640 px tiles
    assert all(t.width == t.height == pytest.approx(640 / (2 * scale), abs=2) for t in tiles)
    assert tiles[0].intersection(Box(1000, 800, 1030, 815)) == Box(1000, 800, 1030, 815).area
    assert tiles[1].intersection(Box(3500, 2500, 3510, 2510)) == 100
    assert det.zoom_regions(4032, 3024, scale, np.zeros((0, 5), np.float32)) == []
    assert det.zoom_regions(400, 300, 1.0, np.zeros((0, 5), np.float32)) == [
        Box(0, 0, 400, 300)
    ]  # fits whole


@pytest.mark.slow
def test_faces_looks_again_at_heads_of_people_from_context(face_detector: Detector) -> None:
    calls: list[tuple[int, int]] = []
    det = face_detector
    original = det._pass  # type: ignore[attr-defined]

    def spy(patch: np.ndarray, scale: float, by_size: bool = False) -> tuple[np.ndarray, np.ndarray]:
        calls.append(patch.shape[:2])
        return original(patch, scale, by_size)

    det._pass = spy  # type: ignore[attr-defined]
    try:
        image = np.zeros((3024, 4032, 3), np.uint8)
        far_person = Finding(Category.PERSON, "person", 0.8, Box(1000, 1000, 1100, 1400), "persons")
        near_person = Finding(Category.PERSON, "person", 0.8, Box(2000, 100, 3500, 3000), "persons")
        findings = det.detect(image, (far_person, near_person))
    finally:
        del det._pass  # type: ignore[attr-defined]
    # After the global pass (not a `_pass` call) only the far (small) person's head end is run
    # again: a blank photo has no small candidates, so no zoomed tiles.
    assert len(calls) == 1
    assert calls[0][0] < 400 and calls[0][1] < 200
    # Neither person shows a face: both get a head box at the top of their box.
    heads = [f for f in findings if f.label.startswith("head")]
    assert len(heads) == 2
    for person in (far_person, near_person):
        assert any(h.box.y1 == person.box.y1 and person.box.intersection(h.box) == h.box.area for h in heads)


@pytest.mark.slow
def test_faces_no_head_box_where_the_face_was_found(
    face_detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(face_detector, "_session", OneFaceSession())
    monkeypatch.setattr(face_detector, "zoom", 1.0)
    person = Finding(Category.PERSON, "person", 0.9, Box(50, 10, 120, 200), "persons")  # face at (82, 42)
    unsure = Finding(
        Category.PERSON, "person", 0.3, Box(500, 10, 570, 200), "persons"
    )  # below head_min_score
    findings = face_detector.detect(np.zeros((640, 960, 3), np.uint8), (person, unsure))
    assert [f.label for f in findings] == ["face"]
    # A person cut by the photo's top edge (legs, a torso): the head is outside the photo.
    cut = Finding(Category.PERSON, "person", 0.9, Box(500, 0, 570, 200), "persons")
    findings = face_detector.detect(np.zeros((640, 960, 3), np.uint8), (person, cut))
    assert [f.label for f in findings] == ["face"]


# -- plates ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_plates_contract_and_context() -> None:
    det = registry.build(["plates"])[0]
    blank = np.full((480, 640, 3), 128, np.uint8)
    assert det.detect(read_only(blank)) == []
    # A drawn plate: dark characters on a light bordered plate on a darker car body.
    img = Image.new("RGB", (800, 500), (60, 60, 70))
    draw = ImageDraw.Draw(img)
    draw.rectangle((250, 300, 550, 370), fill=(240, 240, 240), outline=(0, 0, 0), width=3)
    draw.text((268, 308), "AB12 CDE", fill="black", font=ImageFont.load_default(size=48))
    image = np.asarray(img).copy()
    findings = det.detect(read_only(image))
    check_contract(det, findings, image)
    # Whatever the cascades find, a plate the text detector already reported is not repeated.
    known = Finding(Category.PLATE, "licence plate", 0.9, Box(0, 0, 800, 500), "text", "AB12 CDE")
    assert det.detect(read_only(image), (known,)) == []


def test_plate_model_is_refused_unless_its_sha256_matches_the_manifest(tmp_path: Path) -> None:
    from detectors.model_manifest import WeightsIntegrityError
    from detectors.plates import PlateDetector, plate_model

    shipped, entry = plate_model()
    assert shipped.is_file(), "models/plates.onnx ships with the repository"
    weights = tmp_path / entry["file"]
    weights.write_bytes(shipped.read_bytes())
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(f'[[model]]\nname = "plates"\nfile = "{entry["file"]}"\nsha256 = "{"0" * 64}"\n')
    with pytest.raises(WeightsIntegrityError, match="does not match"):
        PlateDetector(manifest=manifest).load()
    manifest.write_text(
        f'[[model]]\nname = "plates"\nfile = "{entry["file"]}"\nsha256 = "{entry["sha256"]}"\n'
    )
    det = PlateDetector(manifest=manifest)
    det.load()
    assert det.detect(read_only(np.full((240, 320, 3), 128, np.uint8))) == []
    assert "models/plates.onnx" in det.info.model


class FixedPlateModel:
    """Stands in for the plate model: one plate at the centre of whatever it is shown."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, int]] = []

    def detect(self, image: np.ndarray, context: object = ()) -> list[Finding]:
        h, w = image.shape[:2]
        self.shapes.append((h, w))
        box = Box(w // 2 - 20, h // 2 - 5, w // 2 + 20, h // 2 + 5)
        return [Finding(Category.PLATE, "licence plate", 0.4, box, "plates")]


def test_plates_model_looks_again_at_small_vehicles_and_grows_its_boxes() -> None:
    from detectors.plates import PlateDetector

    det = PlateDetector(use_model=False)
    det._model = FixedPlateModel()
    det._cascades = []  # the model's part only
    image = np.zeros((3000, 4000, 3), np.uint8)
    car = Finding(Category.VEHICLE, "car", 0.8, Box(1000, 2000, 1400, 2300), "coco")  # small at 640 px
    truck = Finding(Category.VEHICLE, "truck", 0.8, Box(0, 0, 3900, 2900), "coco")  # big: seen already
    findings = det.detect(image, (car, truck))
    assert det._model.shapes == [(3000, 4000), (360, 480)]  # the photo, then the car padded 10 %
    boxes = sorted(f.box.as_list() for f in findings)
    # 40 x 10 plates grown 5 % a side across and 20 % a side down: 44 x 14.
    assert boxes == [[1178, 2143, 1222, 2157], [1978, 1493, 2022, 1507]]
    # A plate the text detector read is not repeated.
    read = Finding(Category.PLATE, "licence plate", 0.9, Box(1900, 1400, 2100, 1600), "text", "AB12 CDE")
    assert [f.box.as_list() for f in det.detect(image, (car, read))] == [[1178, 2143, 1222, 2157]]


def _text(box: Box, text: str, cls: str, ocr: float = 0.99) -> Finding:
    return Finding(Category.TEXT, cls, ocr, box, "text", text, {"text_class": cls, "ocr_score": ocr})


def test_plates_model_box_read_as_a_sign_is_dropped() -> None:
    """A plate-model box whose middle the OCR read as a protective or police marking is a sign, not a
    plate; an unread box, weakly read text, names, numbers and long plate texts keep the box."""
    from detectors.plates import PlateDetector, read_as_sign

    det = PlateDetector(use_model=False)
    det._model = FixedPlateModel()  # a 40 x 10 box at (1980, 1495)-(2020, 1505) of a 4000 x 3000 photo
    det._cascades = []
    image = np.zeros((3000, 4000, 3), np.uint8)
    across = Box(1982, 1497, 2018, 1503)
    card = _text(across, "OFFICIAL-SENSITIVE", "protective_marking")
    assert det.detect(image, (card,)) == []
    assert det.detect(image, (_text(across, "POLICE", "police_marking"),)) == []
    assert len(det.detect(image, (_text(across, "NEW SOUTH WALES", "other"),))) == 1  # a state's name
    assert len(det.detect(image, (_text(across, "12", "address", ocr=0.6),))) == 1  # not read confidently
    assert len(det.detect(image, (_text(across, "LUVMYCAR", "other"),))) == 1  # a plate-length string
    assert len(det.detect(image, (_text(across, "G.WAGEN", "name_or_number"),))) == 1  # a vanity plate
    assert len(det.detect(image, (_text(across, "PC 1234", "name_or_number"),))) == 1  # plate-shaped
    plate = Box(1980, 1495, 2020, 1505)
    frame_line = _text(Box(1990, 1503, 2010, 1505), "OFFICIAL", "protective_marking")
    assert not read_as_sign(plate, (frame_line,))  # at the bottom edge, narrow: not the plate's middle
    assert read_as_sign(plate, (_text(across, "OFFICIAL", "protective_marking"),))
    assert len(det.detect(image)) == 1


def test_text_short_line_must_fit_its_box() -> None:
    """PP-OCR can box a large flat area and 'read' a character in it; a short string in a box far wider
    than its characters could fill is not text."""
    from detectors.text import plausible_line

    assert not plausible_line("1", Box(0, 475, 1599, 1199))  # the demo's covered street, re-scanned
    assert not plausible_line("OO", Box(235, 226, 666, 380))  # a QR code's modules
    assert not plausible_line("  ", Box(0, 0, 10, 10))
    assert plausible_line("1", Box(0, 0, 30, 60))
    assert plausible_line("12", Box(0, 0, 90, 60))
    assert plausible_line("W", Box(0, 0, 66, 60))
    assert plausible_line("WW", Box(0, 0, 120, 60))
    assert plausible_line("P O L I C E", Box(0, 0, 900, 60))  # long lines are not judged by width
    assert plausible_line("°C", Box(1934, 4, 2019, 28), 1500)  # a camera's small overlay: not judged
    assert not plausible_line("1", Box(0, 475, 1599, 1199), 1200)


def test_text_an_unsure_read_of_a_giant_line_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The self-test's re-scan failure: "1" (a house number) read at 0.35 in a box a third of the photo
    tall. Lettering that large is kept only when read with the plain-text confidence."""
    from detectors.text import OCRText, TextDetector

    det = TextDetector()
    lines = [
        OCRText(Box(0, 573, 618, 1200), "1", 0.35),  # unsure, giant: dropped
        OCRText(Box(0, 573, 618, 1200), "1", 0.93),  # a door number filling the photo, read surely
        OCRText(Box(100, 100, 130, 160), "7", 0.35),  # small and unsure: a house number kept (privacy)
    ]
    monkeypatch.setattr(det, "read", lambda image: lines)
    found = det.detect(np.zeros((1200, 1600, 3), np.uint8))
    assert [(f.detail, f.score) for f in found] == [("1", 0.93), ("7", 0.35)]


@pytest.mark.slow
def test_text_drops_a_character_read_in_a_flat_area(text_detector: Detector) -> None:
    """The demo's re-scan failure: a solid cover on a flat road is not text."""
    image = np.full((1200, 1600, 3), (92, 92, 96), np.uint8)
    image[:400] = (190, 175, 160)
    image[560:960, 420:1180] = (160, 40, 40)
    image[893:1044, 620:1016] = 0
    assert [f.detail for f in text_detector.detect(read_only(image)) if f.detail in ("1", "l", "I")] == []
