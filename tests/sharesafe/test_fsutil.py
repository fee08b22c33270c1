from pathlib import Path

import pytest

from sharesafe.fsutil import atomic_write, sha256_file, unique_path, write_unique


def test_atomic_write_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "a.jpg"
    atomic_write(target, b"one")
    with pytest.raises(FileExistsError):
        atomic_write(target, b"two")
    assert target.read_bytes() == b"one"
    atomic_write(target, b"three", overwrite=True)
    assert target.read_bytes() == b"three"
    assert [p.name for p in tmp_path.iterdir()] == ["a.jpg"]  # no temp files left


def test_unique_names(tmp_path: Path) -> None:
    assert unique_path(tmp_path, "x", ".png").name == "x.png"
    paths = [write_unique(tmp_path, "x", ".png", bytes([i])) for i in range(3)]
    assert [p.name for p in paths] == ["x.png", "x-2.png", "x-3.png"]
    assert sha256_file(paths[0]) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


def test_only_regular_files_are_read_and_the_byte_cap_holds(tmp_path: Path) -> None:
    import os

    import pytest

    from sharesafe.errors import ImageTooLargeError, UnsupportedFormatError
    from sharesafe.fsutil import read_regular_file

    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    with pytest.raises(UnsupportedFormatError, match="pipe"):
        read_regular_file(fifo)  # would block forever if it were opened for a blocking read
    with pytest.raises(UnsupportedFormatError, match="device"):
        read_regular_file("/dev/zero")
    with pytest.raises(UnsupportedFormatError, match="folder"):
        read_regular_file(tmp_path)
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff" * 2048)
    with pytest.raises(ImageTooLargeError, match="over the limit"):
        read_regular_file(big, max_bytes=1024)
    assert read_regular_file(big, max_bytes=2048) == b"\xff" * 2048
