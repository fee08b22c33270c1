"""scripts/stage_photo_set.py stages photos byte for byte from a git mirror, with a traceable manifest."""

from __future__ import annotations

import csv
import hashlib
import subprocess
from pathlib import Path
from types import ModuleType

from tests.scripts.load_script import load_script

ROOT = Path(__file__).resolve().parents[2]


def load_stager() -> ModuleType:
    return load_script("stage_photo_set")


def make_mirror(tmp_path: Path) -> tuple[Path, str, dict[str, bytes]]:
    """A bare mirror with three photos (and a text file that is not one); returns git dir and commit."""
    work = tmp_path / "work"
    (work / "val").mkdir(parents=True)
    files = {
        "val/b.jpg": b"\xff\xd8second",
        "val/a.jpg": b"\xff\xd8first",
        "val/c.png": b"\x89PNGthird",
        "val/notes.txt": b"not a photo",
    }
    for name, data in files.items():
        (work / name).write_bytes(data)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(work), "-c", "user.email=t@t", "-c", "user.name=t", *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "photos")
    commit = git("rev-parse", "HEAD")
    bare = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return bare, commit, files


def test_a_folder_stages_its_first_photos_in_name_order(tmp_path: Path) -> None:
    stager = load_stager()
    bare, commit, files = make_mirror(tmp_path)
    out = tmp_path / "out"
    args = ["--git-dir", str(bare), "--repo", "o/n", "--commit", commit, "--folder", "val", "--first", "2"]
    assert stager.main([*args, "--out", str(out), "--prefix", "x_", "--licence", "L", "--label", "car"]) == 0
    staged = sorted(p.name for p in out.iterdir() if p.name != "manifest.csv")
    assert staged == ["x_a.jpg", "x_b.jpg"]  # name order, text files skipped, only the first two
    assert (out / "x_a.jpg").read_bytes() == files["val/a.jpg"]
    with (out / "manifest.csv").open(newline="") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    assert rows["x_b.jpg"]["source_path"] == "val/b.jpg"
    assert rows["x_b.jpg"]["commit"] == commit
    assert rows["x_b.jpg"]["sha256"] == hashlib.sha256(files["val/b.jpg"]).hexdigest()
    assert rows["x_b.jpg"]["label"] == "car" and rows["x_b.jpg"]["licence"] == "L"


def test_a_list_stages_exactly_its_paths_and_a_rerun_keeps_earlier_rows(tmp_path: Path) -> None:
    stager = load_stager()
    bare, commit, _ = make_mirror(tmp_path)
    out = tmp_path / "out"
    chosen = tmp_path / "chosen.txt"
    chosen.write_text("# by eye\nval/c.png\n\n")
    base = ["--git-dir", str(bare), "--repo", "o/n", "--commit", commit, "--out", str(out), "--licence", "L"]
    stager.main([*base, "--list", str(chosen), "--label", "screen"])
    chosen.write_text("val/a.jpg\n")
    stager.main([*base, "--list", str(chosen), "--label", "none"])
    with (out / "manifest.csv").open(newline="") as fh:
        labels = {r["file"]: r["label"] for r in csv.DictReader(fh)}
    assert labels == {"a.jpg": "none", "c.png": "screen"}
