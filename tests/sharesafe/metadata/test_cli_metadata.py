"""End to end through the CLI: what `sharesafe clean` writes passes exiftool, in both modes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import fixtures as fx
import pytest

from sharesafe.cli import main
from sharesafe.metadata import leftover_metadata, read_metadata


def clean(*argv: str) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    code = main(["clean", *argv, "--no-detectors", "--json", "-q"], out=out, err=io.StringIO())
    return code, json.loads(out.getvalue())


@pytest.mark.skipif(fx.EXIFTOOL is None, reason="exiftool is not installed")
@pytest.mark.parametrize("extra", [[], ["--metadata-only"], ["--srgb"]])
def test_clean_writes_exports_exiftool_finds_clean(tmp_path: Path, extra: list[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    sources = {
        "loaded.jpg": fx.loaded_jpeg(orientation=6),
        "text.png": fx.png_with_text(),
        "meta.webp": fx.webp_with_metadata(),
        "phone.heic": fx.heic_with_exif(),
    }
    for name, data in sources.items():
        (src / name).write_bytes(data)
    code, doc = clean(*(str(src / n) for n in sources), "--out", str(tmp_path / "out"), *extra)
    files = doc["files"]
    assert isinstance(files, list) and len(files) == len(sources)
    for rec in files:
        export = rec["export"]
        assert export["verified"], export["error"]
        out = Path(export["output"])
        data = out.read_bytes()
        assert leftover_metadata(data, allow_icc="--srgb" in extra) == []
        assert fx.exiftool_leaks(out) == {}, out.name
        has_icc = any(i.tag == "ICC_Profile" for i in read_metadata(data))
        assert has_icc == ("--srgb" in extra)
    for name, data in sources.items():
        assert (src / name).read_bytes() == data  # originals untouched
    assert code == 1  # risks were found (and removed)
