"""Benchmark the force kit on generated data and print the figures.

Planar (default): made-up crests (detectors.kit.synthetic) composited onto real photos from
../shared/evaldata (face/, licence_plate/, metadata/) at a random width of 2-30 % of the photo, random
rotation, perspective, blur, noise and JPEG quality. The kit holds one reference image per crest (all
crests at once, as a real kit would). A crest counts as covered when the union of the kit's finding
boxes covers >= 80 % of its pixels. False findings are counted on the same photos without a crest
(same blur/noise/JPEG). Also prints the time per reference and for the scene's features.

Embedding (--embedding): generated uniforms, vans and buildings; prints the score of the right
reference and the best wrong one, and how many background-only scenes fire, per threshold.

    PYTHONPATH=$PWD python scripts/bench_kit.py [--photos 80] [--crests 10] [--seed 0]
    PYTHONPATH=$PWD python scripts/bench_kit.py --embedding
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from detectors.kit import KitDetector, add_reference, embed, planar
from detectors.kit import synthetic as syn
from sharesafe.image import load_image
from sharesafe.types import Box, Category, Finding


def default_evaldata() -> Path:
    repo = Path(__file__).resolve().parents[1]
    for cand in (repo.parent / "shared/evaldata", repo.parent.parent / "shared/evaldata"):
        if cand.is_dir():
            return cand
    return repo.parent / "shared/evaldata"


def load_photos(
    root: Path, limit: int, max_side: int, min_side: int, rng: np.random.Generator
) -> list[tuple[str, np.ndarray]]:
    rows = list(csv.DictReader((root / "manifest.csv").open(encoding="utf-8")))
    rows = [r for r in rows if r["category"] in ("face", "licence_plate", "metadata")]
    rng.shuffle(rows)  # type: ignore[arg-type]
    photos = []
    for r in rows:
        if len(photos) >= limit:
            break
        try:
            px = load_image(root / r["file"]).pixels
        except Exception:  # noqa: BLE001 - unreadable test files in metadata/ are expected
            continue
        h, w = px.shape[:2]
        if min(h, w) < min_side:
            continue
        if max(h, w) > max_side:  # keep the benchmark quick; the matcher scales to 1600 px anyway
            s = max_side / max(h, w)
            px = cv2.resize(px, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        photos.append((r["file"], px))
    return photos


def coverage(mask: np.ndarray, boxes: list[Box]) -> float:
    covered = np.zeros(mask.shape, bool)
    for b in boxes:
        covered[b.y1 : b.y2, b.x1 : b.x2] = True
    inside = mask > 0
    return float((covered & inside).sum() / max(int(inside.sum()), 1))


def bench_planar(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    photos = load_photos(args.evaldata, args.photos, args.max_side, args.min_side, rng)
    print(
        f"photos: {len(photos)} from {args.evaldata} "
        f"(short side >= {args.min_side} px, long side <= {args.max_side})"
    )
    crests = [syn.make_crest(1000 + i, size=320) for i in range(args.crests)]
    with tempfile.TemporaryDirectory() as tmp:
        kit_dir = Path(tmp) / "kit"
        for i, (img, _) in enumerate(crests):
            add_reference(kit_dir, "badge", f"crest-{i:02d}", img)
        t0 = time.perf_counter()
        det = KitDetector(kit_dir, disk_cache=False)
        det.load()
        ref_build = (time.perf_counter() - t0) / len(crests)
        refs = det._planar_refs()

        covered_any, covered_named, n, false_pos, false_neg_scene = 0, 0, 0, 0, 0
        by_size: dict[str, list[int]] = {}
        t_scene, t_match = [], []
        for k, (_, photo) in enumerate(photos):
            ci = k % len(crests)
            frac = float(rng.uniform(0.02, 0.30))
            scene, mask = syn.composite(photo, *crests[ci], rng, frac)
            blur, noise, q = float(rng.uniform(0, 1.2)), float(rng.uniform(0, 6)), int(rng.integers(50, 96))
            scene = syn.degrade(scene, rng, blur, noise, q)
            plain = syn.degrade(photo, np.random.default_rng(k), blur, noise, q)

            t1 = time.perf_counter()
            index = planar.SceneIndex(planar.scene_features(scene))
            t2 = time.perf_counter()
            found: list[Finding] = []
            for ref, feats in refs:
                for m in index.match(feats):
                    box = Box.from_xyxy(*planar.corners_box(m.corners), scene.shape[1], scene.shape[0])
                    found.append(Finding(Category.BADGE, ref.name, m.score, box, "kit"))
            t3 = time.perf_counter()
            t_scene.append(t2 - t1)
            t_match.append((t3 - t2) / len(refs))

            named = coverage(mask, [f.box for f in found if f.label == f"crest-{ci:02d}"])
            anyc = coverage(mask, [f.box for f in found])
            n += 1
            covered_named += named >= 0.8
            covered_any += anyc >= 0.8
            # Findings on this scene that do not touch the crest are false findings too.
            false_neg_scene += sum(1 for f in found if coverage(mask, [f.box]) < 0.05)
            width_px = frac * scene.shape[1]
            bin_name = (
                "<40px"
                if width_px < 40
                else "40-80px"
                if width_px < 80
                else "80-160px"
                if width_px < 160
                else ">=160px"
            )
            by_size.setdefault(bin_name, []).append(int(anyc >= 0.8))

            false_pos += len(det.detect_planar(plain))
            if args.verbose:
                print(
                    f"{k:3d} crest {ci} {width_px:5.0f}px blur {blur:.1f} q{q} "
                    f"cov {anyc:.2f} found {len(found)}"
                )
        print(
            f"\ncrests: {args.crests} references (one image each, 320 px); "
            f"reference features: {1000 * ref_build:.0f} ms/ref (once, then cached)"
        )
        print(f"coverage recall (any kit finding covers >= 80 %): {covered_any / n:.3f}  ({covered_any}/{n})")
        print(f"coverage recall (the crest's own reference): {covered_named / n:.3f}  ({covered_named}/{n})")
        for b in ("<40px", "40-80px", "80-160px", ">=160px"):
            v = by_size.get(b, [])
            if v:
                print(f"   crest width {b:9s}: {sum(v)}/{len(v)} = {sum(v) / len(v):.2f}")
        print(f"false findings per photo without a crest: {false_pos / n:.3f}  ({false_pos} on {n} photos)")
        print(f"stray findings away from the crest on crest photos: {false_neg_scene / n:.3f} per photo")
        print(
            f"speed: scene SIFT + index median {1000 * np.median(t_scene):.0f} ms per photo; "
            f"matching median {1000 * np.median(t_match):.1f} ms per reference"
        )


def bench_embedding(args: argparse.Namespace) -> None:
    from detectors.backbone import get_backbone

    rng = np.random.default_rng(args.seed)
    kinds = {
        "uniform": (syn.draw_figure, (120, 360), Category.PERSON),
        "vehicle": (syn.draw_vehicle, (400, 200), Category.VEHICLE),
        "premises": (syn.draw_building, (360, 300), None),
    }
    bb = get_backbone()
    for kind, (draw, (bw, bh), ctx_cat) in kinds.items():
        with tempfile.TemporaryDirectory() as tmp:
            kit_dir = Path(tmp) / "kit"
            for s in range(args.liveries):
                canvas = syn.random_background(1000 + s, 640, 480)
                draw(canvas, (100, 50, 100 + bw, 50 + bh), s)
                add_reference(kit_dir, kind, f"{kind}-{s}", canvas, Box(100, 50, 100 + bw, 50 + bh))
            det = KitDetector(kit_dir, disk_cache=False)
            refs, ref_vecs, ref_hists = det._embed_refs()[kind]
            right, wrong, background = [], [], []
            for t in range(args.scenes):
                s = t % args.liveries
                sc = float(rng.uniform(0.6, 1.3))
                w, h = int(bw * sc), int(bh * sc)
                canvas = syn.random_background(3000 + t, 960, 720)
                x, y = int(rng.integers(0, 960 - w)), int(rng.integers(0, 720 - h))
                draw(canvas, (x, y, x + w, y + h), s)
                canvas = syn.degrade(canvas, rng, float(rng.uniform(0, 1)), 3, int(rng.integers(60, 95)))
                empty = syn.random_background(6000 + t, 960, 720)
                if ctx_cat is not None:
                    crops = [canvas[y : y + h, x : x + w]]
                    # A same-sized box on a scene with no such object: what a stray person/vehicle box sees.
                    empty_crops = [empty[y : y + h, x : x + w]]
                else:
                    crops = [embed.crop(canvas, win.box) for win in embed.premises_windows(960, 720)]
                    empty_crops = [embed.crop(empty, win.box) for win in embed.premises_windows(960, 720)]
                sims = np.clip(bb.features(crops) @ ref_vecs.T, 0, 1) * (
                    embed.colour_hists(crops) @ ref_hists.T
                )
                names = np.array([r.name for r in refs])
                own = names == f"{kind}-{s}"
                right.append(float(sims[:, own].max()))
                wrong.append(float(sims[:, ~own].max()) if (~own).any() else 0.0)
                esims = np.clip(bb.features(empty_crops) @ ref_vecs.T, 0, 1) * (
                    embed.colour_hists(empty_crops) @ ref_hists.T
                )
                background.append(float(esims.max()))
            right_a, wrong_a, bg_a = np.array(right), np.array(wrong), np.array(background)
            print(
                f"\n== {kind}: {args.liveries} references, {args.scenes} scenes "
                f"(threshold in use {embed.THRESHOLDS[kind]}) =="
            )
            for thr in (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
                print(
                    f"  t={thr:.2f}: right reference found {np.mean(right_a >= thr):.2f} | "
                    f"a wrong livery also fires {np.mean(wrong_a >= thr):.2f} | "
                    f"background-only scene fires {np.mean(bg_a >= thr):.2f}"
                )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evaldata", type=Path, default=default_evaldata())
    ap.add_argument("--photos", type=int, default=80)
    ap.add_argument("--crests", type=int, default=10)
    ap.add_argument("--max-side", type=int, default=2000)
    ap.add_argument("--min-side", type=int, default=600, help="skip photos with a shorter short side")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--embedding", action="store_true")
    ap.add_argument("--liveries", type=int, default=6)
    ap.add_argument("--scenes", type=int, default=30)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.embedding:
        bench_embedding(args)
    else:
        if not (args.evaldata / "manifest.csv").is_file():
            print(f"no manifest.csv under {args.evaldata}", file=sys.stderr)
            return 2
        bench_planar(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
