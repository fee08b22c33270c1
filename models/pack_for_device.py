"""Pack a merged training set (models/prepare_data.py output) small enough to travel to a GPU machine.

    python models/pack_for_device.py --merged /work/data/weapons/merged --out .gpu/objects.tar --quality 45 --max-side 512

The device tool carries at most 64 MiB with the working tree, so images are re-encoded as WebP (about half
the bytes of the staged JPEGs at the same long side, <= 640 px; ultralytics and OpenCV read WebP), labels are
copied as they are (normalised coordinates do not change with the size), and the train list keeps its
repeats. The tar (gzip: each of thousands of small labels would otherwise take a 1 KiB tar block) holds `<name>/images/{train,val}`, `<name>/labels/{train,val}`, `<name>/train.txt`,
`<name>/val.txt` (paths relative to `<name>/`) and `<name>/data.yaml` whose `path:` is `__ROOT__`, replaced
on the device by where the tar was unpacked.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
from pathlib import Path

from PIL import Image


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def pack(merged: Path, out: Path, name: str, quality: int, max_side: int) -> dict[str, int]:
    yaml_lines = (merged / "data.yaml").read_text().splitlines()
    names = [ln for ln in yaml_lines if ln.startswith(("nc:", "names:", "  "))]
    stats = {"train": 0, "val": 0, "bytes_images": 0}
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:  # headers and labels shrink; WebP does not
        for split in ("train", "val"):
            entries = [ln for ln in (merged / f"{split}.txt").read_text().splitlines() if ln.strip()]
            written: dict[str, str] = {}
            listing = []
            for entry in entries:
                src = Path(entry)
                if src.name not in written:
                    with Image.open(src) as img:
                        rgb = img.convert("RGB")
                        if max(rgb.size) > max_side:
                            scale = max_side / max(rgb.size)
                            rgb = rgb.resize(
                                (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
                                Image.Resampling.LANCZOS,
                            )
                        buf = io.BytesIO()
                        rgb.save(buf, "WEBP", quality=quality, method=6)
                    rel = f"images/{split}/{src.stem}.webp"
                    _add_bytes(tar, f"{name}/{rel}", buf.getvalue())
                    label = merged / "labels" / split / f"{src.stem}.txt"
                    text = label.read_bytes() if label.is_file() else b""
                    _add_bytes(tar, f"{name}/labels/{split}/{src.stem}.txt", text)
                    written[src.name] = rel
                    stats["bytes_images"] += buf.tell()
                    stats[split] += 1
                listing.append("./" + written[src.name])
            _add_bytes(tar, f"{name}/{split}.txt", ("\n".join(listing) + "\n").encode())
        yaml = ["path: __ROOT__", "train: train.txt", "val: val.txt", *names]
        _add_bytes(tar, f"{name}/data.yaml", ("\n".join(yaml) + "\n").encode())
        sources = merged / "sources.json"
        if sources.is_file():
            _add_bytes(tar, f"{name}/sources.json", sources.read_bytes())
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--merged", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--name", default="", help="folder name inside the tar (default: the tar's stem)")
    ap.add_argument("--quality", type=int, default=75)
    ap.add_argument("--max-side", type=int, default=640)
    args = ap.parse_args(argv)
    stats = pack(args.merged, args.out, args.name or args.out.stem, args.quality, args.max_side)
    size = args.out.stat().st_size
    print(
        f"{args.out}: {stats['train']} train + {stats['val']} val images, "
        f"{size / 2**20:.1f} MiB (images {stats['bytes_images'] / 2**20:.1f} MiB)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
