"""The desktop app end to end, offscreen: open, review, edit, make safe, batch, cancel."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import piexif
import pytest
from PIL import Image

from sharesafe.image import load_image
from sharesafe.metadata import read_metadata
from sharesafe.samples import SAMPLE_OWNER, SAMPLE_SERIAL, write_samples
from sharesafe.types import Box, Category, Risk
from tests.desktop.desktop_fakes import FACE_BOX, PLATE_BOX, TEXT_BOX, FakeDetector, SecondLook

pytestmark = pytest.mark.gui

QtCore = pytest.importorskip("PySide6.QtCore")
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402


def drop(window, paths: list[Path]) -> None:  # type: ignore[no-untyped-def]
    """Deliver a real drop event, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def region_mean(pixels: np.ndarray, box: Box) -> float:
    return float(pixels[box.y1 : box.y2, box.x1 : box.x2].mean())


def test_empty_state_then_drop_review_edit_and_make_safe(make_window, qtbot, tmp_path, settings):  # type: ignore[no-untyped-def]
    samples = write_samples(tmp_path / "in")
    photo = samples[0]  # street-with-gps.jpg: GPS, serial, owner, thumbnail, orientation 6
    before = sha(photo)
    w = make_window()
    assert w.stack.currentIndex() == 0 and "Drop photos or a folder here" in w.empty_label.text()
    assert "1 detector(s) ready" in w.detector_status.text()

    with qtbot.waitSignal(w.imageShown, timeout=20_000):
        drop(w, [photo])
    entry = w.current
    assert entry is not None and entry.result is not None and entry.result.ok
    assert w.stack.currentIndex() == 1
    from desktop.verdict import Badge

    assert entry.badge is Badge.SHARE_AFTER_FIXES and entry.badge.label == "Share after fixes"

    # Findings panel: one row per finding; face, text and plate are all covered by default
    model = w.findings
    cats = [model.index(r, model.CATEGORY).data() for r in range(model.rowCount())]
    assert sorted(cats) == ["face", "plate", "text"]
    for r in range(model.rowCount()):
        assert model.index(r, model.COVER).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    # the view draws one box per finding, at the (padded) finding boxes
    drawn = [s for s in w.view.items_state() if not s[1]]
    assert len(drawn) == 3
    # Clicking a table row selects the box, and clicking a box selects the row
    w.table.selectRow(cats.index("plate"))
    assert w.view.selected() == model.finding_id(cats.index("plate"))
    w.view.select(model.finding_id(cats.index("text")))
    w.view._selection_changed()
    assert w.table.currentIndex().row() == cats.index("text")

    # Metadata panel: grouped in plain language, one group per kind present, GPS as Location
    titles = w.metadata.group_titles()
    assert any(t.startswith("Location") for t in titles)
    from desktop.panels import KIND_TITLES

    for kind in {m.kind for m in entry.result.metadata}:
        assert any(t.startswith(KIND_TITLES[kind][0]) for t in titles), kind
    assert any(m.risk is Risk.HIGH for m in entry.result.metadata)

    # Untick the face (undo/redo it too)
    face_row = cats.index("face")
    face = model.finding_id(face_row)
    idx = model.index(face_row, model.COVER)
    assert model.setData(idx, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert entry.review.covers(face) is False
    w.acts.undo.trigger()
    assert entry.review.covers(face) is True
    w.acts.redo.trigger()
    assert entry.review.covers(face) is False
    assert idx.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked

    # Draw a manual region with the mouse, then undo and redo it
    manual = Box(100, 1080, 300, 1180)
    w.acts.draw.trigger()
    assert w.view.draw_mode
    vp = w.view.viewport()
    p1 = w.view.mapFromScene(QPointF(manual.x1, manual.y1))
    p2 = w.view.mapFromScene(QPointF(manual.x2, manual.y2))
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p1)
    QTest.mouseMove(vp, p2)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p2)
    assert len(entry.review.manual_boxes) == 1
    drawn_box = entry.review.manual_boxes[0]
    # view coordinates round to whole screen pixels: allow the scale of one screen pixel
    tol = 2 / w.view.transform().m11() + 1
    assert all(abs(a - b) <= tol for a, b in zip(drawn_box.as_list(), manual.as_list(), strict=True))
    w.acts.undo.trigger()
    assert entry.review.manual_boxes == []
    w.acts.redo.trigger()
    assert entry.review.manual_boxes == [drawn_box] and entry.review.manual_ids == ["m1"]
    assert sum(1 for s in w.view.items_state() if s[1]) == 1

    # Live preview shows the covered result before export
    with qtbot.waitSignal(w.previewReady, timeout=10_000):
        w.acts.preview.trigger()

    # Make safe (Ctrl+S action)
    with qtbot.waitSignal(w.exportFinished, timeout=30_000) as blocker:
        w.acts.make_safe.trigger()
    (copy,) = blocker.args[0]
    res = copy.export
    assert res.error is None and res.verified, res.error
    out = res.output
    assert out is not None and out.parent == settings.output_dir and out.exists()
    dialog = w.dialogs[-1]
    assert "Verified" in dialog.message.text()

    # The export is clean: no metadata, no serial or owner anywhere in the bytes
    data = out.read_bytes()
    assert SAMPLE_SERIAL.encode() not in data and SAMPLE_OWNER.encode() not in data
    assert [m for m in read_metadata(data) if m.risk is not Risk.NONE] == []
    exif = piexif.load(data) if data[:2] == b"\xff\xd8" else {}
    assert not exif.get("GPS")
    # ... written upright, covered where expected, untouched where the user said to leave it
    exported = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    original = load_image(photo).pixels
    assert exported.shape == original.shape == (1200, 1600, 3)
    assert region_mean(exported, TEXT_BOX) < 8
    assert region_mean(exported, PLATE_BOX) < 8
    assert region_mean(exported, drawn_box) < 8
    diff = np.abs(exported.astype(int) - original.astype(int))
    assert float(diff[FACE_BOX.y1 : FACE_BOX.y2, FACE_BOX.x1 : FACE_BOX.x2].mean()) < 6  # left as chosen
    assert region_mean(original, TEXT_BOX) > 40
    # The audit record sits beside the copy and does not leak
    record = out.with_name(out.stem + ".audit.html")
    assert record.exists() and record in dialog.audit
    text = record.read_text() + out.with_name(out.stem + ".audit.json").read_text()
    assert SAMPLE_SERIAL not in text and "51.503" not in text
    # The original is byte-identical
    assert sha(photo) == before


def test_batch_folder_with_corrupt_files_and_make_all_safe(make_window, qtbot, tmp_path, settings):  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    write_samples(folder)
    (folder / "sub").mkdir()
    shutil.copy(folder / "plain-no-metadata.jpg", folder / "sub" / "copy.jpg")
    shutil.copy(folder / "plain-no-metadata.jpg", folder / ".hidden.jpg")
    (folder / "readme.txt").write_text("not a photo")
    w = make_window()
    seen: list[tuple[int, int]] = []
    w.batch_bar.progress.valueChanged.connect(lambda v: seen.append((v, w.batch_bar.progress.maximum())))
    with qtbot.waitSignal(w.batchFinished, timeout=30_000) as blocker:
        w.open_paths([folder])
    assert blocker.args == [True]
    status = w.statusBar().currentMessage()
    assert "2 file(s) skipped (hidden, not a photo file name)" in status, status
    entries = w.photos.entries
    assert len(entries) == 6  # recursive
    assert seen and seen[-1] == (6, 6)
    errors = {e.path.name: e.result.error for e in entries if e.result and e.result.error}
    assert set(errors) == {"broken-download.jpg", "notes.jpg"}
    assert all(msg for msg in errors.values())
    # errors show in the list with their message
    row = w.photos.row_of(w.photos.entry_for(folder / "notes.jpg"))
    assert "not a supported image" in w.photos.index(row).data(Qt.ItemDataRole.ToolTipRole)
    # selecting a broken photo shows its error and no stale reason from another photo
    w.select_entry(w.photos.entry_for(folder / "street-with-gps.jpg"))
    w.table.selectRow(0)
    w.select_entry(w.photos.entry_for(folder / "notes.jpg"))
    assert w.reason_view.toPlainText() == "" and w.findings.rowCount() == 0
    assert "not a supported image" in w.view_caption.text()
    summary = w.dialogs[-1]
    assert summary.windowTitle() == "Batch summary"
    assert {n for n, _ in summary.error_rows} == {"broken-download.jpg", "notes.jpg"}
    assert "not a supported image" in summary.errors.toPlainText()
    from desktop.verdict import Badge

    assert summary.counts[Badge.ERROR] == 2
    assert summary.counts[Badge.SHARE_AFTER_FIXES] >= 1
    assert not w.batch_bar.progress.isVisible()

    with qtbot.waitSignal(w.exportFinished, timeout=60_000) as blocker:
        summary.make_all.click()
    results = blocker.args[0]
    assert len(results) == 4
    assert all(r.ok for r in results), [r.export.error for r in results if r.export]
    written = sorted(settings.output_dir.iterdir())
    copies = [p for p in written if ".audit." not in p.name and not p.name.startswith("sharesafe-audit")]
    assert len(copies) == 4
    for c in copies:  # an audit record beside each copy, and one for the batch
        assert c.with_name(c.stem + ".audit.html").exists(), c
    assert len(written) > len(copies) * 4
    assert "Audit record" in w.dialogs[-1].message.text()


def test_cancel_stops_a_batch(make_window, qtbot, tmp_path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "many"
    folder.mkdir()
    street = write_samples(tmp_path / "src")[0]
    for i in range(8):
        shutil.copy(street, folder / f"p{i}.jpg")
    w = make_window([FakeDetector(delay=0.3)])
    w.scanned.connect(lambda _e: w.cancel_batch())
    with qtbot.waitSignal(w.batchFinished, timeout=30_000) as blocker:
        w.open_paths([folder])
    assert blocker.args == [False]
    done = [e for e in w.photos.entries if e.result is not None]
    assert 1 <= len(done) < 8
    left = [e for e in w.photos.entries if e.result is None]
    assert left and all("cancelled" in e.summary for e in left)
    assert "cancelled" in w.dialogs[-1].heading.text()


def test_detector_failure_reaches_the_user_and_metadata_still_works(make_window, qtbot, tmp_path):  # type: ignore[no-untyped-def]
    def broken_loader():  # type: ignore[no-untyped-def]
        raise RuntimeError("model file missing")

    w = make_window(loader=broken_loader)
    assert any("model file missing" in e for e in w.errors)
    assert "metadata only" in w.detector_status.text()
    photo = write_samples(tmp_path / "in")[0]
    with qtbot.waitSignal(w.scanned, timeout=20_000):
        w.open_paths([photo])
    assert w.current.result.ok and w.current.result.findings == []
    assert any(m.kind.value == "location" for m in w.current.result.metadata)


def test_delete_region_and_style(make_window, qtbot, tmp_path, settings):  # type: ignore[no-untyped-def]
    photo = write_samples(tmp_path / "in")[0]
    w = make_window()
    with qtbot.waitSignal(w.imageShown, timeout=20_000):
        w.open_paths([photo])
    review = w.current.review
    w.add_region(Box(10, 10, 60, 60))
    centre = w.view.mapFromScene(QPointF(35, 35))
    QTest.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    assert w.view.selected() == "m1"
    assert w.acts.delete.isEnabled()
    w.acts.delete.trigger()
    assert review.manual_boxes == []
    w.acts.undo.trigger()
    assert review.manual_boxes == [Box(10, 10, 60, 60)] and review.manual_ids == ["m1"]
    w.style_combo.setCurrentIndex(2)  # blur
    assert review.style.value == "blur" and settings.style.value == "blur"
    # text and plates stay solid whatever the style
    styles = {f.category: s for (b, s), f in zip(review.regions(), review.covered_findings, strict=False)}
    assert styles[Category.TEXT].value == "fill" and styles[Category.FACE].value == "blur"
    w.acts.undo.trigger()
    assert review.style.value == "fill"


def test_policy_verdict_and_reasons_when_profiles_are_installed(make_window, qtbot, tmp_path, settings):  # type: ignore[no-untyped-def]
    from desktop import verdict

    names = [n for n, _ in verdict.profiles()]
    assert "strict" in names
    settings.profile = "strict"
    photo = write_samples(tmp_path / "in")[0]
    w = make_window()
    assert w.policy_combo.count() == len(names) and w.profile == "strict"
    with qtbot.waitSignal(w.imageShown, timeout=20_000):
        w.open_paths([photo])
    entry = w.current
    assert entry.assessment is not None
    assert entry.badge is verdict.badge_for(entry.checked)
    assert entry.badge in (verdict.Badge.SHARE_AFTER_FIXES, verdict.Badge.DO_NOT_SHARE)
    model = w.findings
    reasons = [model.index(r, model.REASON).data() for r in range(model.rowCount())]
    assert all(reasons), reasons  # every finding says why the policy cares, with a citation
    w.table.selectRow(0)
    assert "matters" in w.reason_view.toPlainText() and "(" in w.reason_view.toPlainText()
    # switching the profile re-assesses the photo and changes the cited document
    other = next(n for n in names if n != "strict")
    w.policy_combo.setCurrentIndex(names.index(other))
    qtbot.waitUntil(
        lambda: w.current.assessment is not None and w.current.assessment.profile == other, timeout=10_000
    )
    assert settings.profile == other


def test_teach_the_force_kit_from_a_drawn_region(make_window, qtbot, tmp_path, settings):  # type: ignore[no-untyped-def]
    from desktop import kit

    if kit.kit_module() is None:
        pytest.skip("the force kit (detectors.kit) is not installed in this tree")
    settings.kit_dir = tmp_path / "kit"
    photo = write_samples(tmp_path / "in")[0]
    w = make_window()
    with qtbot.waitSignal(w.imageShown, timeout=20_000):
        w.open_paths([photo])
    w.add_region(Box(200, 200, 800, 330))  # the blue POLICE sign
    w.view.select("m1")
    w._update_actions()
    assert w.acts.teach.isEnabled()
    with qtbot.waitSignal(w.kitTaught, timeout=120_000) as blocker:
        w.teach_region("badge", "station sign", Box(200, 200, 800, 330))
    ref = blocker.args[0]
    assert ref.exists() and ref.parent == settings.kit_dir / "badge" / "station sign"
    assert any(getattr(d, "name", "") == kit.build_detector(settings.kit_dir).name for d in w.detectors)
    # a region too small to match is refused with the kit's own message, shown to the user
    w.teach_region("badge", "tiny", Box(0, 0, 10, 10))
    qtbot.waitUntil(lambda: any("too small" in e for e in w.errors), timeout=20_000)


def test_app_main_starts_and_quits_when_ready(qapp, tmp_path, capsys):  # type: ignore[no-untyped-def]
    from desktop import app

    code = app.main(["--timings", "--quit-when-ready", "--settings", str(tmp_path / "s.ini")])
    assert code == 0
    err = capsys.readouterr().err
    assert "timing: window shown" in err and "timing: detectors ready" in err


def test_every_common_action_has_a_shortcut(make_window):  # type: ignore[no-untyped-def]
    w = make_window()
    keys = dict(w.shortcuts())
    for action in (
        "Open photos",
        "Open folder",
        "Make safe",
        "Strip metadata only",
        "Undo",
        "Redo",
        "Draw region",
        "Delete region",
        "Show result",
        "Next photo",
        "Cancel batch",
    ):
        assert action in keys, (action, keys)


def test_a_copy_that_fails_its_recheck_is_not_named_safe(make_window, qtbot, tmp_path, settings):  # type: ignore[no-untyped-def]
    photo = write_samples(tmp_path / "in")[0]
    w = make_window(detectors=[SecondLook()])
    with qtbot.waitSignal(w.imageShown, timeout=20_000):
        drop(w, [photo])
    with qtbot.waitSignal(w.exportFinished, timeout=30_000) as blocker:
        w.acts.make_safe.trigger()
    (copy,) = blocker.args[0]
    res = copy.export
    assert not res.ok and res.output is None
    out_dir = settings.output_dir
    named_safe = [p for p in out_dir.rglob("*") if p.is_file() and "-safe" in p.name.lower()]
    assert named_safe == []
    assert res.unsafe_copy is not None and res.unsafe_copy.parent == out_dir / "NOT-SAFE"
    dialog = w.dialogs[-1]
    assert "NOT SAFE" in dialog.message.text() and "NOT-SAFE" in dialog.message.text()
    assert "NOT safe" in dialog.heading.text()


def drag(view, start: QPointF, end: QPointF) -> None:  # type: ignore[no-untyped-def]
    """Press on `start` (scene pixels), move with the button held, release on `end`, as a user does."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    vp = view.viewport()
    a, b = QPointF(view.mapFromScene(start)), QPointF(view.mapFromScene(end))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    mods = Qt.KeyboardModifier.NoModifier
    steps = [(QEvent.Type.MouseButtonPress, a, left, left)]
    steps += [(QEvent.Type.MouseMove, a + (b - a) * (i / 4), none, left) for i in range(1, 5)]
    steps += [(QEvent.Type.MouseButtonRelease, b, left, none)]
    for kind, pos, button, buttons in steps:
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, vp.mapToGlobal(pos), button, buttons, mods))


def test_moved_unticked_and_drawn_regions_are_recorded_by_id(make_window, qtbot, tmp_path, settings):  # type: ignore[no-untyped-def]
    """The user drags a box, unticks a finding and draws two regions (moving one of them): the audit
    record names each finding's decision and the box that was covered, by id."""
    import json

    from tests.flow_spy import FlowSpy

    photo = write_samples(tmp_path / "in")[0]
    w = make_window()
    with qtbot.waitSignal(w.imageShown, timeout=20_000):
        drop(w, [photo])
    entry, model = w.current, w.findings
    ids = {model.index(r, model.CATEGORY).data(): model.finding_id(r) for r in range(model.rowCount())}
    face, text, plate = ids["face"], ids["text"], ids["plate"]
    assert all(entry.review.covers(i) for i in (face, text, plate))
    detected = entry.result.finding(text).box

    # Drag the text's box 60 px right and 40 px down with the mouse
    centre = QPointF((detected.x1 + detected.x2) / 2, (detected.y1 + detected.y2) / 2)
    drag(w.view, centre, centre + QPointF(60, 40))
    moved = entry.review.box(text)
    tol = 2 / w.view.transform().m11() + 1
    assert (
        entry.review.moved(text)
        and abs(moved.x1 - detected.x1 - 60) <= tol
        and abs(moved.y1 - detected.y1 - 40) <= tol
    )
    assert (moved.width, moved.height) == (detected.width, detected.height)
    assert [s[2].left() for s in w.view.items_state() if s[0] == text] == [moved.x1]  # redrawn there
    w.acts.undo.trigger()
    assert not entry.review.moved(text)
    w.acts.redo.trigger()
    assert entry.review.box(text) == moved

    # Untick the plate; draw two regions and move the second one (through the window's own call)
    model.setData(
        model.index(model.row_of(plate), model.COVER),
        Qt.CheckState.Unchecked.value,
        Qt.ItemDataRole.CheckStateRole,
    )
    w.add_region(Box(100, 1080, 300, 1180))
    w.add_region(Box(20, 20, 120, 120))
    first, second = entry.review.manual_ids
    w.move_region(second, Box(40, 30, 140, 130))
    assert entry.review.box(second) == Box(40, 30, 140, 130)

    spy = FlowSpy(pytest.MonkeyPatch())
    with qtbot.waitSignal(w.exportFinished, timeout=30_000) as blocker:
        w.acts.make_safe.trigger()
    (copy,) = blocker.args[0]
    assert copy.ok, copy.export.error
    spy.assert_only_through_flow()  # the app exports and records only through the core flow
    out = copy.export.output
    (rec,) = json.loads(out.with_name(out.stem + ".audit.json").read_text())["files"]
    by_id = {x["id"]: x for x in rec["findings"]}
    assert set(by_id) == {face, text, plate, first, second}
    assert by_id[face]["decision"] == "covered" and not by_id[face]["moved_by_user"]
    assert by_id[text]["decision"] == "covered" and by_id[text]["moved_by_user"]
    assert by_id[text]["box"] == moved.as_list() and by_id[text]["box_detected"] == detected.as_list()
    assert by_id[plate]["decision"] == "left_by_user"
    assert by_id[first]["decision"] == "manual_region" and by_id[first]["box"] == [100, 1080, 300, 1180]
    assert by_id[second]["box"] == [40, 30, 140, 130]
    # ... and the copy is covered where the user put the boxes, not where the detector had them
    exported = np.asarray(Image.open(out).convert("RGB"))
    assert region_mean(exported, moved) < 8 and region_mean(exported, Box(40, 30, 140, 130)) < 8
    assert region_mean(exported, PLATE_BOX) > 20  # left, as chosen


def test_do_not_share_needs_a_confirm_and_the_record_says_so(make_window, qtbot, tmp_path, settings):  # type: ignore[no-untyped-def]
    import json

    from tests.sharesafe.test_flow import Station

    settings.profile = "meghalaya"
    photo = write_samples(tmp_path / "in")[0]
    w = make_window([Station()])
    with qtbot.waitSignal(w.imageShown, timeout=20_000):
        drop(w, [photo])
    from desktop.verdict import Badge

    assert w.current.badge is Badge.DO_NOT_SHARE and w.current.badge.label == "Do not share"
    asked: list[list[str]] = []
    w.exporter.confirm_override = lambda es: asked.append([e.path.name for e in es]) or False
    with qtbot.waitSignal(w.exportFinished, timeout=30_000) as blocker:
        w.acts.make_safe.trigger()
    (copy,) = blocker.args[0]
    assert asked == [[photo.name]] and copy.export is None and copy.refused
    assert not settings.output_dir.exists() or not any(settings.output_dir.iterdir())
    assert "Not written" in w.dialogs[-1].message.text()
    w.exporter.confirm_override = lambda es: True
    with qtbot.waitSignal(w.exportFinished, timeout=30_000) as blocker:
        w.acts.make_safe.trigger()
    (copy,) = blocker.args[0]
    assert copy.ok and copy.forced
    out = copy.export.output
    (rec,) = json.loads(out.with_name(out.stem + ".audit.json").read_text())["files"]
    assert rec["verdict"] == "do_not_share" and rec["override"]["forced"]
    assert "audit record says so" in w.dialogs[-1].message.text()
