"""A scan with every default detector never opens a network connection.

Two independent checks: in this process with every way of connecting patched to fail loudly (and to
record the attempt), and in a fresh process inside an empty network namespace (`unshare -n`), where a
model download would fail and show up as a detector error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from detectors import registry
from sharesafe.pipeline import scan

ROOT = Path(__file__).resolve().parents[2]


def make_photo(path: Path) -> Path:
    import zxingcpp

    img = Image.new("RGB", (1600, 1200), (180, 190, 200))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=64)
    draw.text((80, 80), "POLICE", fill="black", font=font)
    draw.text((80, 200), "AB12 CDE", fill="black", font=font)
    qr = np.asarray(zxingcpp.create_barcode("hello", zxingcpp.BarcodeFormat.QRCode).to_image(scale=8))
    img.paste(Image.fromarray(qr).convert("RGB"), (900, 500))
    img.save(path, quality=90)
    return path


@pytest.mark.slow
def test_scan_opens_no_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[str] = []

    def refuse(name: str):  # type: ignore[no-untyped-def]
        def blocked(*args, **kwargs):  # type: ignore[no-untyped-def]
            attempts.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise OSError(f"network blocked in test: {name}")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", refuse("socket.sendto"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))

    photo = make_photo(tmp_path / "photo.jpg")
    detectors = registry.build()
    assert {"faces", "text", "plates", "codes"} <= {d.name for d in detectors}
    result = scan(photo, detectors)
    assert result.error is None
    assert result.detector_errors == {}
    assert attempts == []
    found = {(f.category.value, f.detail) for f in result.findings}
    assert ("code", "hello") in found
    assert ("text", "POLICE") in found


_CHILD = r"""
import json, sys
from detectors import registry
from sharesafe.pipeline import scan
r = scan(sys.argv[1], registry.build())
print(json.dumps({"error": r.error, "detector_errors": r.detector_errors,
                  "details": sorted(f.detail or "" for f in r.findings)}))
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare is not installed")
def test_scan_works_without_a_network_namespace(tmp_path: Path) -> None:
    if subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("this machine does not allow network namespaces")
    photo = make_photo(tmp_path / "photo.jpg")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", _CHILD, str(photo)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["error"] is None
    assert report["detector_errors"] == {}
    assert "hello" in report["details"] and "POLICE" in report["details"]


_SOCKET_CALL = re.compile(r"\bsocket\((AF_\w+|PF_\w+|\d+)")
_PEER = re.compile(r"sa_family=(AF_\w+)")


def _network_use(trace: str) -> list[str]:
    """Every line of an `strace -f -e trace=network` log that opens or addresses a non-AF_UNIX socket."""
    bad = []
    for line in trace.splitlines():
        families = _SOCKET_CALL.findall(line) + _PEER.findall(line)
        if any(f not in ("AF_UNIX", "PF_UNIX", "AF_LOCAL") for f in families):
            bad.append(line.strip())
    return bad


def _strace(tmp_path: Path, args: list[str], extra_env: dict[str, str] | None = None) -> tuple[str, str]:
    log = tmp_path / "strace.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(extra_env or {}))
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=network", "-o", str(log), sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return log.read_text(), proc.stdout


needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")


def test_the_strace_parser_flags_every_non_unix_socket() -> None:
    trace = (
        "12 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3\n"
        '12 connect(3, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0\n'
        "13 socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP <unfinished ...>\n"
        '14 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0\n'
        "15 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 4\n"
    )
    assert [line.split()[0] for line in _network_use(trace)] == ["13", "14", "15"]


@pytest.mark.slow
@needs_strace
def test_cli_scan_with_every_detector_opens_no_network_socket(tmp_path: Path) -> None:
    """onnxruntime (telemetry), rapidocr (urllib3), ultralytics and every other library the default
    detectors load: not one socket other than AF_UNIX, DNS included."""
    photo = make_photo(tmp_path / "photo.jpg")
    trace, out = _strace(tmp_path, ["-m", "sharesafe", "scan", str(photo)])
    assert "RISKS" in out  # the detectors really ran
    assert _network_use(trace) == []


@pytest.mark.slow
@needs_strace
def test_desktop_app_offscreen_opens_no_network_socket(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    photo = make_photo(tmp_path / "photo.jpg")
    args = ["-m", "desktop.app", "--quit-when-ready", "--settings", str(tmp_path / "s.ini"), str(photo)]
    trace, _ = _strace(tmp_path, args, {"QT_QPA_PLATFORM": "offscreen"})
    assert _network_use(trace) == []
